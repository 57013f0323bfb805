"""The topology filter: which hop uses a socket or TCP, who trusts whom, what each proxy routes, per site."""

import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.topology import webstack_hops as hops  # noqa: E402

# What plan.yml passes: the roles' own defaults files, merged, and the keys of their site (app) items.
ROLE_DEFAULTS = {
    **yaml.safe_load((ROOT / "roles/uvicorn/defaults/main.yml").read_text()),
    **yaml.safe_load((ROOT / "roles/apache/defaults/main.yml").read_text()),
}
SITE_LISTS = {"nginx": "nginx_sites", "apache": "apache_sites", "uvicorn": "uvicorn_apps"}
SITE_OPTIONS = {
    role: yaml.safe_load((ROOT / f"roles/{role}/meta/argument_specs.yml").read_text())
    ["argument_specs"]["main"]["options"][var]["options"]
    for role, var in SITE_LISTS.items()
}


def webstack_hops(hostvars, groups, topology, defaults=None):
    """As plan.yml calls it: every host carries the topology (in group_vars all), unless a test says otherwise."""
    for values in hostvars.values():
        values.setdefault("webstack_topology", topology)
    return hops(hostvars, groups, topology, defaults or ROLE_DEFAULTS, SITE_OPTIONS)


def item(plan, host, tier, site="default"):
    """One site's item in the list the playbook hands a host's role."""
    found = [i for i in plan[host][tier][SITE_LISTS[tier]] if i["name"] == site]
    assert len(found) == 1, plan[host][tier]
    return found[0]


ADDRESSES = {"edge": "10.0.0.10", "mid": "10.0.0.20", "app1": "10.0.0.31", "app2": "10.0.0.32", "aio": "10.0.0.5"}


def hostvars(**extra):
    hv = {h: {"ansible_facts": {"default_ipv4": {"address": a}}} for h, a in ADDRESSES.items()}
    for host, values in extra.items():
        hv[host].update(values)
    return hv


def test_chained_three_tier_uses_tcp_everywhere_and_trusts_the_previous_hop():
    plan = webstack_hops(hostvars(), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1", "app2"]}, "chained")
    assert plan["app1"]["uvicorn"] == {"uvicorn_apps": [{
        "name": "default", "bind": "tcp", "host": "10.0.0.31", "forwarded_allow_ips": ["10.0.0.20"], "socket_users": [],
    }]}
    assert plan["mid"]["apache"]["apache_listen_address"] == "10.0.0.20"
    assert plan["mid"]["apache"]["apache_trusted_proxies"] == ["10.0.0.10"]
    assert plan["mid"]["apache"]["apache_sites"] == [{
        "name": "default", "php_enabled": False, "routes": [{"path": "/", "backend": "app"}],
        "backends": [{"name": "app", "servers": ["http://10.0.0.31:8000", "http://10.0.0.32:8000"]}],
    }]
    assert plan["edge"]["nginx"]["nginx_sites"] == [{
        "name": "default", "upstreams": [{"name": "apache", "servers": ["10.0.0.20:8080"]}],
        "routes": [{"path": "/", "upstream": "apache"}],
    }]
    assert set(plan["edge"]) == {"nginx", "firewall", "await"}


def test_chained_all_in_one_uses_the_socket_and_loopback():
    groups = {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}
    plan = webstack_hops(hostvars(), groups, "chained")
    assert item(plan, "aio", "uvicorn")["bind"] == "unix"
    assert item(plan, "aio", "uvicorn")["socket_users"] == ["www-data"]
    assert plan["aio"]["apache"]["apache_listen_address"] == "127.0.0.1"
    assert plan["aio"]["apache"]["apache_trusted_proxies"] == ["127.0.0.1"]
    assert item(plan, "aio", "apache")["backends"][0]["servers"] == ["unix:/run/webstack-app/app.sock"]
    assert item(plan, "aio", "nginx")["upstreams"] == [{"name": "apache", "servers": ["127.0.0.1:8080"]}]


def test_renaming_the_app_service_alone_moves_its_socket_and_the_proxy_follows():
    groups = {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}
    plan = webstack_hops(hostvars(aio={"uvicorn_service_name": "shop-api"}), groups, "chained")
    assert item(plan, "aio", "apache")["backends"][0]["servers"] == ["unix:/run/shop-api/app.sock"]


def test_split_sends_api_to_the_apps_and_the_rest_to_apache():
    groups = {"nginx": ["edge"], "apache": ["edge"], "uvicorn": ["app1", "app2"]}
    plan = webstack_hops(hostvars(), groups, "split")
    nginx = item(plan, "edge", "nginx")
    assert {"name": "app", "servers": ["10.0.0.31:8000", "10.0.0.32:8000"]} in nginx["upstreams"]
    assert {"name": "apache", "servers": ["127.0.0.1:8080"]} in nginx["upstreams"]
    assert [(r["path"], r["upstream"]) for r in nginx["routes"]] == [
        ("/api/ws", "app"), ("/api/", "app"), ("\\.php$", "apache"), ("/", "apache")]
    assert item(plan, "edge", "apache")["php_enabled"] is True
    assert item(plan, "edge", "apache")["backends"] == []
    assert item(plan, "app1", "uvicorn")["forwarded_allow_ips"] == ["10.0.0.10"]


def test_split_all_in_one_reaches_the_app_over_its_socket():
    groups = {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}
    nginx = item(webstack_hops(hostvars(), groups, "split"), "aio", "nginx")
    assert {"name": "app", "servers": ["unix:/run/webstack-app/app.sock"]} in nginx["upstreams"]


def test_an_app_host_shared_with_a_remote_proxy_stays_on_tcp():
    groups = {"nginx": ["edge"], "apache": ["mid", "app1"], "uvicorn": ["app1"]}
    plan = webstack_hops(hostvars(), groups, "chained")
    assert item(plan, "app1", "uvicorn")["bind"] == "tcp"
    assert item(plan, "app1", "uvicorn")["forwarded_allow_ips"] == ["10.0.0.20", "10.0.0.31"]
    assert item(plan, "edge", "nginx")["upstreams"][0]["servers"] == ["10.0.0.20:8080", "10.0.0.31:8080"]


def test_webstack_address_and_ports_override_what_the_facts_say():
    hv = hostvars(app1={"webstack_address": "192.168.7.1", "uvicorn_port": 9000},
                  mid={"webstack_address": "fd00::20", "apache_listen_port": 8181})
    plan = webstack_hops(hv, {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")
    assert item(plan, "mid", "apache")["backends"][0]["servers"] == ["http://192.168.7.1:9000"]
    assert item(plan, "app1", "uvicorn")["forwarded_allow_ips"] == ["fd00::20"]
    assert item(plan, "edge", "nginx")["upstreams"][0]["servers"] == ["[fd00::20]:8181"]


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
    assert item(plan, "mid", "apache")["backends"][0]["servers"] == ["http://10.0.0.31:8123"]
    assert item(plan, "edge", "nginx")["upstreams"][0]["servers"] == ["10.0.0.20:8181"]
    aio = webstack_hops(hostvars(), {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}, "chained", defaults)
    assert item(aio, "aio", "apache")["backends"][0]["servers"] == ["unix:/run/x/y.sock"]


@pytest.mark.parametrize("name, value", [
    ("uvicorn_bind", "tcp"), ("apache_backends", []), ("nginx_upstreams", []), ("apache_listen_address", "0.0.0.0"),
    ("nginx_sites", []), ("uvicorn_apps", [{"name": "x"}]), ("apache_await_backends", []),
])
def test_an_inventory_value_for_a_derived_variable_is_refused_naming_it(name, value):
    with pytest.raises(AnsibleFilterError, match=f"{name} set for host mid: the site playbook derives it"):
        webstack_hops(hostvars(mid={name: value}), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]},
                      "chained")


def test_php_is_the_sites_choice_with_a_topology_default():
    groups = {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}
    def php(hv, topology):
        return item(webstack_hops(hv, groups, topology), "mid", "apache")["php_enabled"]
    assert php(hostvars(), "chained") is False
    assert php(hostvars(mid={"apache_php_enabled": True}), "chained") is True
    assert php(hostvars(mid={"apache_php_enabled": False}), "split") is False


def test_inventory_routes_merge_with_the_derived_ones():
    given = [{"path": "/api/", "rate_limit": "20r/s", "rate_limit_burst": 40},
             {"path": "/api/login", "upstream": "app", "rate_limit": "5r/s"}]
    plan = webstack_hops(hostvars(edge={"nginx_routes": given}),
                         {"nginx": ["edge"], "apache": ["edge"], "uvicorn": ["app1"]}, "split")
    routes = item(plan, "edge", "nginx")["routes"]
    assert routes[0] == {"path": "/api/login", "upstream": "app", "rate_limit": "5r/s"}
    assert {"path": "/api/", "upstream": "app", "rate_limit": "20r/s", "rate_limit_burst": 40} in routes
    assert [r["path"] for r in routes] == ["/api/login", "/api/ws", "/api/", "\\.php$", "/"]


def test_a_route_that_spells_out_the_default_match_is_the_same_route():
    given = [{"path": "/api/", "match": "prefix", "rate_limit": "20r/s"},
             {"path": "\\.php$", "match": "regex", "client_max_body_size": "1m"}]
    plan = webstack_hops(hostvars(edge={"nginx_routes": given}),
                         {"nginx": ["edge"], "apache": ["edge"], "uvicorn": ["app1"]}, "split")
    routes = item(plan, "edge", "nginx")["routes"]
    assert [r["path"] for r in routes] == ["/api/ws", "/api/", "\\.php$", "/"]
    assert {"path": "/api/", "match": "prefix", "upstream": "app", "rate_limit": "20r/s"} in routes


def test_a_malformed_webstack_address_is_named():
    with pytest.raises(AnsibleFilterError, match="webstack_address 'web-1' of host app1 is not an IP address"):
        webstack_hops(hostvars(app1={"webstack_address": "web-1"}),
                      {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")


def test_hosts_that_disagree_on_the_topology_are_named():
    with pytest.raises(AnsibleFilterError, match="webstack_topology must be the same .* not on app1"):
        webstack_hops(hostvars(app1={"webstack_topology": "split"}, edge={"webstack_topology": "chained"},
                               mid={"webstack_topology": "chained"}),
                      {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")


SHOP = {"name": "shop", "server_names": ["shop.example.com"], "topology": "chained",
        "app": {"port": 8001, "app_source": "directory", "app_directory": "/srv/shop", "app": "shop:app"},
        "apache": {"basic_auth_paths": ["/admin/"]}, "nginx": {"tls_certificate_source": "selfsigned"}}
BLOG = {"name": "blog", "server_names": ["blog.example.com", "www.blog.example.com"], "topology": "split",
        "app": {"port": 8002}, "nginx": {"routes": [{"path": "/api/", "rate_limit": "5r/s"}]}}
THREE_TIERS = {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1", "app2"]}
ALL_IN_ONE = {"nginx": ["aio"], "apache": ["aio"], "uvicorn": ["aio"]}


def with_sites(*sites, **extra):
    hv = hostvars(**extra)
    for values in hv.values():
        values.setdefault("webstack_sites", list(sites))
    return hv


def test_each_site_gets_its_own_topology_on_shared_hosts():
    plan = webstack_hops(with_sites(SHOP, BLOG), THREE_TIERS, "chained")
    shop_app, blog_app = item(plan, "app1", "uvicorn", "shop"), item(plan, "app1", "uvicorn", "blog")
    assert shop_app == {"name": "shop", "port": 8001, "app_source": "directory", "app_directory": "/srv/shop",
                        "app": "shop:app", "bind": "tcp", "host": "10.0.0.31",
                        "forwarded_allow_ips": ["10.0.0.20"], "socket_users": []}
    assert blog_app["forwarded_allow_ips"] == ["10.0.0.10"]  # split: nginx is in front of the app
    shop, blog = item(plan, "mid", "apache", "shop"), item(plan, "mid", "apache", "blog")
    assert shop["server_names"] == ["shop.example.com"]
    assert shop["backends"] == [{"name": "app", "servers": ["http://10.0.0.31:8001", "http://10.0.0.32:8001"]}]
    assert shop["basic_auth_paths"] == ["/admin/"] and shop["php_enabled"] is False
    assert blog["backends"] == [] and blog["php_enabled"] is True
    edge_shop, edge_blog = item(plan, "edge", "nginx", "shop"), item(plan, "edge", "nginx", "blog")
    assert edge_shop["routes"] == [{"path": "/", "upstream": "apache"}]
    assert edge_shop["tls_certificate_source"] == "selfsigned"
    assert {"name": "app", "servers": ["10.0.0.31:8002", "10.0.0.32:8002"]} in edge_blog["upstreams"]
    assert {"path": "/api/", "upstream": "app", "rate_limit": "5r/s"} in edge_blog["routes"]
    assert edge_blog["server_names"] == ["blog.example.com", "www.blog.example.com"]


def test_sites_on_one_host_get_a_socket_each_named_after_the_site():
    plan = webstack_hops(with_sites(SHOP, BLOG, {"name": "default", "server_names": ["www.example.com"]}),
                         ALL_IN_ONE, "chained")
    servers = {s: item(plan, "aio", "apache", s)["backends"][0]["servers"] for s in ("shop", "default")}
    assert servers == {"shop": ["unix:/run/webstack-app-shop/app.sock"],
                       "default": ["unix:/run/webstack-app/app.sock"]}
    assert {"name": "app", "servers": ["unix:/run/webstack-app-blog/app.sock"]} in item(
        plan, "aio", "nginx", "blog")["upstreams"]
    assert item(plan, "aio", "uvicorn", "blog")["bind"] == "unix"
    # Its own service name moves its socket with it.
    own = dict(SHOP, app={"service_name": "shop-api"})
    plan = webstack_hops(with_sites(own), ALL_IN_ONE, "chained")
    assert item(plan, "aio", "apache", "shop")["backends"][0]["servers"] == ["unix:/run/shop-api/app.sock"]


def test_adding_removing_or_reordering_sites_never_moves_another_sites_app():
    third = {"name": "wiki", "server_names": ["wiki.example.com"], "app": {"port": 8003}}
    for groups in (THREE_TIERS, ALL_IN_ONE):
        before = webstack_hops(with_sites(SHOP, BLOG), groups, "chained")
        for sites in ([third, BLOG, SHOP], [BLOG, SHOP, dict(third, state="absent")], [SHOP]):
            after = webstack_hops(with_sites(*sites), groups, "chained")
            for host, tier in ((groups["uvicorn"][0], "uvicorn"), (groups["apache"][0], "apache"),
                               (groups["nginx"][0], "nginx")):
                for name in [s["name"] for s in sites if s["name"] != "wiki"]:
                    assert item(after, host, tier, name) == item(before, host, tier, name)


def test_an_absent_site_is_handed_to_every_role_for_removal():
    plan = webstack_hops(with_sites(SHOP, {"name": "blog", "state": "absent", "app": {"install_dir": "/srv/blog"}}),
                         THREE_TIERS, "chained")
    assert item(plan, "app2", "uvicorn", "blog") == {"name": "blog", "state": "absent", "install_dir": "/srv/blog"}
    assert item(plan, "mid", "apache", "blog") == {"name": "blog", "state": "absent"}
    assert item(plan, "edge", "nginx", "blog") == {"name": "blog", "state": "absent"}


@pytest.mark.parametrize("sites, message", [
    ([SHOP, dict(BLOG, name="shop")], "webstack_sites: the name shop is used twice"),
    ([SHOP, dict(BLOG, server_names=["blog.example.com", "shop.example.com"])],
     "webstack_sites: the server name shop.example.com is in sites shop and blog"),
    ([SHOP, dict(BLOG, app={"port": 8001})], "webstack_sites: shop and blog both ask for port 8001 on app1"),
    ([dict(SHOP, app={"port": 8080})], r"Apache \(apache_listen_port\) and shop both ask for port 8080 on app1"),
    ([dict(SHOP, name="Shop_1")], "webstack_sites: the name 'Shop_1' is not a slug"),
    ([dict(SHOP, colour="blue")], "webstack_sites shop: unknown key 'colour'"),
    ([dict(SHOP, nginx={"tls_certificat_source": "provided"})], "webstack_sites shop: unknown key nginx.tls_certificat_source"),
    ([dict(SHOP, app={"port": 8001, "bind": "tcp"})], "webstack_sites shop: app.bind is derived by the site playbook"),
    ([dict(SHOP, topology="mesh")], "webstack_sites shop: topology 'mesh' is not one of: chained, split"),
    ([dict(SHOP, server_names=[])], "webstack_sites shop: server_names must be a list"),
    ([dict(SHOP, app={})], "webstack_sites shop: app.port is required: the app listens on TCP on app1"),
    ([dict(SHOP, state="gone")], "webstack_sites shop: state 'gone' is not present or absent"),
    (["shop"], "webstack_sites item 1: a site is a mapping with a name"),
])
def test_bad_sites_are_refused_naming_the_site_and_the_field(sites, message):
    groups = {"nginx": ["edge"], "apache": ["mid", "app1"], "uvicorn": ["app1"]}
    with pytest.raises(AnsibleFilterError, match=message):
        webstack_hops(with_sites(*sites), groups, "chained")


def test_hosts_that_disagree_on_the_sites_are_named():
    hv = with_sites(SHOP, app2={"webstack_sites": [BLOG]})
    with pytest.raises(AnsibleFilterError, match="webstack_sites must be the same for every host.* app2"):
        webstack_hops(hv, THREE_TIERS, "chained")


@pytest.mark.parametrize("extra, message", [
    ({"mid": {"apache_listen_port": "http"}}, "apache_listen_port of host mid 'http' is not a port number"),
    ({"app1": {"uvicorn_port": "eight"}}, "uvicorn_port of host app1 'eight' is not a port number"),
])
def test_a_port_that_is_not_a_number_is_named(extra, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webstack_hops(hostvars(**extra), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")


def test_each_inner_port_is_open_to_the_hosts_in_front_of_it_only():
    plan = webstack_hops(with_sites(SHOP, BLOG), THREE_TIERS, "chained")
    assert plan["app1"]["firewall"]["firewall_rules"] == [
        {"name": "shop app", "port": 8001, "sources": [{"address": "10.0.0.20", "host": "mid"}]},
        {"name": "blog app", "port": 8002, "sources": [{"address": "10.0.0.10", "host": "edge"}]},
    ]
    assert plan["mid"]["firewall"]["firewall_rules"] == [
        {"name": "Apache", "port": 8080, "sources": [{"address": "10.0.0.10", "host": "edge"}]}]
    assert plan["edge"]["firewall"]["firewall_rules"] == []  # 80 and 443 are left as they are
    # An app on a socket has no port to guard.
    aio = webstack_hops(hostvars(), ALL_IN_ONE, "chained")["aio"]["firewall"]["firewall_rules"]
    assert aio == [{"name": "Apache", "port": 8080, "sources": [{"address": "10.0.0.5", "host": "aio"}]}]


def test_each_proxy_waits_for_its_backends_on_other_hosts_only():
    plan = webstack_hops(with_sites(SHOP, BLOG), THREE_TIERS, "chained")
    assert plan["edge"]["await"] == {"nginx": {  # blog is split: nginx sends its /api/ to the apps
        "mid": [{"host": "10.0.0.20", "port": 8080}],
        "app1": [{"host": "10.0.0.31", "port": 8002}], "app2": [{"host": "10.0.0.32", "port": 8002}]}}
    assert plan["mid"]["await"] == {"apache": {
        "app1": [{"host": "10.0.0.31", "port": 8001}], "app2": [{"host": "10.0.0.32", "port": 8001}]}}
    assert plan["app1"]["await"] == {}
    # A backend on the proxy's own host starts before it in the same play: nothing to wait for.
    assert webstack_hops(hostvars(), ALL_IN_ONE, "chained")["aio"]["await"] == {"apache": {}, "nginx": {}}
    split = webstack_hops(hostvars(), {"nginx": ["edge"], "apache": ["edge"], "uvicorn": ["app1"]}, "split")
    assert split["edge"]["await"] == {"apache": {}, "nginx": {"app1": [{"host": "10.0.0.31", "port": 8000}]}}


def test_extra_sources_may_reach_every_inner_port_and_the_firewall_may_be_off():
    extra = {"webstack_firewall_extra_sources": ["192.0.2.0/24", "fd00::7"]}
    plan = webstack_hops(hostvars(app1=dict(extra)), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]},
                         "chained")
    assert plan["app1"]["firewall"]["firewall_rules"][0]["sources"] == [
        {"address": "10.0.0.20", "host": "mid"},
        {"address": "192.0.2.0/24", "host": "webstack_firewall_extra_sources"},
        {"address": "fd00::7", "host": "webstack_firewall_extra_sources"}]
    off = webstack_hops(hostvars(app1={"webstack_firewall": False}),
                        {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")
    assert off["app1"]["firewall"]["firewall_rules"] == []


def test_a_malformed_extra_source_is_named():
    with pytest.raises(AnsibleFilterError, match="webstack_firewall_extra_sources entry '10.0.0.300' of host mid"):
        webstack_hops(hostvars(mid={"webstack_firewall_extra_sources": ["10.0.0.300"]}),
                      {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")


@pytest.mark.parametrize("off", [False, "false", "no", 0])
def test_the_firewall_is_off_however_false_is_written(off):
    plan = webstack_hops(hostvars(app1={"webstack_firewall": off}),
                         {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, "chained")
    assert plan["app1"]["firewall"]["firewall_rules"] == []


@pytest.mark.parametrize("extra, topology, message", [
    ({"nginx_routes": [{"path": "/x/", "upstream": "nowhere"}]}, "split",
     r"nginx_routes of host edge entry .* sends to upstream 'nowhere', which this site does not have; it has apache, app"),
    ({"nginx_routes": [{"path": "/api/", "client_max_body_size": "1k"}]}, "chained",
     r"nginx_routes of host edge entry .* names no upstream and no derived route has its path and match \(/\)"),
])
def test_an_inventory_route_that_leads_nowhere_is_named(extra, topology, message):
    with pytest.raises(AnsibleFilterError, match=message):
        webstack_hops(hostvars(edge=extra), {"nginx": ["edge"], "apache": ["mid"], "uvicorn": ["app1"]}, topology)


def test_a_sites_own_route_that_leads_nowhere_names_the_site():
    blog = dict(BLOG, topology="chained")  # its /api/ option has no /api/ route to go with in chained
    with pytest.raises(AnsibleFilterError, match="webstack_sites blog: nginx.routes entry .* names no upstream"):
        webstack_hops(with_sites(SHOP, blog), THREE_TIERS, "chained")
