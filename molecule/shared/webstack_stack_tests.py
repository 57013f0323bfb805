"""Tests every topology scenario shares: HTTP through the front door from outside the containers, and
what arrived at each tier. A scenario's test module imports them (`from webstack_stack_tests import *`);
the topology and the hosts come from the scenario's inventory.
"""

import http.client
import json
import os
import time

import pytest
from webstack_testlib import (
    APACHE_PORT, APP_PORT, APP_SERVICE, APP_SOCKET, APP_UNITS, PROJECT_DIR, assert_unknown_names_refused,
    connect_from, container_ip, docker, inventory, run_playbook, web_request,
)

JOURNAL_UNITS = ["nginx.service", "apache2.service", f"{APP_SERVICE}.service"]
SITE = os.path.join(PROJECT_DIR, "playbooks", "site.yml")
INVENTORY = inventory()
GROUPS = INVENTORY["groups"]
FRONT = GROUPS["nginx"][0]
TOPOLOGY = INVENTORY["hostvars"][FRONT].get("webstack_topology", "chained")
SERVER_NAME = INVENTORY["hostvars"][FRONT].get("nginx_server_names", [FRONT])[0]
# A container in no stack group, when the scenario has one: the firewall keeps it from the inner ports.
STRANGER = (GROUPS["ungrouped"] or [None])[0]


def front_door(method, path, headers=None, tls=True, body=None):
    """One request to the first nginx host, as a client outside the containers; never follows redirects."""
    return web_request(container_ip(FRONT), method, path, SERVER_NAME, headers, body=body, tls=tls)


def front_json(path, headers=None):
    status, _, body = front_door("GET", path, headers)
    assert status == 200, f"{path}: {status} {body[:300]!r}"
    return json.loads(body)


def runner_ip():
    """The test runner's address as the containers see it: their network's gateway."""
    return docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
                  f"webstack-{os.environ['MOLECULE_SCENARIO_NAME']}").stdout.strip()


def read_file(host, path):
    return docker("exec", host, "cat", path, check=False).stdout


def test_plain_http_redirects_to_https():
    status, headers, _ = front_door("GET", "/api/health", tls=False)
    assert status == 301 and headers["Location"] == f"https://{SERVER_NAME}/api/health"


def test_names_no_site_serves_are_refused_and_never_reach_an_app():
    assert_unknown_names_refused(container_ip(FRONT), SERVER_NAME)


def test_static_file_comes_from_nginx_with_cache_headers():
    status, headers, body = front_door("GET", "/static/probe.txt")
    assert status == 200 and body.startswith(b"webstack.tiers")
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert headers["Server"] == "nginx"


def test_health_through_the_front_door():
    assert front_json("/api/health")["status"] == "ok"


def test_the_app_sees_the_real_client_https_the_host_and_a_request_id():
    seen = front_json("/api/whoami", {"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Proto": "http"})
    assert seen["client_ip"] == runner_ip(), seen
    assert seen["scheme"] == "https"
    assert seen["host"] == SERVER_NAME
    assert len(seen["request_id"] or "") == 32
    assert "203.0.113.77" not in json.dumps(seen["headers"])


def test_an_app_host_believes_no_forwarded_headers_from_a_stranger():
    """Straight to an app host's TCP port from the test runner, which is no proxy of it."""
    tcp_apps = [h for h in GROUPS["uvicorn"] if docker("exec", h, "test", "-S", APP_SOCKET,
                                                      check=False).returncode != 0]
    if not tcp_apps:
        pytest.skip("the app listens on a UNIX socket only")
    conn = http.client.HTTPConnection(container_ip(tcp_apps[0]), APP_PORT, timeout=10)
    try:
        conn.request("GET", "/api/whoami", headers={"X-Forwarded-For": "203.0.113.78", "X-Forwarded-Proto": "https"})
        seen = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert seen["client_ip"] == runner_ip() and seen["scheme"] == "http", seen


def test_one_request_id_is_logged_by_every_tier_it_crossed():
    seen = front_json("/api/whoami")
    rid = seen["request_id"]
    deadline = time.monotonic() + 5  # nginx flushes its buffered log every second
    while rid not in read_file(FRONT, "/var/log/nginx/webstack-access.log") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert rid in read_file(FRONT, "/var/log/nginx/webstack-access.log")
    if TOPOLOGY == "chained":
        assert any(f"rid={rid}" in read_file(h, "/var/log/apache2/webstack-access.log") for h in GROUPS["apache"])


def test_the_hops_crossed_match_the_topology():
    """mod_proxy adds X-Forwarded-Server: Apache is in the path of /api/ in chained only."""
    headers = front_json("/api/whoami")["headers"]
    if TOPOLOGY == "chained":
        assert "x-forwarded-server" in headers, headers
    else:
        assert "x-forwarded-server" not in headers, headers


def test_nginx_leaves_cores_to_the_tiers_on_its_host():
    """nginx_worker_processes auto: a worker per CPU on an edge of its own; beside upstream servers on its host
    (Apache on loopback, the app's UNIX socket) the CPUs are shared: CPUs / (1 + those servers), at least 1."""
    for host in GROUPS["nginx"]:
        beside = [tier for tier in (["apache"] if TOPOLOGY == "chained" else ["apache", "uvicorn"])
                  if host in GROUPS[tier]]
        cpus = int(docker("exec", host, "nproc").stdout)
        expected = max(1, cpus // (1 + len(beside))) if beside else cpus
        workers = None
        for _ in range(20):  # a reload's old workers may still be finishing their requests
            workers = int(docker("exec", host, "pgrep", "-c", "-f", "^nginx: worker process", check=False).stdout)
            if workers == expected:
                break
            time.sleep(0.5)
        assert workers == expected, f"{host}: {workers} nginx workers on {cpus} CPUs beside {beside}"


def test_route_options_from_the_inventory_apply_to_the_derived_route():
    given = INVENTORY["hostvars"][FRONT].get("nginx_routes")
    if not given:
        pytest.skip("the inventory sets no route options")
    # The scenario limits /api/ to 1 KiB bodies; the route still goes to the app.
    assert given == [{"path": "/api/", "client_max_body_size": "1k"}]
    status, _, _ = front_door("GET", "/api/whoami", {"Content-Type": "text/plain"}, body=b"x" * 2048)
    assert status == 413
    status, _, body = front_door("GET", "/api/whoami", {"Content-Type": "text/plain"}, body=b"x" * 512)
    assert status == 200 and json.loads(body)["served_by"] in GROUPS["uvicorn"]


def test_php_answers_through_apache_in_split():
    if TOPOLOGY != "split":
        pytest.skip("PHP is served in the split topology")
    seen = front_json("/index.php")
    assert seen["tier"] == "php"
    assert seen["client_ip"] == runner_ip() and seen["scheme"] == "https"
    assert len(seen["request_id"]) == 32
    status, _, body = front_door("GET", "/")
    assert status == 200 and b'"tier":"php"' in body


def test_every_app_host_is_reached_and_one_can_stop():
    apps = GROUPS["uvicorn"]
    if len(apps) < 2:
        pytest.skip("one app host")
    served = {front_json("/api/whoami")["served_by"] for _ in range(4 * len(apps))}
    assert served == set(apps)
    stopped = apps[-1]
    docker("exec", stopped, "systemctl", "stop", *APP_UNITS)
    try:
        failures = []
        for i in range(40):
            path = "/api/health" if i % 2 else "/api/whoami"
            status, _, body = front_door("GET", path)
            if status != 200:
                failures.append((path, status, body[:120]))
            elif path == "/api/whoami":
                assert json.loads(body)["served_by"] != stopped
        assert failures == [], failures
    finally:
        docker("exec", stopped, "systemctl", "start", *APP_UNITS)


def inner_ports():
    """(host, port) of every inner port reachable over the network: each app host's, and Apache's where
    nginx is on another host (an Apache that shares the only nginx host listens on loopback)."""
    ports = [(h, APP_PORT) for h in GROUPS["uvicorn"] if GROUPS["uvicorn"] != [FRONT]]
    ports += [(h, APACHE_PORT) for h in GROUPS["apache"] if GROUPS["nginx"] != [h]]
    return ports


def need_stranger():
    if STRANGER is None:
        pytest.skip("the scenario has no stranger container")


def test_a_stranger_reaches_the_front_door_and_no_inner_port():
    need_stranger()
    assert connect_from(STRANGER, container_ip(FRONT), 443)[0] == "open"
    assert inner_ports(), "the scenario should have inner ports on the network"
    for host, port in inner_ports():
        result, seconds = connect_from(STRANGER, container_ip(host), port)
        assert (result, seconds < 1) == ("refused", True), (host, port, result, seconds)
    assert front_json("/api/whoami")["served_by"] in GROUPS["uvicorn"]


def test_the_proxies_and_the_extra_sources_reach_the_inner_ports():
    need_stranger()
    for host, port in inner_ports():
        # The runner is in webstack_firewall_extra_sources.
        conn = http.client.HTTPConnection(container_ip(host), port, timeout=5)
        try:
            conn.request("GET", "/api/health" if port == APP_PORT else "/", headers={"Host": SERVER_NAME})
            assert conn.getresponse().status in (200, 404), (host, port)
        finally:
            conn.close()
    # Each rule names the host it lets in.
    for host, _ in inner_ports():
        listed = docker("exec", host, "nft", "list", "table", "inet", "webstack").stdout
        proxies = GROUPS["apache"] if TOPOLOGY == "chained" and host in GROUPS["uvicorn"] else GROUPS["nginx"]
        assert all(f'comment "{p}"' in listed for p in proxies), listed


def test_the_operators_own_table_is_left_alone():
    need_stranger()
    for host in set(GROUPS["nginx"] + GROUPS["apache"] + GROUPS["uvicorn"]):
        listed = docker("exec", host, "nft", "list", "table", "inet", "operator", check=False).stdout
        assert 'tcp dport 9999 drop comment "operator rule"' in listed, (host, listed)


def test_the_rules_come_back_after_nftables_restarts():
    need_stranger()
    host, port = inner_ports()[0]
    docker("exec", host, "systemctl", "restart", "nftables.service")
    assert "table inet webstack" in docker("exec", host, "nft", "list", "tables").stdout
    assert connect_from(STRANGER, container_ip(host), port)[0] == "refused"


def test_check_diff_on_the_converged_stack_changes_nothing():
    rc, out, recap = run_playbook(SITE, options=["--check", "--diff"])
    assert rc == 0, out[-3000:]
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), out[-3000:]
