"""Helpers for the Molecule verifiers: reach containers from outside, re-run playbooks, read journals."""

import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml

PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
sys.path.insert(0, os.path.join(PROJECT_DIR, "collections"))
from ansible_collections.webstack.tiers.plugins.filter.sites import app_socket_path  # noqa: E402


def role_defaults(role):
    """A role's defaults/main.yml: the tests ask it for ports, names and paths instead of repeating them."""
    with open(os.path.join(PROJECT_DIR, "roles", role, "defaults", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


_UVICORN = role_defaults("uvicorn")
# The default app as the uvicorn role sets it up: its service (and units), its TCP port, and the socket the
# role's own filter derives.
APP_SERVICE = _UVICORN["uvicorn_service_name"]
APP_UNITS = [f"{APP_SERVICE}.socket", f"{APP_SERVICE}.service"]
APP_PORT = _UVICORN["uvicorn_port"]
APP_SOCKET = app_socket_path({"name": "default", "service_name": APP_SERVICE,
                              "socket_path": _UVICORN["uvicorn_socket_path"]})
APACHE_PORT = role_defaults("apache")["apache_listen_port"]


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def container_ip(name):
    """Address of a test container on its scenario network, as the host sees it."""
    out = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name).stdout
    return out.split()[0]


def scenario_containers():
    """Names of the running containers of the current scenario (labelled by molecule/shared/create.yml)."""
    label = f"webstack.scenario=webstack-{os.environ.get('MOLECULE_SCENARIO_NAME', '')}"
    return docker("ps", "--filter", f"label={label}", "--format", "{{.Names}}").stdout.split()


def journal(name, units, lines=40):
    args = ["exec", name, "journalctl", "--no-pager", "-n", str(lines)]
    for unit in units:
        args += ["-u", unit]
    return docker(*args, check=False).stdout


def http_get(url, headers=None, timeout=5):
    """GET without following redirects; returns (status, headers, body text)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


class _NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with a server name of our choosing in the TLS handshake (SNI), as a browser
    sends the name it resolved. Python sends no SNI at all when it connects to an IP address."""

    def __init__(self, ip, port, sni, **kwargs):
        super().__init__(ip, port, **kwargs)
        self.sni = sni

    def connect(self):
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.sni)


def insecure_tls_context(alpn=None):
    """A client context that checks no certificate (the stack's own is self-signed)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def web_request(ip, method, path, host, headers=None, body=None, tls=True, timeout=10, sni=None):
    """One request to ip on 443 (certificate not checked: it is self-signed) or 80, with Host: host.

    Over TLS the handshake names sni (default: host). Never follows redirects; returns
    (status, http.client.HTTPMessage, body bytes).
    """
    if tls:
        conn = _NamedHTTPSConnection(ip, 443, sni or host, timeout=timeout, context=insecure_tls_context())
    else:
        conn = http.client.HTTPConnection(ip, 80, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


class FrontDoorLoad:
    """Requests to the front door from a few threads, each on a keep-alive connection, for as long as the with
    block lasts. Every answer is kept as (seconds since start, status or None, JSON body or None, error).
    With port set, plain HTTP to that port instead; with fresh, a new connection for every request."""

    def __init__(self, ip, server_name, path, threads=4, port=None, fresh=False):
        self.ip, self.server_name, self.path, self.threads = ip, server_name, path, threads
        self.port, self.fresh = port, fresh
        self.answers, self._stop, self._workers = [], threading.Event(), []

    def _connect(self):
        if self.port:
            return http.client.HTTPConnection(self.ip, self.port, timeout=10)
        return _NamedHTTPSConnection(self.ip, 443, self.server_name, timeout=10, context=insecure_tls_context())

    def _run(self):
        conn = None
        while not self._stop.is_set():
            if conn is None:
                conn = self._connect()
            try:
                conn.request("GET", self.path, headers={"Host": self.server_name})
                resp = conn.getresponse()
                body = resp.read()
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                self.answers.append((time.monotonic() - self.start, resp.status, parsed, None))
                if self.fresh or resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as err:
                self.answers.append((time.monotonic() - self.start, None, None, repr(err)))
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def __enter__(self):
        self.start = time.monotonic()
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=15)

    def failures(self):
        """The answers that were not 2xx, or no answer at all."""
        return [a for a in self.answers if a[1] is None or not 200 <= a[1] < 300]

    def longest_gap(self):
        """The longest time, in seconds, between two successive good answers."""
        times = sorted(a[0] for a in self.answers if a[1] is not None and 200 <= a[1] < 300)
        return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def peer_certificate(ip, sni):
    """The certificate (cryptography x509) that nginx at ip shows for the server name sni."""
    from cryptography import x509

    with socket.create_connection((ip, 443), timeout=10) as raw:
        with insecure_tls_context().wrap_socket(raw, server_hostname=sni) as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def peer_certificate_names(ip, sni):
    """The DNS names (subject alternative names) of the certificate nginx at ip shows for the server name sni."""
    from cryptography import x509

    names = peer_certificate(ip, sni).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return names.value.get_values_for_type(x509.DNSName)


def assert_unknown_names_refused(ip, known_name):
    """nginx at ip serves known_name and nothing else. A request for another name gets no HTTP answer (444)
    on port 80, and its TLS handshake is refused. A forged Host on a connection made for the known name
    gets 421 Misdirected Request. None of them reaches an app."""
    unknown = "unknown.webstack.test"
    attempts = {
        "HTTP, unknown Host": dict(host=unknown, tls=False),
        "HTTPS, unknown SNI and Host": dict(host=unknown, tls=True),
        "HTTPS, known SNI, forged Host": dict(host=unknown, tls=True, sni=known_name),
    }
    answered = {}
    for label, how in attempts.items():
        try:
            status, _, body = web_request(ip, "GET", "/api/whoami", timeout=5, **how)
            answered[label] = (status, body[:200])
        except (http.client.RemoteDisconnected, ssl.SSLError, ConnectionResetError):
            answered[label] = "no answer"
    assert answered["HTTP, unknown Host"] == "no answer", answered
    assert answered["HTTPS, unknown SNI and Host"] == "no answer", answered
    misdirected = answered["HTTPS, known SNI, forged Host"]
    assert misdirected[0] == 421 and b"client_ip" not in misdirected[1], answered
    # The same requests with the known name are answered, so the refusals above are about the name alone.
    assert web_request(ip, "GET", "/api/health", known_name, tls=False)[0] == 301
    assert web_request(ip, "GET", "/api/health", known_name)[0] == 200


def connect_from(container, ip, port, timeout=3):
    """Open a TCP connection from inside container to ip:port; returns how it went ('open', 'refused' or the
    error's name) and the seconds it took."""
    code = (
        "import socket, time\n"
        "start = time.monotonic()\n"
        "try:\n"
        f"    socket.create_connection(({ip!r}, {int(port)}), {timeout}).close(); result = 'open'\n"
        "except ConnectionRefusedError:\n"
        "    result = 'refused'\n"
        "except OSError as err:\n"
        "    result = type(err).__name__\n"
        "print(result, round(time.monotonic() - start, 3))\n"
    )
    result, seconds = docker("exec", container, "python3", "-c", code).stdout.split()
    return result, float(seconds)


def http_json(url, headers=None, timeout=5):
    status, _, body = http_get(url, headers, timeout)
    assert status == 200, f"{url} answered {status}: {body[:300]}"
    return json.loads(body)


def wait_for(predicate, timeout, interval=0.1):
    """Poll predicate until it returns a truthy value; returns (value, seconds waited). An answer cut off (a
    process killed while it answered) counts as no answer yet."""
    start = time.monotonic()
    while True:
        try:
            value = predicate()
        except (OSError, AssertionError, urllib.error.URLError, http.client.HTTPException):
            value = None
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None, time.monotonic() - start
        time.sleep(interval)


def run_playbook(playbook, extra_vars=None, limit=None, options=()):
    """Run a playbook against the scenario's inventory, as Molecule's converge does.

    Returns (returncode, output, recap) where recap maps host -> {'changed': n, 'failed': n, ...}.
    """
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], playbook]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if limit:
        cmd += ["--limit", limit]
    cmd += list(options)
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=PROJECT_DIR)
    output = proc.stdout + proc.stderr
    recap = {}
    for host, fields in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", fields)}
    return proc.returncode, output, recap


def inventory():
    """The scenario's inventory as ansible-inventory sees it: {'groups': {...}, 'hostvars': {...}}."""
    out = subprocess.run(
        ["ansible-inventory", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--list"],
        check=True, capture_output=True, text=True, cwd=PROJECT_DIR,
    ).stdout
    data = json.loads(out)
    groups = {name: data.get(name, {}).get("hosts", []) for name in ("nginx", "apache", "uvicorn", "ungrouped")}
    return {"groups": groups, "hostvars": data.get("_meta", {}).get("hostvars", {})}


def _on_debian_12_only(reason):
    import pytest

    release = os.environ.get("WEBSTACK_DEBIAN", "bookworm")
    return pytest.mark.skipif(release != "bookworm", reason=reason)


def input_checks_once():
    """pytest mark: input validation is the same on every release, so it runs on Debian 12 only."""
    return _on_debian_12_only("OS-independent input checks run on Debian 12 only")


def release_independent():
    """pytest mark: behaviour that is the same on every Debian release runs on Debian 12 only."""
    return _on_debian_12_only("the same on every release: runs on Debian 12 only")


def assert_stale_policy_rc_d_goes(host, role, playbook, limit):
    """A policy-rc.d that a first install of the role left behind when its run was killed (the role's marker,
    holding every service start) is gone after the next run; a policy-rc.d of the operator's stays."""
    path = "/usr/sbin/policy-rc.d"
    try:
        host.run(f"printf '#!/bin/sh\\n# written by webstack.tiers.{role} during its first install\\nexit 101\\n'"
                 f" > {path} && chmod 0755 {path}")
        rc, out, _ = run_playbook(playbook, limit=limit)
        assert rc == 0, out[-2000:]
        assert not host.file(path).exists, f"the policy-rc.d of an interrupted run is still there after {role} ran"
        host.run(f"printf '#!/bin/sh\\n# the operator policy\\nexit 0\\n' > {path} && chmod 0755 {path}")
        rc, out, _ = run_playbook(playbook, limit=limit)
        assert rc == 0, out[-2000:]
        assert "the operator policy" in host.file(path).content_string
    finally:
        host.run(f"rm -f {path}")


# Where a file holding a secret could be read by users other than root.
READABLE_PLACES = "/etc /opt /var /srv /tmp /run /home /usr/local"


def runs_a_secret_goes_through(playbook, limit, extra_vars, refused=(), after_converge=lambda: None):
    """The runs a secret in extra_vars must go through unseen, each at -v: a converge (then after_converge()
    checks it took), --check --diff (which finds nothing to change), and one run for each (more_vars, named)
    in refused, which fails naming `named`. Returns their outputs, for secret_leaks."""
    outputs = []

    def run(more_vars, options):
        rc, out, recap = run_playbook(playbook, {**extra_vars, **more_vars}, limit=limit, options=options)
        outputs.append(out)
        return rc, out, recap.get(limit, {})

    rc, out, _ = run({}, ["-v"])
    assert rc == 0, out[-3000:]
    after_converge()
    rc, out, recap = run({}, ["--check", "--diff", "-v"])
    assert rc == 0 and recap["changed"] == 0, out[-3000:]
    for more_vars, named in refused:
        rc, out, _ = run(more_vars, ["-v"])
        assert rc != 0 and named in out, out[-3000:]
    return outputs


def secret_leaks(host, pattern, outputs):
    """Where pattern (an extended regex matching the secrets) shows outside root's reach: lines of the given
    playbook outputs, lines of the host's journal, files that the user nobody can read. Empty when none."""
    printed = [line for out in outputs for line in out.splitlines() if re.search(pattern, line)]
    logged = host.run(f"journalctl -q --no-pager -o cat | grep -E '{pattern}'").stdout.splitlines()
    readable = host.run(f"runuser -u nobody -- grep -rlsIE --devices=skip '{pattern}' {READABLE_PLACES}")
    return {name: found[:5] for name, found in
            (("printed", printed), ("logged", logged), ("readable", readable.stdout.split())) if found}


def sslyze_compliance(server_name, ip, ca_pem, workdir, port=443):
    """Run sslyze against server_name:port at ip with Mozilla's intermediate profile; returns its output.

    The certificate (self-signed) is the trust anchor. sslyze exits 0 even when it cannot connect, so
    callers look for "OK - Compliant" in the output instead of trusting the exit code.
    """
    ca = os.path.join(str(workdir), "front-door-ca.pem")
    with open(ca, "w") as f:
        f.write(ca_pem)
    proc = subprocess.run(
        ["sslyze", "--mozilla_config=intermediate", f"--certinfo_ca_file={ca}", f"{server_name}:{port}{{{ip}}}"],
        capture_output=True, text=True, timeout=300,
    )
    return proc.stdout + proc.stderr


def gixy_findings(container, workdir):
    """gixy-ng over the complete configuration nginx loads (`nginx -T`); returns (exit code, output)."""
    dump = os.path.join(str(workdir), "nginx-T.conf")
    with open(dump, "w") as f:
        f.write(docker("exec", container, "nginx", "-T").stdout)
    proc = subprocess.run(["gixy", dump], capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr
