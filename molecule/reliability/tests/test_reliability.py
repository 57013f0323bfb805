"""What operators fear most, measured on the chained stack on one host: each test prints its figure
(lines starting with FIGURE) and fails when the target is missed. The README's "Reliability and
security" section quotes these figures; `make molecule SCENARIO=reliability` reproduces them."""

import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from webstack_stack_tests import FRONT, SERVER_NAME, SITE, front_door, runner_ip
from webstack_testlib import (
    APP_SERVICE, APP_UNITS, PROJECT_DIR, container_ip, docker, gixy_findings, run_playbook, sslyze_compliance,
)

JOURNAL_UNITS = ["nginx.service", "apache2.service", *APP_UNITS]
APP = APP_SERVICE


def figure(name, value):
    print(f"FIGURE {name}: {value}")


def sh(command, check=True):
    """Run a shell command on the stack host; returns stdout."""
    proc = docker("exec", FRONT, "sh", "-c", command, check=False)
    assert not check or proc.returncode == 0, f"{command}: {proc.stderr}"
    return proc.stdout


def raw_tls(data, read_for=3.0):
    """Send raw bytes to the front door over TLS (HTTP/1.1) and return all it answers within read_for s."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    chunks = []
    with socket.create_connection((container_ip(FRONT), 443), timeout=read_for) as raw:
        with ctx.wrap_socket(raw, server_hostname=SERVER_NAME) as sock:
            sock.sendall(data)
            deadline = time.monotonic() + read_for
            try:
                while time.monotonic() < deadline and (chunk := sock.recv(65536)):
                    chunks.append(chunk)
            except (socket.timeout, ssl.SSLError, ConnectionResetError):
                pass
    return b"".join(chunks).decode("latin1")


# 1. TLS and headers ----------------------------------------------------------------------------------

def test_tls_is_mozilla_intermediate_compliant(tmp_path):
    out = sslyze_compliance(SERVER_NAME, container_ip(FRONT), sh("cat /etc/nginx/tls/webstack-default.crt"), tmp_path)
    figure("sslyze mozilla intermediate", "OK - Compliant" if "OK - Compliant" in out else "NOT compliant")
    assert "OK - Compliant" in out, out[-3000:]


def test_hsts_is_two_years_and_no_server_names_a_version():
    _, headers, _ = front_door("GET", "/api/health")
    max_age = int(re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"]).group(1))
    apache = sh("curl -sI http://127.0.0.1:8080/")
    apache_server = re.search(r"^Server: (.*?)\r?$", apache, re.M | re.I).group(1)
    figure("HSTS max-age", max_age)
    figure("Server headers", f"nginx={headers['Server']!r} apache={apache_server!r}")
    assert max_age >= 63072000
    assert headers["Server"] == "nginx" and apache_server == "Apache"


def test_trace_is_refused_at_the_front_door_and_at_apache():
    front = raw_tls(f"TRACE / HTTP/1.1\r\nHost: {SERVER_NAME}\r\nConnection: close\r\n\r\n".encode())
    apache = sh("curl -s -o /dev/null -w '%{http_code}' -X TRACE http://127.0.0.1:8080/")
    figure("TRACE", f"front door {front[9:12]}, apache {apache}")
    assert front.startswith("HTTP/1.1 405") and apache == "405"


# 2. and 3. configuration analysis and sandbox --------------------------------------------------------

def test_gixy_finds_nothing(tmp_path):
    rc, out = gixy_findings(FRONT, tmp_path)
    figure("gixy-ng findings", "0" if "No issues found" in out else "some")
    assert rc == 0 and "No issues found" in out, out[-3000:]


def test_app_sandbox_exposure_is_at_most_2():
    out = sh(f"systemd-analyze security --no-pager {APP}.service")
    score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    figure("systemd-analyze exposure", score)
    assert score <= 2.0


# 10. timeout ordering --------------------------------------------------------------------------------

def test_each_proxy_lets_idle_backend_connections_go_before_the_backend_does():
    nginx = sh("cat /etc/nginx/sites-available/webstack-default.conf")
    upstream_idle = [int(v) for v in re.findall(r"^\s*keepalive_timeout (\d+)s;", nginx, re.M)]
    apache_keepalive = int(re.search(r"^KeepAliveTimeout (\d+)", sh("cat /etc/apache2/conf-available/webstack.conf"),
                                     re.M).group(1))
    apache_ttl = [int(v) for v in re.findall(r"ttl=(\d+)", sh("cat /etc/apache2/sites-available/webstack-default.conf"))]
    uvicorn_keepalive = int(re.search(r"--timeout-keep-alive (\d+)", sh(f"cat /etc/systemd/system/{APP}.service"))
                            .group(1))
    figure("idle timeouts (s)", f"nginx->apache {upstream_idle} < apache {apache_keepalive}; "
                                f"apache->app ttl {apache_ttl} < uvicorn {uvicorn_keepalive}")
    assert upstream_idle and max(upstream_idle) < apache_keepalive
    assert apache_ttl and max(apache_ttl) < uvicorn_keepalive


# 8. request smuggling --------------------------------------------------------------------------------

SMUGGLED = "GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n"
PROBES = {
    "Content-Length with Transfer-Encoding":
        f"POST /api/whoami HTTP/1.1\r\nHost: {{h}}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        f"0\r\n\r\n{SMUGGLED}",
    "Transfer-Encoding with a space before the colon":
        f"POST /api/whoami HTTP/1.1\r\nHost: {{h}}\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n"
        f"0\r\n\r\n{SMUGGLED}",
    "Transfer-Encoding twice":
        f"POST /api/whoami HTTP/1.1\r\nHost: {{h}}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
        f"0\r\n\r\n{SMUGGLED}",
    "Transfer-Encoding folded onto a second line":
        f"POST /api/whoami HTTP/1.1\r\nHost: {{h}}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n{SMUGGLED}",
    "Transfer-Encoding on HTTP/1.0":
        f"POST /api/whoami HTTP/1.0\r\nHost: {{h}}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{SMUGGLED}",
    "Content-Length twice":
        f"POST /api/whoami HTTP/1.1\r\nHost: {{h}}\r\nContent-Length: 0\r\nContent-Length: {len(SMUGGLED)}\r\n\r\n"
        f"{SMUGGLED}",
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_smuggling_probe_gets_exactly_one_4xx(probe):
    answer = raw_tls(PROBES[probe].replace("{h}", SERVER_NAME).encode())
    statuses = re.findall(r"^HTTP/1\.[01] (\d{3})", answer, re.M)
    figure(f"smuggling probe '{probe}'", statuses)
    assert len(statuses) == 1 and statuses[0].startswith("4"), answer[:500]


# 9. spoofing -----------------------------------------------------------------------------------------

def test_a_forged_forwarded_for_never_becomes_the_client():
    status, _, body = front_door("GET", "/api/whoami", {"X-Forwarded-For": "198.51.100.1, 10.0.0.1"})
    seen = json.loads(body)
    figure("client_ip with a forged X-Forwarded-For", seen["client_ip"])
    assert status == 200 and seen["client_ip"] == runner_ip()


# 5. backend faults -----------------------------------------------------------------------------------

def main_pid():
    return int(sh(f"systemctl show -p MainPID --value {APP}.service").strip())


def test_kill_9_answers_within_2s_and_is_back_within_3s():
    answers, recoveries = [], []
    for _ in range(5):
        before = main_pid()
        sh(f"kill -9 {before}")
        started = time.monotonic()
        try:
            status, _, body = front_door("GET", "/api/health")
        except OSError as err:
            status, body = f"error {err}", b""
        answered = time.monotonic() - started
        answers.append((status, round(answered, 2)))
        assert answered < 2, f"the front door took {answered:.1f} s"
        assert status in (200, 502, 503), status
        if status != 200:
            assert b"Service temporarily unavailable" in body
        while front_door("GET", "/api/health")[0] != 200:
            assert time.monotonic() - started < 3, "not back within 3 s"
            time.sleep(0.05)
        recoveries.append(round(time.monotonic() - started, 2))
        deadline = time.monotonic() + 5
        while main_pid() in (0, before) and time.monotonic() < deadline:
            time.sleep(0.1)
    figure("kill -9 x5: first answer (status, s)", answers)
    figure("kill -9 x5: back to 200 after (s)", recoveries)
    journal = sh(f"journalctl --no-pager -u {APP}.service -u {APP}.socket")
    assert "address already in use" not in journal.lower()


# 4. reload under load --------------------------------------------------------------------------------

def load(cmd, results, key):
    results[key] = subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout


def parse_ab(out):
    get = lambda label: int((re.search(rf"^{label}:\s+(\d+)", out, re.M) or [0, 0])[1])  # noqa: E731
    return {"complete": get("Complete requests"), "failed": get("Failed requests"), "non_2xx": get("Non-2xx responses")}


def parse_wrk(out):
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": requests, "socket_errors": sum(map(int, errors.groups())) if errors else 0,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def test_reload_and_restart_under_load_drop_nothing(tmp_path_factory):
    app = tmp_path_factory.mktemp("app")
    shutil.copytree(Path(PROJECT_DIR, "roles/uvicorn/files/sample_app/webstack_sample"), app / "webstack_sample",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = app / "webstack_sample" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "1.0.0"', '__version__ = "1.0.2-under-load"'))
    changes = {"nginx_static_max_age": 601, "apache_proxy_timeout": 59,
               "uvicorn_app_source": "directory", "uvicorn_app_directory": str(app)}
    url = f"https://{container_ip(FRONT)}/api/health"
    seconds = 45
    results = {}
    threads = [
        threading.Thread(target=load, args=(["ab", "-q", "-l", "-t", str(seconds), "-n", "10000000", "-c", "4", "-s", "10",
                                             "-H", f"Host: {SERVER_NAME}", url], results, "ab")),
        threading.Thread(target=load, args=(["wrk", "-t", "1", "-c", "8", "-d", f"{seconds}s",
                                             "-H", f"Host: {SERVER_NAME}", url], results, "wrk")),
    ]
    for t in threads:
        t.start()
    try:
        time.sleep(3)
        rc, out, recap = run_playbook(SITE, changes)
        for t in threads:
            t.join()
        assert rc == 0, out[-3000:]
        assert recap[FRONT]["changed"] >= 3, out[-3000:]
        assert json.loads(front_door("GET", "/api/health")[2])["version"] == "1.0.2-under-load"
        ab, wrk = parse_ab(results["ab"]), parse_wrk(results["wrk"])
        figure("reload under load, ab (no keep-alive)", ab)
        figure("reload under load, wrk (keep-alive)", wrk)
        assert ab["complete"] > 100 and ab["failed"] == 0 and ab["non_2xx"] == 0, results["ab"]
        assert wrk["requests"] > 100 and wrk["non_2xx"] == 0, results["wrk"]
        assert wrk["socket_errors"] == 0, results["wrk"]
    finally:
        for t in threads:
            t.join()
        rc, out, _ = run_playbook(SITE)
        assert rc == 0, out[-3000:]


# 6. bad config ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_vars, message", [
    ({"nginx_worker_connections": 0}, "worker_connections"),
    ({"apache_request_read_timeout": "header=40-20"}, "RequestReadTimeout"),
])
def test_an_invalid_config_fails_with_the_validator_message_and_the_old_one_serves(bad_vars, message):
    assert front_door("GET", "/api/health")[0] == 200
    rc, out, recap = run_playbook(SITE, bad_vars)
    figure(f"invalid config {bad_vars}", f"rc={rc}, validator said {message!r}: {message in out}")
    assert rc != 0 and message in out, out[-3000:]
    assert front_door("GET", "/api/health")[0] == 200


# 7. bad input to the site playbook -------------------------------------------------------------------

@pytest.mark.parametrize("bad_vars, named", [
    ({"webstack_topology": "chain"}, "webstack_topology"),
    ({"webstack_address": "web-1"}, "webstack_address"),
    ({"uvicorn_workers": "many"}, "uvicorn_workers"),
    ({"apache_listen_port": 443}, "apache_listen_port"),
    ({"nginx_https_port": 70000}, "nginx_https_port"),
    ({"nginx_tls_certificate_source": "letsencrypt"}, "nginx_tls_certificate_source"),
    ({"apache_routes": [{"path": "api", "backend": "app"}]}, "apache_routes"),
    # A variable the topology decides: the playbook would override it, so it refuses it instead.
    ({"uvicorn_bind": "tcp"}, "uvicorn_bind"),
    ({"webstack_firewall_extra_sources": ["10.0.0.300"]}, "webstack_firewall_extra_sources entry '10.0.0.300'"),
    # Valid changes for the first tiers, a bad value for the last: nothing may change before it is found.
    ({"uvicorn_workers": 3, "apache_proxy_timeout": 58, "nginx_https_port": 70000}, "nginx_https_port"),
    ({"uvicorn_workers": 3, "nginx_routes": [{"path": "/x/", "upstream": "nowhere"}]}, "nginx_routes"),
])
def test_bad_input_stops_the_site_playbook_and_changes_nothing(bad_vars, named):
    rc, out, recap = run_playbook(SITE, bad_vars)
    figure(f"bad input {bad_vars}", f"rc={rc}, names {named}: {named in out}, changed={recap[FRONT]['changed']}")
    assert rc != 0 and named in out, out[-2000:]
    assert recap[FRONT]["changed"] == 0 and recap[FRONT]["failed"] == 1
