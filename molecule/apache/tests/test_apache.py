"""The apache role, seen from outside: requests from the test runner (a named front proxy) and from a
stranger container through Apache to the uvicorn backends, PHP, basic auth and .htaccess from the
document root, and what a bad variable or a re-run does to the running server."""

import base64
import os
import socket

import pytest
from webstack_role_tests import *  # noqa: F401,F403  (pytest collects the shared tests from here)
from webstack_role_tests import RoleUnderTest, assert_refused
from webstack_testlib import (
    assert_stale_policy_rc_d_goes, container_ip, docker, http_get, http_json, input_checks_once, release_independent,
    run_playbook, runs_a_secret_goes_through, secret_leaks,
)

testinfra_hosts = ["ansible://apache-front"]
JOURNAL_UNITS = ["apache2.service", "webstack-app.service", "php8.2-fpm.service", "php8.4-fpm.service"]
APACHE_PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "apache.yml")
FRONT = "apache-front"


def url(path):
    return f"http://{container_ip(FRONT)}:8080{path}"


def main_pid(host):
    return host.run("systemctl show -p MainPID --value apache2.service").stdout.strip()


@pytest.fixture
def role_under_test(host):
    """For the tests of webstack_role_tests: Apache on apache-front, a timeout change, an invalid timeout."""
    site_conf = "/etc/apache2/sites-available/webstack-front.conf"
    return RoleUnderTest(
        playbook=APACHE_PLAYBOOK, name=FRONT, main_pid=lambda: main_pid(host),
        serving=lambda: http_json(url("/api/health"))["status"] == "ok",
        change={"apache_proxy_timeout": 59}, changed=lambda: "timeout=59" in host.file(site_conf).content_string,
        invalid={"apache_request_read_timeout": "header=40-20"}, invalid_named="RequestReadTimeout",
        config_files=[site_conf, "/etc/apache2/conf-available/webstack.conf"],
        read=lambda path: host.file(path).content_string,
    )


def raw_request(data):
    """Send bytes to Apache and return everything it answers before closing."""
    with socket.create_connection((container_ip(FRONT), 8080), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin1")


def test_listens_on_its_port_and_leaves_the_operators_ports(host):
    """prepare.yml installed Apache before the role did, so ports.conf and its Listen 80 are the operator's."""
    assert host.socket("tcp://0.0.0.0:8080").is_listening
    assert host.socket("tcp://0.0.0.0:80").is_listening and host.socket("tcp://0.0.0.0:8181").is_listening
    assert "Listen 0.0.0.0:8080" in host.file("/etc/apache2/conf-available/webstack.conf").content_string
    assert host.service("apache2").is_enabled


def test_the_needed_modules_are_enabled_and_nobody_elses_are_touched(host):
    mods = set(host.run("apache2ctl -M").stdout.split())
    for needed in ("mpm_event_module", "proxy_module", "proxy_http_module", "proxy_balancer_module",
                   "proxy_fcgi_module", "remoteip_module", "headers_module", "auth_basic_module",
                   "rewrite_module"):  # rewrite: apache_extra_modules
        assert needed in mods
    # expires is the other vhost's; autoindex and status came with the package: all stay as they were.
    for left_alone in ("expires_module", "autoindex_module", "status_module"):
        assert left_alone in mods
    assert "mpm_prefork_module" not in mods and "php_module" not in mods
    assert sorted(host.file("/etc/apache2/sites-enabled").listdir()) == [
        "000-default.conf", "foreign.conf", "webstack-front.conf", "webstack-legacy.conf"]


def test_the_other_vhosts_answer_exactly_as_before(host):
    assert host.run("sha256sum -c /root/foreign.sha256").rc == 0
    status, headers, body = http_get(f"http://{container_ip(FRONT)}:8181/")
    assert status == 200 and body == "foreign vhost\n"
    assert headers["Cache-Control"] == "max-age=3600"  # mod_expires, which the stack does not use
    status, _, body = http_get(f"http://{container_ip(FRONT)}/")
    assert status == 200 and "Apache2 Debian Default Page" in body


def test_proxied_request_keeps_host_and_forwarded_headers():
    """The test runner is a named front proxy: its X-Forwarded-* and request id are passed on."""
    seen = http_json(url("/api/whoami"), headers={
        "Host": "shop.example.test", "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https", "X-Request-ID": "rid-molecule-1",
    })
    assert seen["host"] == "shop.example.test"
    assert seen["client_ip"] == "203.0.113.9"
    assert seen["scheme"] == "https"
    assert seen["request_id"] == "rid-molecule-1"
    assert seen["headers"]["x-forwarded-for"] == "203.0.113.9"


def test_apache_makes_a_request_id_when_none_arrives():
    first = http_json(url("/api/whoami"))["request_id"]
    second = http_json(url("/api/whoami"))["request_id"]
    assert first and second and first != second


def test_a_stranger_cannot_forge_client_or_scheme():
    """From a container that is not a named proxy, on both backends (UNIX socket and TCP)."""
    stranger = container_ip("apache-app")
    served_by = set()
    for _ in range(6):
        out = docker("exec", "apache-app", "curl", "-sf", "-H", "X-Forwarded-For: 198.51.100.66",
                     "-H", "X-Forwarded-Proto: https", url("/api/whoami")).stdout
        seen = __import__("json").loads(out)
        assert seen["client_ip"] == stranger, seen
        assert seen["scheme"] == "http", seen
        served_by.add(seen["served_by"])
    assert served_by == {"apache-front", "apache-app"}


def test_balancer_reaches_both_backends_and_the_unix_route_only_the_local_one():
    served = {http_json(url("/api/whoami"))["served_by"] for _ in range(8)}
    assert served == {"apache-front", "apache-app"}
    # /api/health is routed to the single UNIX-socket backend on apache-front.
    assert {http_json(url("/api/health"))["host"] for _ in range(4)} == {"apache-front"}


def test_access_log_names_client_peer_and_request_id(host):
    http_json(url("/api/whoami"), headers={"X-Request-ID": "rid-log-check", "X-Forwarded-For": "203.0.113.10"})
    log = host.file("/var/log/apache2/webstack-access.log").content_string
    line = next(line for line in log.splitlines() if "rid=rid-log-check" in line)
    assert line.startswith("203.0.113.10 ")


def test_php_answers_through_php_fpm():
    seen = http_json(url("/index.php"), headers={"X-Forwarded-For": "203.0.113.11"})
    assert seen["tier"] == "php"
    assert seen["client_ip"] == "203.0.113.11"
    status, headers, body = http_get(url("/"))
    assert status == 200 and '"tier":"php"' in body


def test_php_is_not_run_for_files_that_do_not_exist():
    status, _, _ = http_get(url("/missing.php"))
    assert status == 404


def test_basic_auth_refuses_without_and_accepts_with_credentials():
    status, headers, _ = http_get(url("/private/"))
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="Molecule private area"'
    wrong = base64.b64encode(b"alice:wrong").decode()
    assert http_get(url("/private/"), headers={"Authorization": f"Basic {wrong}"})[0] == 401
    for user, password in (("alice", "correct horse battery"), ("bob", "b0b-secret")):
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        status, _, body = http_get(url("/private/"), headers={"Authorization": f"Basic {token}"})
        assert status == 200 and body == "private page\n", user


def test_each_site_answers_its_names_from_its_own_root_and_users():
    status, _, body = http_get(url("/"), headers={"Host": "legacy.test"})
    assert status == 200 and "webstack.tiers" in body and '"tier":"php"' not in body  # legacy: no PHP
    assert http_get(url("/api/health"), headers={"Host": "legacy.test"})[0] == 404  # legacy: no routes
    assert http_json(url("/api/health"), headers={"Host": "www.apache-front.test"})["status"] == "ok"
    for user, password, host, expected in (("carol", "carol-only", "legacy.test", 200),
                                           ("alice", "correct horse battery", "legacy.test", 401),
                                           ("carol", "carol-only", "apache-front.test", 401)):
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        status = http_get(url("/private/"), headers={"Host": host, "Authorization": f"Basic {token}"})[0]
        assert status == expected, (user, host, status)


def test_a_site_is_added_and_removed_and_php_turned_off_and_on_while_the_others_keep_serving(host):
    """A third site comes and goes with reloads only, and php-fpm is left alone. Then PHP is turned off on every
    site: the role's php-fpm pool goes (php-fpm reloaded; Debian's own pool is not the role's). The last run
    puts the sites back as they were, PHP included."""
    sites = host.ansible.get_variables()["apache_sites"]
    blog = {"name": "blog", "server_names": ["blog.test"], "routes": [{"path": "/api/", "backend": "local"}]}
    gone = dict(blog, state="absent")
    files = ["/etc/apache2/sites-available/webstack-blog.conf", "/etc/apache2/sites-enabled/webstack-blog.conf"]

    def pool_workers():
        # The bracket keeps pgrep from finding the shell that runs it.
        return sorted(host.run("pgrep -f 'php-fpm: pool [w]ebstack'").stdout.split())

    before, workers = main_pid(host), pool_workers()
    assert workers
    try:
        rc, out, _ = run_playbook(APACHE_PLAYBOOK, {"apache_sites": sites + [blog]}, limit=FRONT)
        assert rc == 0, out[-3000:]
        assert all(host.file(f).exists for f in files)
        assert host.file("/var/www/webstack-blog/index.html").exists
        assert http_json(url("/api/whoami"), headers={"Host": "blog.test"})["served_by"] == "apache-front"

        rc, out, _ = run_playbook(APACHE_PLAYBOOK, {"apache_sites": sites + [gone]}, limit=FRONT)
        assert rc == 0, out[-3000:]
        assert not any(host.file(f).exists for f in files)
        assert "blog.test" not in host.run("apache2ctl -S").stdout
        assert http_get(url("/"), headers={"Host": "legacy.test"})[0] == 200
        assert http_json(url("/api/health"))["status"] == "ok"
        assert main_pid(host) == before  # reloads only
        assert pool_workers() == workers, "php-fpm was reloaded, though its pool did not change"

        rc, out, _ = run_playbook(APACHE_PLAYBOOK, {"apache_sites": [dict(site, php_enabled=False) for site in sites]
                                                    + [gone]}, limit=FRONT)
        assert rc == 0, out[-3000:]
        assert host.run("ls /etc/php/*/fpm/pool.d/webstack.conf").rc != 0
        assert pool_workers() == [], "php-fpm still runs the removed pool: it was not reloaded"
        assert http_json(url("/api/health"))["status"] == "ok"
        assert main_pid(host) == before
    finally:
        rc, out, _ = run_playbook(APACHE_PLAYBOOK, {"apache_sites": sites + [gone]}, limit=FRONT)
    assert rc == 0, out[-3000:]
    assert pool_workers()
    assert http_json(url("/index.php"))["tier"] == "php"
    assert main_pid(host) == before


def test_htpasswd_holds_hashes_not_passwords(host):
    f = host.file("/etc/apache2/webstack-front.htpasswd")
    assert f.mode == 0o640 and f.group == "www-data"
    assert "b0b-secret" not in f.content_string and "bob:$6$" in f.content_string


def test_php_runs_as_its_own_user_and_cannot_read_the_password_file(host):
    """Apache reads the basic auth files as www-data; PHP must not, or any script could copy the hashes."""
    probe = "/var/www/webstack/webstack-probe.php"
    host.run(f"""cat > {probe} <<'EOF'
<?php echo posix_getpwuid(posix_geteuid())['name'], ' ',
    is_readable('/etc/apache2/webstack-front.htpasswd') ? 'readable' : 'unreadable';
EOF""")
    try:
        status, _, body = http_get(url("/webstack-probe.php"))
        assert (status, body) == (200, "webstack-php unreadable")
    finally:
        host.run(f"rm -f {probe}")


def hashes(host):
    lines = host.file("/etc/apache2/webstack-front.htpasswd").content_string.splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith("#"))


def basic_auth_status(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return http_get(url("/private/"), headers={"Authorization": f"Basic {token}"})[0]


@release_independent()
def test_a_password_changed_and_back_gets_a_new_random_salt_and_is_never_shown(host):
    """Salts are random, not derived from names: the same password set again hashes differently. A hash stays
    while its password does (--check --diff here, and the idempotence step), and no password is printed by a
    converge, --check --diff or a failing run at -v, logged, or left where another user could read it."""
    sites = host.ansible.get_variables()["apache_sites"]
    changed = [dict(site, basic_auth_users=[dict(u, password="MARKER-pw-77e1") if u["name"] == "bob" else u
                                            for u in site.get("basic_auth_users", [])]) for site in sites]
    before = hashes(host)

    def took():
        assert (basic_auth_status("bob", "MARKER-pw-77e1"), basic_auth_status("bob", "b0b-secret")) == (200, 401)
        assert hashes(host)["alice"] == before["alice"]

    outputs = []
    try:
        outputs = runs_a_secret_goes_through(APACHE_PLAYBOOK, FRONT, {"apache_sites": changed},
                                             refused=[({"apache_listen_port": 80}, "apache_listen_port")],
                                             after_converge=took)
    finally:
        rc, out, _ = run_playbook(APACHE_PLAYBOOK, limit=FRONT, options=["-v"])
        outputs.append(out)
    assert rc == 0, out[-3000:]
    assert basic_auth_status("bob", "b0b-secret") == 200
    assert hashes(host)["bob"] != before["bob"]
    assert secret_leaks(host, "MARKER-pw-77e1|b0b-secret|correct horse battery", outputs) == {}


def test_htaccess_is_honoured_where_allowed():
    status, headers, _ = http_get(url("/htaccess/"))
    assert status == 200 and headers.get("X-Webstack-Htaccess") == "applied"
    status, _, body = http_get(url("/htaccess/pretty-url"))
    assert status == 200 and body == "htaccess page\n"


def test_no_directory_listing_no_version_no_trace(host):
    host.run("mkdir -p /var/www/webstack/listing && touch /var/www/webstack/listing/a.txt")
    status, headers, body = http_get(url("/listing/"))
    assert status in (403, 404) and "a.txt" not in body  # 404: no autoindex module at all
    assert headers["Server"] == "Apache"
    assert "Apache/" not in body
    answer = raw_request(b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith("HTTP/1.1 405"), answer[:200]


def test_bad_request_line_is_refused():
    answer = raw_request(b"GET /  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith("HTTP/1.1 400"), answer[:200]


@input_checks_once()
@pytest.mark.parametrize(
    "bad_vars, named",
    [
        ({"apache_listen_port": 443}, "apache_listen_port"),
        ({"apache_listen_port": "eighty"}, "apache_listen_port"),
        ({"apache_log_level": "loud"}, "apache_log_level"),
        ({"apache_routes": [{"path": "api", "backend": "app"}]}, "apache_routes"),
        ({"apache_routes": [{"path": "/x/", "backend": "nowhere"}]}, "apache_routes"),
        ({"apache_backends": [{"name": "app", "servers": ["ftp://10.0.0.1"]}]}, "apache_backends"),
        ({"apache_trusted_proxies": ["everyone"]}, "apache_trusted_proxies"),
        ({"apache_allow_override": ["Everything"]}, "apache_allow_override"),
        ({"apache_extra_modules": ["no_such_module"]}, "apache_extra_modules"),
        ({"apache_sites": [{"name": "a", "server_names": ["a.test"]}, {"name": "a", "server_names": ["b.test"]}]},
         "apache_sites: the name a is used twice"),
        ({"apache_sites": [{"name": "a", "server_names": ["x.test"]}, {"name": "b", "server_names": ["x.test"]}]},
         "apache_sites: the server name x.test is in sites a and b"),
        ({"apache_sites": [{"name": "Legacy Site"}]}, "apache_sites: the name 'Legacy Site' is not a slug"),
        ({"apache_sites": [{"name": "a", "documentroot": "/srv/a"}]}, "documentroot"),
        ({"apache_sites": [{"name": "a", "routes": [{"path": "/", "backend": "nowhere"}]}]},
         "apache_sites a: routes entry"),
    ],
)
def test_bad_input_fails_naming_the_variable_and_changes_nothing(role_under_test, bad_vars, named):
    assert_refused(role_under_test, bad_vars, named)


@release_independent()
def test_what_an_interrupted_run_or_an_earlier_version_left_goes_and_the_operators_stays(host):
    """Besides the policy-rc.d: earlier versions wrote the role's Listen into ports.conf. The role's Listen is
    in webstack.conf now, and Apache refuses the same address twice, so the old one is retired and the rest of
    the operator's ports.conf is left as it was."""
    ports = "/etc/apache2/ports.conf"
    before = host.file(ports).content_string
    try:
        host.run(f"printf '# One internal listener; the public ports belong to nginx.\\nListen 0.0.0.0:8080\\n'"
                 f" >> {ports}")
        assert_stale_policy_rc_d_goes(host, "apache", APACHE_PLAYBOOK, FRONT)
        after = host.file(ports).content_string
        assert after == before + "# webstack.tiers.apache keeps its Listen in conf-available/webstack.conf.\n"
        assert http_json(url("/api/health"))["status"] == "ok"
    finally:
        host.run("printf '%%s' %s > %s", before, ports)
