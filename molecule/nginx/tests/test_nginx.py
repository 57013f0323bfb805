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
import threading
import time

import pytest
from webstack_role_tests import *  # noqa: F401,F403  (pytest collects the shared tests from here)
from webstack_role_tests import RoleUnderTest, assert_refused
from webstack_testlib import (
    APP_SERVICE, APP_UNITS, assert_stale_policy_rc_d_goes, assert_unknown_names_refused, container_ip,
    gixy_findings, input_checks_once, insecure_tls_context, peer_certificate, peer_certificate_names,
    release_independent, run_playbook, runs_a_secret_goes_through, secret_leaks, sslyze_compliance, web_request,
)

testinfra_hosts = ["ansible://nginx-edge"]
JOURNAL_UNITS = ["nginx.service", f"{APP_SERVICE}.service"]
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


@pytest.fixture
def role_under_test(host):
    """For the tests of webstack_role_tests: nginx on nginx-edge, a cache header change, an invalid setting."""
    return RoleUnderTest(
        playbook=NGINX_PLAYBOOK, name=EDGE, main_pid=lambda: main_pid(host),
        serving=lambda: request("GET", "/api/health")[0] == 200,
        change={"nginx_static_max_age": 600},
        changed=lambda: request("GET", "/static/style.css")[1]["Cache-Control"] == "public, max-age=600",
        invalid={"nginx_worker_connections": 0}, invalid_named="worker_connections",
        config_files=["/etc/nginx/nginx.conf"], read=lambda path: host.file(path).content_string,
    )


def test_plain_http_redirects_to_https_except_acme_challenges():
    status, headers, _ = request("GET", "/api/whoami?x=1", tls=False)
    assert status == 301 and headers["Location"] == f"https://{NAME}/api/whoami?x=1"
    status, _, body = request("GET", "/.well-known/acme-challenge/molecule-token", tls=False)
    assert status == 200 and body == b"token-for-molecule\n"


def test_names_the_site_does_not_serve_are_refused():
    assert_unknown_names_refused(container_ip(EDGE), NAME)


def served_certificate_names(server_name):
    """The DNS names of the certificate the edge presents for server_name (SNI)."""
    return peer_certificate_names(container_ip(EDGE), server_name)


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
    # a link removed by hand comes back with the run that adds blog
    shop_link = host.file("/etc/nginx/sites-enabled/webstack-shop.conf")
    host.run(f"rm {shop_link.path}")
    try:
        rc, out, _ = run_playbook(NGINX_PLAYBOOK, {"nginx_sites": sites + [blog]}, limit=EDGE)
        assert rc == 0, out[-3000:]
        assert all(host.file(f).exists for f in files)
        assert shop_link.linked_to == "/etc/nginx/sites-available/webstack-shop.conf"
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
    except BaseException:
        # Passing, the test has removed blog already: only a failure leaves it for the tests after this one.
        run_playbook(NGINX_PLAYBOOK, {"nginx_sites": sites + [dict(blog, state="absent")]}, limit=EDGE)
        raise


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
    host.run(f"systemctl stop {' '.join(APP_UNITS)}")
    try:
        started = time.monotonic()
        status, headers, body = request("GET", "/api/health")
        assert time.monotonic() - started < 2
        assert status == 502
        assert b"Service temporarily unavailable" in body and b"nginx" not in body
        assert headers["Strict-Transport-Security"]
    finally:
        host.run(f"systemctl start {' '.join(APP_UNITS)}")


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


def test_check_mode_on_a_host_turning_to_acme_asks_no_ca_and_installs_nothing(host):
    """--check --diff where the sites take their certificates from ACME for the first time: certbot, its
    timer and the role's status command are not there yet, so the run reports what it would do."""
    rc, out, recap = run_playbook(NGINX_PLAYBOOK, {"nginx_tls_certificate_source": "acme"}, limit=EDGE,
                                  options=["--check", "--diff"])
    assert rc == 0, out[-3000:]
    assert recap[EDGE]["changed"] > 0
    assert not host.package("certbot").is_installed
    assert not host.file("/usr/local/sbin/webstack-cert-status").exists


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
        ({"nginx_static_source": "/no/such/webstack-static"}, "nginx_static_source '/no/such/webstack-static' is not a"),
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
def test_bad_input_fails_naming_the_variable_and_changes_nothing(role_under_test, bad_vars, named):
    assert_refused(role_under_test, bad_vars, named)


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


@release_independent()
def test_static_files_follow_their_source_exactly_and_switch_at_once(host, tmp_path_factory):
    """With a static_source the site serves exactly the source's files. A new set goes live at once: no request
    sees some new files and then an old one; a file removed from the source is gone; a re-run changes nothing."""
    sites = host.ansible.get_variables()["nginx_sites"]
    source = tmp_path_factory.mktemp("static")
    names = [f"f{i:03}.txt" for i in range(200)]
    with_source = [dict(site, static_source=str(source)) if site["name"] == "shop" else site for site in sites]

    def write(version, files):
        for old in source.iterdir():
            old.unlink()
        for name in files:
            (source / name).write_text(f"{version}\n")

    def static(name):
        status, _, body = web_request(container_ip(EDGE), "GET", f"/static/{name}", SHOP)
        return status, body.decode().strip() if status == 200 else ""

    seen, stop = [], threading.Event()

    def poll():
        while not stop.is_set():
            for name in names[::7]:
                seen.append(static(name)[1])

    try:
        write("v1", names + ["gone.txt"])
        rc, out, _ = run_playbook(NGINX_PLAYBOOK, {"nginx_sites": with_source}, limit=EDGE)
        assert rc == 0, out[-3000:]
        assert static("f000.txt") == (200, "v1") and static("gone.txt") == (200, "v1")
        assert static("style.css")[0] == 404  # the sample files are not part of the source

        write("v2", names)
        poller = threading.Thread(target=poll)
        poller.start()
        try:
            rc, out, _ = run_playbook(NGINX_PLAYBOOK, {"nginx_sites": with_source}, limit=EDGE)
            time.sleep(1)
        finally:
            stop.set()
            poller.join()
        assert rc == 0, out[-3000:]
        assert "v1" in seen and "v2" in seen, "the poller did not see the switch"
        assert set(seen[seen.index("v2"):]) == {"v2"}, "an old file was served after a new one"
        assert all(static(name) == (200, "v2") for name in names)
        assert static("gone.txt")[0] == 404
        assert host.file("/var/www/webstack-static-shop").is_symlink

        rc, out, recap = run_playbook(NGINX_PLAYBOOK, {"nginx_sites": with_source}, limit=EDGE)
        assert rc == 0 and recap[EDGE]["changed"] == 0, out[-3000:]
    finally:
        host.run("rm -rf /var/www/webstack-static-shop /var/www/webstack-static-shop.releases")
        run_playbook(NGINX_PLAYBOOK, limit=EDGE)


@release_independent()
def test_a_provided_certificate_is_served_and_its_key_never_shown(host):
    """A certificate and key given as text: the site presents exactly that certificate, and the key appears in
    no output of a converge, --check --diff or a failing run at -v, not in the journal, and in no file another
    user can read."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SHOP)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SHOP)]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    sites = [dict(site, tls_certificate_source="provided", tls_key_content=key_pem,
                  tls_certificate_content=cert.public_bytes(serialization.Encoding.PEM).decode())
             if site["name"] == "shop" else site for site in host.ansible.get_variables()["nginx_sites"]]

    def took():
        assert peer_certificate(container_ip(EDGE), SHOP).serial_number == cert.serial_number

    try:
        outputs = runs_a_secret_goes_through(NGINX_PLAYBOOK, EDGE, {"nginx_sites": sites},
                                             refused=[({"nginx_https_port": 70000}, "nginx_https_port")],
                                             after_converge=took)
        # Part of the key's body stands for all of it.
        assert secret_leaks(host, re.escape(key_pem.splitlines()[1][8:48]), outputs) == {}
    finally:
        # The role keeps an existing certificate: without these files it makes its self-signed one again.
        host.run("rm -f /etc/nginx/tls/webstack-shop.crt /etc/nginx/tls/webstack-shop.key")
        run_playbook(NGINX_PLAYBOOK, limit=EDGE)
