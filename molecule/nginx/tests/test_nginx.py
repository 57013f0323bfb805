"""The nginx role, seen from outside: plain HTTP and HTTPS from the test runner to nginx-edge, what the
uvicorn backends saw, TLS checked by sslyze, the rendered config checked by gixy, and what a bad
variable or a re-run does to the running server."""

import gzip
import json
import os
import re
import socket
import ssl
import subprocess
import time

import pytest
from webstack_testlib import (
    assert_stale_policy_rc_d_goes, assert_unknown_names_refused, container_ip, gixy_findings, input_checks_once,
    insecure_tls_context, release_independent, run_playbook, sslyze_compliance, web_request,
)

testinfra_hosts = ["ansible://nginx-edge"]
JOURNAL_UNITS = ["nginx.service", "webstack-app.service"]
NGINX_PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "nginx.yml")
EDGE = "nginx-edge"
NAME = "edge.webstack.test"
SHOP = "shop.webstack.test"
SECURITY_HEADERS = ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def request(method, path, headers=None, body=None, tls=True):
    return web_request(container_ip(EDGE), method, path, NAME, headers, body, tls)


def get_json(path, headers=None):
    status, _, body = request("GET", path, headers)
    assert status == 200, f"{path}: {status} {body[:300]!r}"
    return json.loads(body)


def main_pid(host):
    return host.run("systemctl show -p MainPID --value nginx.service").stdout.strip()


def test_plain_http_redirects_to_https_except_acme_challenges():
    status, headers, _ = request("GET", "/api/whoami?x=1", tls=False)
    assert status == 301 and headers["Location"] == f"https://{NAME}/api/whoami?x=1"
    status, _, body = request("GET", "/.well-known/acme-challenge/molecule-token", tls=False)
    assert status == 200 and body == b"token-for-molecule\n"


def test_names_the_site_does_not_serve_are_refused():
    assert_unknown_names_refused(container_ip(EDGE), NAME)


def served_certificate_names(server_name):
    """The DNS names of the certificate the edge presents for server_name (SNI)."""
    from cryptography import x509

    ctx = insecure_tls_context()
    with socket.create_connection((container_ip(EDGE), 443), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname=server_name) as sock:
        der = sock.getpeercert(binary_form=True)
    cert = x509.load_der_x509_certificate(der)
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def test_each_site_answers_its_names_with_its_own_certificate():
    assert served_certificate_names(NAME) == [NAME, "www.edge.webstack.test"]
    assert served_certificate_names(SHOP) == [SHOP]


def test_each_site_sends_its_requests_to_its_own_upstreams_and_static_files(host):
    shop = [json.loads(web_request(container_ip(EDGE), "GET", "/api/whoami", SHOP)[2]) for _ in range(6)]
    assert {seen["served_by"] for seen in shop} == {"nginx-edge"}  # shop routes to the local app only
    assert {seen["host"] for seen in shop} == {SHOP}
    edge = {get_json("/api/whoami")["served_by"] for _ in range(6)}
    assert edge == {"nginx-edge", "nginx-app"}
    assert host.file("/var/www/webstack-static-shop/probe.txt").exists
    status, _, _ = web_request(container_ip(EDGE), "GET", "/static/app.0123abcd.css", SHOP)
    assert status == 404  # edge's file, not in shop's directory
    assert request("GET", "/static/app.0123abcd.css")[0] == 200


def test_a_site_is_added_and_removed_while_the_others_keep_serving(host):
    sites = host.ansible.get_variables()["nginx_sites"]
    blog = {"name": "blog", "server_names": ["blog.webstack.test"], "routes": [{"path": "/", "upstream": "local"}]}
    files = ["/etc/nginx/sites-available/webstack-blog.conf", "/etc/nginx/sites-enabled/webstack-blog.conf",
             "/etc/nginx/tls/webstack-blog.crt", "/etc/nginx/tls/webstack-blog.key"]
    before = main_pid(host)
    try:
        rc, out, _ = run_playbook(NGINX_PLAYBOOK, {"nginx_sites": sites + [blog]}, limit=EDGE)
        assert rc == 0, out[-3000:]
        assert all(host.file(f).exists for f in files)
        status, _, body = web_request(container_ip(EDGE), "GET", "/api/whoami", "blog.webstack.test")
        assert status == 200 and json.loads(body)["host"] == "blog.webstack.test"
        assert served_certificate_names("blog.webstack.test") == ["blog.webstack.test"]

        rc, out, _ = run_playbook(NGINX_PLAYBOOK, {"nginx_sites": sites + [dict(blog, state="absent")]}, limit=EDGE)
        assert rc == 0, out[-3000:]
        assert not any(host.file(f).exists for f in files), [f for f in files if host.file(f).exists]
        assert_unknown_names_refused(container_ip(EDGE), NAME)
        try:
            web_request(container_ip(EDGE), "GET", "/", "blog.webstack.test")
            raise AssertionError("blog.webstack.test still answers")
        except ssl.SSLError:
            pass
        assert request("GET", "/api/health")[0] == 200
        assert web_request(container_ip(EDGE), "GET", "/api/health", SHOP)[0] == 200
        assert main_pid(host) == before  # every change was a reload
    finally:
        run_playbook(NGINX_PLAYBOOK, {"nginx_sites": sites + [dict(blog, state="absent")]}, limit=EDGE)


def test_another_site_on_the_host_answers_exactly_as_before(host):
    """prepare.yml enabled it the Debian way (no .conf suffix) before the role first ran."""
    assert host.run("sha256sum -c /root/foreign.sha256").rc == 0
    assert host.file("/etc/nginx/sites-enabled/foreign").linked_to == "/etc/nginx/sites-available/foreign"
    marker = f"coexist-{time.monotonic_ns()}"
    status, headers, body = web_request(container_ip(EDGE), "GET", f"/?{marker}", "foreign.webstack.test", tls=False)
    assert status == 200 and body == b"foreign site\n" and headers["X-Foreign-Site"] == "yes"
    # Its requests go to Debian's access log, not the role's.
    time.sleep(1.5)  # the role's log is flushed every second
    assert marker in host.file("/var/log/nginx/access.log").content_string
    assert marker not in host.file("/var/log/nginx/webstack-access.log").content_string


def test_static_file_comes_from_nginx_with_cache_headers_and_gzip():
    status, headers, body = request("GET", "/static/bundle.css", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert b".c59 { margin: 0; }" in gzip.decompress(body)
    for name in SECURITY_HEADERS:
        assert len(headers.get_all(name) or []) == 1, name
    status, headers, _ = request("GET", "/static/app.0123abcd.css")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_precompressed_copy_is_served_when_present():
    status, headers, body = request("GET", "/static/precompressed.txt", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == b"precompressed copy\n"
    status, headers, body = request("GET", "/static/precompressed.txt")
    assert body == b"plain copy\n"


def test_static_location_cannot_be_escaped():
    for path in ("/static../etc/passwd", "/static/../etc/passwd", "/static/%2e%2e/etc/passwd"):
        status, _, body = request("GET", path)
        assert b"root:x:0:0" not in body, path


def test_proxied_route_carries_host_scheme_request_id_and_the_real_client():
    runner = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    served_by = set()
    for _ in range(6):
        seen = get_json("/api/whoami", {"X-Forwarded-For": "203.0.113.50", "X-Request-ID": "forged-id",
                                        "X-Forwarded-Proto": "http"})
        assert seen["host"] == NAME
        assert seen["scheme"] == "https"
        assert re.fullmatch(r"[0-9a-f]{32}", seen["request_id"]), seen["request_id"]
        assert seen["client_ip"] != "203.0.113.50" and seen["client_ip"] in runner, seen
        assert seen["headers"]["x-forwarded-for"] == seen["client_ip"]
        served_by.add(seen["served_by"])
    assert served_by == {"nginx-edge", "nginx-app"}


def test_security_headers_once_each_and_no_version():
    status, headers, _ = request("GET", "/api/health")
    assert status == 200
    for name in SECURITY_HEADERS:
        assert len(headers.get_all(name) or []) == 1, name
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert headers["Server"] == "nginx"
    # A value with double quotes and a backslash (molecule.yml) arrives exactly as written.
    assert headers["Permissions-Policy"] == 'geolocation=(self "https://maps.webstack.test"), camera=()'
    assert headers["X-Webstack-Test"] == 'a\\b "c"'


def test_http2_is_offered():
    out = subprocess.run(
        ["curl", "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}",
         "--resolve", f"{NAME}:443:{container_ip(EDGE)}", f"https://{NAME}/api/health"],
        capture_output=True, text=True, timeout=20)
    assert out.stdout == "2", out


def test_rate_limit_answers_429_past_the_burst():
    statuses = [request("GET", "/api/payload")[0] for _ in range(20)]
    assert statuses[:6] == [200] * 6, statuses
    assert 429 in statuses, statuses


def test_route_body_limit_answers_413():
    status, _, _ = request("POST", "/api/whoami", {"Content-Type": "text/plain"}, body=b"x" * 2048)
    assert status == 413


def test_websocket_upgrade_passes_on_its_route():
    ip = container_ip(EDGE)
    ctx = insecure_tls_context(alpn=["http/1.1"])
    with socket.create_connection((ip, 443), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname=NAME) as sock:
        sock.sendall(
            f"GET /api/ws HTTP/1.1\r\nHost: {NAME}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        answer = sock.recv(4096).decode("latin1")
    assert answer.startswith("HTTP/1.1 101"), answer
    assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in answer


def test_backend_down_gives_the_clean_error_page(host):
    host.run("systemctl stop webstack-app.socket webstack-app.service")
    try:
        started = time.monotonic()
        status, headers, body = request("GET", "/api/health")
        assert time.monotonic() - started < 2
        assert status == 502
        assert b"Service temporarily unavailable" in body and b"nginx" not in body
        assert headers["Strict-Transport-Security"]
    finally:
        host.run("systemctl start webstack-app.socket webstack-app.service")


def test_json_access_log_has_request_id_upstream_and_timings(host):
    seen = get_json("/api/whoami")
    rid = seen["request_id"]

    def logged():
        for line in host.file("/var/log/nginx/webstack-access.log").content_string.splitlines():
            entry = json.loads(line)
            if entry["request_id"] == rid:
                return entry
        return None

    deadline = time.monotonic() + 5
    while (entry := logged()) is None and time.monotonic() < deadline:
        time.sleep(0.3)
    assert entry, "request id not in the access log"
    assert entry["status"] == 200 and entry["uri"] == "/api/whoami"
    assert entry["upstream"] and float(entry["upstream_time"]) >= 0
    rotate = host.run("logrotate -d /etc/logrotate.d/nginx")
    assert "/var/log/nginx/*.log" in rotate.stdout + rotate.stderr


def test_tls_is_mozilla_intermediate_compliant(host, tmp_path):
    cert = host.file("/etc/nginx/tls/webstack-edge.crt").content_string
    out = sslyze_compliance(NAME, container_ip(EDGE), cert, tmp_path)
    print(out[-3000:])
    assert "OK - Compliant" in out, out[-3000:]


def test_gixy_finds_nothing_in_the_rendered_config(tmp_path):
    rc, out = gixy_findings(EDGE, tmp_path)
    print(out[-3000:])
    assert rc == 0 and "No issues found" in out, out[-3000:]


def test_second_converge_changes_nothing_and_keeps_the_process(host):
    before = main_pid(host)
    rc, out, recap = run_playbook(NGINX_PLAYBOOK, limit=EDGE)
    assert rc == 0 and recap[EDGE]["changed"] == 0, out[-3000:]
    assert main_pid(host) == before


def test_check_diff_on_the_converged_host_changes_nothing(host):
    rc, out, recap = run_playbook(NGINX_PLAYBOOK, limit=EDGE, options=["--check", "--diff"])
    assert rc == 0 and recap[EDGE]["changed"] == 0 and recap[EDGE]["failed"] == 0, out[-3000:]


def test_a_config_change_reloads_without_a_restart(host):
    before = main_pid(host)
    try:
        rc, out, _ = run_playbook(NGINX_PLAYBOOK, {"nginx_static_max_age": 600}, limit=EDGE)
        assert rc == 0, out[-3000:]
        assert request("GET", "/static/style.css")[1]["Cache-Control"] == "public, max-age=600"
        assert main_pid(host) == before
    finally:
        rc, out, _ = run_playbook(NGINX_PLAYBOOK, limit=EDGE)
        assert rc == 0, out[-3000:]


def test_an_invalid_config_never_goes_live(host):
    """A value the argument spec accepts but nginx rejects: the validator stops it, nginx keeps serving."""
    before = host.file("/etc/nginx/nginx.conf").content_string
    rc, out, recap = run_playbook(NGINX_PLAYBOOK, {"nginx_worker_connections": 0}, limit=EDGE)
    assert rc != 0 and recap[EDGE]["failed"] == 1
    assert "worker_connections" in out, out[-3000:]
    assert host.file("/etc/nginx/nginx.conf").content_string == before
    assert request("GET", "/api/health")[0] == 200


def test_another_default_server_is_named_before_anything_changes(host):
    """Two default servers on one port would make nginx refuse the whole configuration."""
    host.run("printf 'server {\\n    listen 8383 default_server;\\n    return 404;\\n}\\n' > /etc/nginx/conf.d/other.conf")
    try:
        before = main_pid(host)
        rc, out, recap = run_playbook(NGINX_PLAYBOOK, limit=EDGE)
        assert rc != 0 and "nginx_default_server" in out and "conf.d/other.conf" in out, out[-2000:]
        assert recap[EDGE]["changed"] == 0 and main_pid(host) == before
        rc, out, recap = run_playbook(NGINX_PLAYBOOK, {"nginx_default_server": "none"}, limit=EDGE,
                                      options=["--check"])
        assert rc == 0, out[-2000:]
    finally:
        host.run("rm -f /etc/nginx/conf.d/other.conf")


@input_checks_once()
@pytest.mark.parametrize(
    "bad_vars, named",
    [
        ({"nginx_https_port": 70000}, "nginx_https_port"),
        ({"nginx_tls_certificate_source": "letsencrypt"}, "nginx_tls_certificate_source"),
        ({"nginx_client_max_body_size": "ten megabytes"}, "nginx_client_max_body_size"),
        # The scenario's sites set their own routes and names: a site that inherits the role-wide value.
        ({"nginx_routes": [{"path": "/x/", "upstream": "nowhere"}], "nginx_sites": [{"name": "a"}]}, "nginx_routes"),
        ({"nginx_routes": [{"path": "/x/", "upstream": "app", "rate_limit": "fast"}], "nginx_sites": [{"name": "a"}]},
         "nginx_routes"),
        ({"nginx_upstreams": [{"name": "app", "servers": ["http://10.0.0.1:8000"]}]}, "nginx_upstreams"),
        ({"nginx_server_names": ["bad name!"], "nginx_sites": [{"name": "a"}]}, "nginx_server_names"),
        ({"nginx_default_server": "everyone"}, "nginx_default_server"),
        ({"nginx_security_headers": {"X-Test": "a\nadd_header X-Injected 1"}}, "nginx_security_headers"),
        ({"nginx_sites": [{"name": "a", "server_names": ["a.test"]}, {"name": "a", "server_names": ["b.test"]}]},
         "nginx_sites: the name a is used twice"),
        ({"nginx_sites": [{"name": "a", "server_names": ["x.test"]}, {"name": "b", "server_names": ["x.test"]}]},
         "nginx_sites: the server name x.test is in sites a and b"),
        ({"nginx_sites": [{"name": "Shop!", "server_names": ["x.test"]}]}, "nginx_sites: the name 'Shop!' is not a slug"),
        ({"nginx_sites": [{"name": "a", "server_name": ["x.test"]}]}, "server_name"),
        ({"nginx_sites": [{"name": "a", "server_names": ["a.test"], "routes": [{"path": "/", "upstream": "x"}]}]},
         "nginx_sites a: routes entry"),
    ],
)
def test_bad_input_fails_naming_the_variable_and_changes_nothing(host, bad_vars, named):
    before = main_pid(host)
    rc, out, recap = run_playbook(NGINX_PLAYBOOK, bad_vars, limit=EDGE)
    assert rc != 0
    assert named in out, out[-2000:]
    assert recap[EDGE]["changed"] == 0 and recap[EDGE]["failed"] == 1
    assert main_pid(host) == before
    assert request("GET", "/api/health")[0] == 200


@input_checks_once()
def test_a_bad_entry_is_told_only_the_rule_it_breaks(host):
    """An upstream whose only fault is a hyphen in its name hears about the name, not about every rule."""
    bad = {"nginx_upstreams": [{"name": "dummy-backend", "servers": ["127.0.0.1:8000"]}],
           "nginx_routes": [{"path": "/", "upstream": "dummy-backend"}], "nginx_sites": [{"name": "a"}]}
    rc, out, recap = run_playbook(NGINX_PLAYBOOK, bad, limit=EDGE)
    assert rc != 0 and recap[EDGE]["changed"] == 0
    failure = re.search(r"^\[ERROR\]: Task failed: Action failed: (.*)$", out, re.M).group(1)
    assert "dummy-backend" in failure and "the name must be a letter" in failure, failure[:2000]
    for other_rule in ("servers", "keepalive", "max_fails", "fail_timeout"):
        assert other_rule not in failure, failure[:2000]


@release_independent()
def test_a_policy_rc_d_left_by_an_interrupted_run_goes_and_an_operators_stays(host):
    assert_stale_policy_rc_d_goes(host, "nginx", NGINX_PLAYBOOK, EDGE)
