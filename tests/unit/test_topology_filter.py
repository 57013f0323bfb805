"""The topology filter: which hop uses a socket or TCP, who trusts whom, and what each proxy routes."""

import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins" / "filter"))
from topology import webstack_hops as hops_with_defaults  # noqa: E402

# What plan.yml passes: the roles' own defaults files, merged.
ROLE_DEFAULTS = {
    **yaml.safe_load((ROOT / "roles/uvicorn/defaults/main.yml").read_text()),
    **yaml.safe_load((ROOT / "roles/apache/defaults/main.yml").read_text()),
}


def webstack_hops(hostvars, groups, topology, defaults=None):
    """As plan.yml calls it: every host carries the topology (in group_vars all), unless a test says otherwise."""
    for values in hostvars.values():
        values.setdefault("webstack_topology", topology)
    return hops_with_defaults(hostvars, groups, topology, defaults or ROLE_DEFAULTS)

ADDRESSES = {"edge": "10.0.0.10", "mid": "10.0.0.20", "app1": "10.0.0.31", "app2": "10.0.0.32", "aio": "10.0.0.5"}


def hostvars(**extra):
    hv = {h: {"ansible_facts": {"default_ipv4": {"address": a}}} for h, a in ADDRESSES.items()}
    for host, values in extra.items():
        hv[host].update(values)
    return hv


def test_chained_three_tier_uses_tcp_everywhere_and_trusts_the_previous_hop():
    plan = webstack_hops(hostvars(), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1", "app2"]}, "chained")
    assert plan["app1"]["uvicorn"] == {
        "uvicorn_bind": "tcp", "uvicorn_host": "10.0.0.31",
        "uvicorn_forwarded_allow_ips": ["10.0.0.20"], "uvicorn_socket_users": [],
    }
    apache = plan["mid"]["apache"]
    assert apache["apache_listen_address"] == "10.0.0.20"
    assert apache["apache_trusted_proxies"] == ["10.0.0.10"]
    assert apache["apache_backends"] == [{"name": "app", "servers": ["http://10.0.0.31:8000", "http://10.0.0.32:8000"]}]
    assert apache["apache_routes"] == [{"path": "/", "backend": "app"}]
    assert apache["apache_php_enabled"] is False
    assert plan["edge"]["nginx"]["nginx_upstreams"] == [{"name": "apache", "servers": ["10.0.0.20:8080"]}]
    assert plan["edge"]["nginx"]["nginx_routes"] == [{"path": "/", "upstream": "apache"}]
    assert set(plan["edge"]) == {"nginx"}


def test_chained_all_in_one_uses_the_socket_and_loopback():
    groups = {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}
    plan = webstack_hops(hostvars(), groups, "chained")["aio"]
    assert plan["uvicorn"]["uvicorn_bind"] == "unix"
    assert plan["uvicorn"]["uvicorn_socket_users"] == ["www-data"]
    assert plan["apache"]["apache_listen_address"] == "127.0.0.1"
    assert plan["apache"]["apache_trusted_proxies"] == ["127.0.0.1"]
    assert plan["apache"]["apache_backends"][0]["servers"] == ["unix:/run/webstack-app/app.sock"]
    assert plan["nginx"]["nginx_upstreams"] == [{"name": "apache", "servers": ["127.0.0.1:8080"]}]


def test_split_sends_api_to_the_apps_and_the_rest_to_apache():
    groups = {"nginx": ["edge"], "apache": ["edge"], "uvicorn": ["app1", "app2"]}
    plan = webstack_hops(hostvars(), groups, "split")
    nginx = plan["edge"]["nginx"]
    assert {"name": "app", "servers": ["10.0.0.31:8000", "10.0.0.32:8000"]} in nginx["nginx_upstreams"]
    assert {"name": "apache", "servers": ["127.0.0.1:8080"]} in nginx["nginx_upstreams"]
    assert [(r["path"], r["upstream"]) for r in nginx["nginx_routes"]] == [
        ("/api/ws", "app"), ("/api/", "app"), ("\\.php$", "apache"), ("/", "apache")]
    assert plan["edge"]["apache"]["apache_php_enabled"] is True
    assert plan["edge"]["apache"]["apache_backends"] == []
    assert plan["app1"]["uvicorn"]["uvicorn_forwarded_allow_ips"] == ["10.0.0.10"]


def test_split_all_in_one_reaches_the_app_over_its_socket():
    groups = {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}
    nginx = webstack_hops(hostvars(), groups, "split")["aio"]["nginx"]
    assert {"name": "app", "servers": ["unix:/run/webstack-app/app.sock"]} in nginx["nginx_upstreams"]


def test_an_app_host_shared_with_a_remote_proxy_stays_on_tcp():
    groups = {"nginx": ["edge"], "apache": ["mid", "app1"], "uvicorn": ["app1"]}
    plan = webstack_hops(hostvars(), groups, "chained")
    assert plan["app1"]["uvicorn"]["uvicorn_bind"] == "tcp"
    assert plan["app1"]["uvicorn"]["uvicorn_forwarded_allow_ips"] == ["10.0.0.20", "10.0.0.31"]
    assert plan["edge"]["nginx"]["nginx_upstreams"][0]["servers"] == ["10.0.0.20:8080", "10.0.0.31:8080"]


def test_webstack_address_and_ports_override_what_the_facts_say():
    hv = hostvars(app1={"webstack_address": "192.168.7.1", "uvicorn_port": 9000},
                  mid={"webstack_address": "fd00::20", "apache_listen_port": 8181})
    plan = webstack_hops(hv, {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")
    assert plan["mid"]["apache"]["apache_backends"][0]["servers"] == ["http://192.168.7.1:9000"]
    assert plan["app1"]["uvicorn"]["uvicorn_forwarded_allow_ips"] == ["fd00::20"]
    assert plan["edge"]["nginx"]["nginx_upstreams"][0]["servers"] == ["[fd00::20]:8181"]


@pytest.mark.parametrize("topology", ["chain", "", "Split"])
def test_unknown_topology_lists_the_valid_ones(topology):
    with pytest.raises(AnsibleFilterError, match="webstack_topology .* chained, split"):
        webstack_hops(hostvars(), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, topology)


def test_an_empty_group_is_named():
    with pytest.raises(AnsibleFilterError, match="group 'apache' is empty"):
        webstack_hops(hostvars(), {"nginx": ["edge"], "uvicorn": ["app1"]}, "split")


def test_a_host_without_an_address_is_named():
    hv = hostvars()
    hv["app2"] = {}
    with pytest.raises(AnsibleFilterError, match="no address for host app2"):
        webstack_hops(hv, {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app2"]}, "chained")


def test_ports_and_socket_paths_come_from_the_role_defaults_given():
    defaults = dict(ROLE_DEFAULTS, uvicorn_port=8123, apache_listen_port=8181, uvicorn_socket_path="/run/x/y.sock")
    plan = webstack_hops(hostvars(), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained", defaults)
    assert plan["mid"]["apache"]["apache_backends"][0]["servers"] == ["http://10.0.0.31:8123"]
    assert plan["edge"]["nginx"]["nginx_upstreams"][0]["servers"] == ["10.0.0.20:8181"]
    aio = webstack_hops(hostvars(), {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}, "chained", defaults)
    assert aio["aio"]["apache"]["apache_backends"][0]["servers"] == ["unix:/run/x/y.sock"]


@pytest.mark.parametrize("name, value", [
    ("uvicorn_bind", "tcp"), ("apache_backends", []), ("nginx_upstreams", []), ("apache_listen_address", "0.0.0.0"),
])
def test_an_inventory_value_for_a_derived_variable_is_refused_naming_it(name, value):
    with pytest.raises(AnsibleFilterError, match=f"{name} set for host mid: the site playbook derives it"):
        webstack_hops(hostvars(mid={name: value}), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]},
                      "chained")


def test_php_is_the_sites_choice_with_a_topology_default():
    groups = {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}
    assert webstack_hops(hostvars(), groups, "chained")["mid"]["apache"]["apache_php_enabled"] is False
    assert webstack_hops(hostvars(mid={"apache_php_enabled": True}), groups, "chained")["mid"]["apache"][
        "apache_php_enabled"] is True
    assert webstack_hops(hostvars(mid={"apache_php_enabled": False}), groups, "split")["mid"]["apache"][
        "apache_php_enabled"] is False


def test_inventory_routes_merge_with_the_derived_ones():
    given = [{"path": "/api/", "rate_limit": "20r/s", "rate_limit_burst": 40},
             {"path": "/api/login", "upstream": "app", "rate_limit": "5r/s"}]
    plan = webstack_hops(hostvars(edge={"nginx_routes": given}),
                         {"nginx": ["edge"], "apache": ["edge"], "uvicorn": ["app1"]}, "split")
    routes = plan["edge"]["nginx"]["nginx_routes"]
    assert routes[0] == {"path": "/api/login", "upstream": "app", "rate_limit": "5r/s"}
    assert {"path": "/api/", "upstream": "app", "rate_limit": "20r/s", "rate_limit_burst": 40} in routes
    assert [r["path"] for r in routes] == ["/api/login", "/api/ws", "/api/", "\\.php$", "/"]


def test_a_malformed_webstack_address_is_named():
    with pytest.raises(AnsibleFilterError, match="webstack_address 'web-1' of host app1 is not an IP address"):
        webstack_hops(hostvars(app1={"webstack_address": "web-1"}),
                      {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")


def test_hosts_that_disagree_on_the_topology_are_named():
    with pytest.raises(AnsibleFilterError, match="webstack_topology must be the same .* not on app1"):
        webstack_hops(hostvars(app1={"webstack_topology": "split"}, edge={"webstack_topology": "chained"},
                               mid={"webstack_topology": "chained"}),
                      {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")
