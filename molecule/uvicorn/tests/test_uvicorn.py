"""The uvicorn role, seen from outside: over TCP from the test runner, over the UNIX socket from
inside its host, and through the service's own life cycle (kill -9, code change, bad input)."""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from webstack_role_tests import RoleUnderTest, assert_refused
from webstack_testlib import (
    APP_SERVICE, APP_SOCKET, APP_UNITS, PROJECT_DIR, FrontDoorLoad, container_ip, docker, http_json,
    input_checks_once, release_independent, run_playbook, runs_a_secret_goes_through, secret_leaks, wait_for,
)

testinfra_hosts = ["ansible://uvicorn"]
JOURNAL_UNITS = APP_UNITS
SERVICE = APP_SERVICE
SOCKET = APP_SOCKET
CONVERGE = os.path.join(os.path.dirname(__file__), "..", "converge.yml")


def host_var(host, name):
    return host.ansible.get_variables()[name]


def is_unix(host):
    return host_var(host, "uvicorn_bind") == "unix"


def health(host, user="root"):
    """GET /api/health the way a proxy on that host would reach it; returns the parsed JSON."""
    if is_unix(host):
        cmd = host.run(f"runuser -u {user} -- curl -sf --unix-socket {SOCKET} http://localhost/api/health")
        assert cmd.rc == 0, f"health over the socket as {user}: rc={cmd.rc} {cmd.stderr}"
        return json.loads(cmd.stdout)
    return http_json(f"http://{container_ip(host.backend.get_hostname())}:8000/api/health")


def main_pid(host):
    return int(host.run(f"systemctl show -p MainPID --value {SERVICE}.service").stdout.strip())


def test_service_and_socket_are_enabled_and_running(host):
    for unit in (f"{SERVICE}.socket", f"{SERVICE}.service"):
        assert host.service(unit).is_enabled
        assert host.service(unit).is_running


def test_every_app_process_runs_as_the_service_user(host):
    # Every process in the unit's cgroup: the supervisor, its workers and multiprocessing's helpers.
    cgroup = host.run(f"systemctl show -p ControlGroup --value {SERVICE}.service").stdout.strip()
    pids = host.file(f"/sys/fs/cgroup/systemd{cgroup}/cgroup.procs").content_string.split()
    procs = [host.run(f"ps -o user:32=,args= -p {pid}").stdout.strip() for pid in pids]
    procs = [p for p in procs if p]
    assert {p.split()[0] for p in procs} == {"webstack-app"}, procs
    workers = [p for p in procs if "spawn_main" in p]
    assert len(workers) == host_var(host, "uvicorn_workers"), procs
    assert host.user("webstack-app").shell == "/usr/sbin/nologin"


def test_code_and_venv_are_not_writable_by_the_service_user(host):
    for path in ("/opt/webstack-app/current/app/webstack_sample/app.py", "/opt/webstack-app/current/venv/bin/uvicorn",
                 "/opt/webstack-app/releases", "/opt/webstack-app/history"):
        f = host.file(path)
        assert f.user == "root" and not f.mode & 0o022, path
    assert host.run("runuser -u webstack-app -- touch /opt/webstack-app/current/app/x").rc != 0


def test_health_answers(host):
    body = health(host)
    assert body["status"] == "ok"
    assert body["host"] == host.backend.get_hostname()


def test_tcp_listener_and_unix_socket_are_what_was_asked(host):
    if is_unix(host):
        sock = host.file(SOCKET)
        assert sock.is_socket and sock.group == "webstack-app" and sock.mode == 0o660
        assert not host.socket("tcp://0.0.0.0:8000").is_listening
    else:
        assert host.socket("tcp://0.0.0.0:8000").is_listening


def test_unix_socket_admits_the_proxy_user_and_refuses_others(host):
    if not is_unix(host):
        pytest.skip("TCP host")
    assert health(host, user="www-data")["status"] == "ok"
    connect = f"import socket; socket.socket(socket.AF_UNIX).connect('{SOCKET}')"
    denied = host.run(f'runuser -u nobody -- python3 -c "{connect}"')
    assert denied.rc != 0 and "PermissionError" in denied.stderr, denied.stderr


def test_forwarded_headers_believed_only_from_named_proxies(host):
    """The test runner is the named proxy of the TCP host; the UNIX host is a stranger to it."""
    if is_unix(host):
        pytest.skip("covered from the TCP host's side")
    url = f"http://{container_ip('uvicorn-tcp')}:8000/api/whoami"
    seen = http_json(url, headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen["client_ip"] == "203.0.113.7" and seen["scheme"] == "https"

    stranger = docker(
        "exec", "uvicorn-unix", "curl", "-sf", "-H", "X-Forwarded-For: 203.0.113.7",
        "-H", "X-Forwarded-Proto: https", url,
    ).stdout
    assert '"client_ip":"203.0.113.7"' not in stranger
    assert f'"client_ip":"{container_ip("uvicorn-unix")}"' in stranger
    assert '"scheme":"http"' in stranger


def test_environment_reaches_the_app_and_secrets_stay_root_only(host):
    if is_unix(host):
        pytest.skip("environment set on the TCP host")
    live = host.file("/opt/webstack-app/current").linked_to.rsplit("/", 1)[1]
    assert health(host)["release"] == live
    env_file = host.file("/etc/webstack-app/environment")
    assert env_file.user == "root" and env_file.mode == 0o600
    assert "WEBSTACK_TEST_SECRET=" in env_file.content_string
    assert "s3cr3t-value" not in host.file("/etc/systemd/system/webstack-app.service").content_string
    pid = main_pid(host)
    environ = host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout
    assert "WEBSTACK_TEST_SECRET=s3cr3t-value" in environ and "WEBSTACK_TEST_MODE=molecule-tcp" in environ
    # The app's own PYTHONPATH follows the role's directory (which holds uvicorn's protocol module).
    assert "PYTHONPATH=/usr/local/lib/webstack-uvicorn:/opt/webstack-test-lib\n" in environ, environ


def test_restarts_under_load_answer_every_request_sent(host):
    """Clients open a connection for each request and send at once while the app restarts eight times: every
    request is answered. Stock uvicorn's shutdown closes a connection it accepted before reading the request
    waiting on it, and the client sees a reset; the role's protocol module answers it."""
    if is_unix(host):
        pytest.skip("the TCP host is reached from the test runner")
    with FrontDoorLoad(container_ip(host.backend.get_hostname()), "app", "/api/health", port=8000, fresh=True) as load:
        for _ in range(8):
            time.sleep(0.5)
            assert host.run(f"systemctl restart {SERVICE}.service").rc == 0
        time.sleep(0.5)
    print(f"restarts under load: {len(load.answers)} answers, {len(load.failures())} failed")
    assert load.failures() == [], load.failures()[:5]
    assert len(load.answers) > 200


def test_unit_sandbox_exposure_is_at_most_2(host):
    out = host.run(f"systemd-analyze security --no-pager {SERVICE}.service").stdout
    score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    print(f"{host.backend.get_hostname()}: exposure {score}")
    assert score <= 2.0, out


def test_back_within_5_seconds_after_kill_9(host):
    for _ in range(2):  # twice: the second kill proves the first restart left nothing stale
        before = main_pid(host)
        host.run(f"kill -9 {before}")
        started = time.monotonic()
        # PID 0 is a unit between two processes; a killed main process's workers may still answer for a moment.
        body, waited = wait_for(lambda: (b := health(host)) and main_pid(host) not in (0, before) and b, timeout=10)
        assert body and body["status"] == "ok", f"not back after {waited:.1f} s"
        assert time.monotonic() - started < 5, f"back only after {time.monotonic() - started:.1f} s"
    journal = host.run(f"journalctl -u {SERVICE} --no-pager -n 200").stdout
    assert "address already in use" not in journal.lower()


def test_the_app_comes_back_by_itself_once_its_dependency_returns(host):
    """An app that fails at every start for 30 s (say its database is down) keeps being retried, and serves
    again within 10 s of the dependency coming back, with nobody running systemctl."""
    if is_unix(host):
        pytest.skip("one host is enough")
    down = "/etc/webstack-test-dependency-down"
    dropin = f"/etc/systemd/system/{SERVICE}.service.d/zz-test-dependency.conf"
    unit = f'[Service]\\nExecStartPre=/bin/sh -c "! test -e {down}"\\n'
    host.run(f"mkdir -p {os.path.dirname(dropin)} && printf '{unit}' > {dropin}")
    host.run(f"systemctl daemon-reload && touch {down}")
    try:
        host.run(f"systemctl kill -s KILL {SERVICE}.service")
        time.sleep(30)
        state = host.run(f"systemctl show -p ActiveState,SubState --value {SERVICE}.service").stdout.split()
        assert state != ["active", "running"], "the app ran although its dependency was down"
        host.run(f"rm -f {down}")
        body, waited = wait_for(lambda: health(host), timeout=20, interval=0.5)
        print(f"FIGURE serving again {waited:.1f} s after the dependency returned")
        assert body and body["status"] == "ok", f"not serving {waited:.1f} s after the dependency returned"
        assert waited <= 10, f"serving again only after {waited:.1f} s"
    finally:
        host.run(f"rm -f {down} {dropin}; systemctl daemon-reload")
        wait_for(lambda: health(host), timeout=20, interval=0.5)


def test_open_files_limit_is_the_setting(host):
    with open(os.path.join(PROJECT_DIR, "roles", "uvicorn", "defaults", "main.yml")) as defaults:
        setting = host.ansible.get_variables().get("uvicorn_open_files_limit",
                                                   yaml.safe_load(defaults)["uvicorn_open_files_limit"])
    # A container cannot go above the hard limit its engine gave PID 1; a server has room for the default.
    pid1 = host.file("/proc/1/limits").content_string
    ceiling = int(re.search(r"^Max open files\s+\d+\s+(\d+)", pid1, re.M).group(1))
    limit = min(int(setting), ceiling)
    for pid in [main_pid(host), *worker_pids(host)]:
        limits = host.run(f"cat /proc/{pid}/limits").stdout
        assert re.search(rf"^Max open files\s+{limit}\s+{limit}\s", limits, re.M), limits


def test_the_app_writes_to_its_state_directory_and_nowhere_else(host):
    state = f"/var/lib/{SERVICE}"
    directory = host.file(state)
    assert directory.is_directory and directory.user == SERVICE and directory.mode & 0o007 == 0
    pid = main_pid(host)
    assert f"STATE_DIRECTORY={state}" in host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout
    # In the app's own mount namespace, the mount that holds a path decides: its state directory is writable,
    # the rest of /var/lib is not.
    mounts = [line.split()[4:6] for line in host.file(f"/proc/{pid}/mountinfo").content_string.splitlines()]

    def writable(path):
        point, options = max((m for m in mounts if path == m[0] or path.startswith(m[0].rstrip("/") + "/")),
                             key=lambda m: len(m[0]))
        return options.split(",")[0] == "rw"

    assert writable(state) and writable(f"{state}/data.db")
    assert not writable("/var/lib") and not writable("/opt/webstack-app/current/app")


@release_independent()
def test_renaming_the_service_alone_moves_its_socket(host):
    """uvicorn_service_name without uvicorn_socket_path: the socket goes to /run/<new name>/app.sock and serves
    there (preflight used to refuse the old default path). Its user and directory are its own, so that removing
    it afterwards leaves the first app serving on its own socket."""
    if not is_unix(host):
        pytest.skip("the socket host shows it")
    name = host.backend.get_hostname()
    renamed = {"uvicorn_service_name": "webstack-renamed", "uvicorn_user": "webstack-renamed",
               "uvicorn_group": "webstack-renamed", "uvicorn_install_dir": "/opt/webstack-renamed",
               "uvicorn_apps": [{"name": "default", "workers": 1}]}
    try:
        rc, out, _ = run_playbook(CONVERGE, renamed, limit=name)
        assert rc == 0, out[-3000:]
        cmd = host.run("runuser -u www-data -- curl -sf --unix-socket /run/webstack-renamed/app.sock"
                       " http://localhost/api/health")
        assert cmd.rc == 0 and json.loads(cmd.stdout)["status"] == "ok", cmd.stderr
    finally:
        rc, out, _ = run_playbook(CONVERGE, dict(renamed, uvicorn_apps=[{"name": "default", "state": "absent"}]),
                                  limit=name)
        assert rc == 0, out[-3000:]
    assert not host.file("/etc/systemd/system/webstack-renamed.socket").exists
    assert not host.user("webstack-renamed").exists
    assert health(host, user="www-data")["status"] == "ok"


def live_release(host, install_dir="/opt/webstack-app"):
    return host.file(f"{install_dir}/current").linked_to.rsplit("/", 1)[1]


def release_ids(host, install_dir="/opt/webstack-app"):
    return set(host.run(f"ls {install_dir}/releases").stdout.split())


@release_independent()
def test_another_python_makes_another_release_and_going_back_builds_nothing(host):
    """After a Debian major upgrade the venv's packages sit under the old Python's lib directory, where the new
    Python does not look: the Python version is part of the release id, so a new release with its own venv is
    built. Here the role is told of another Python; back on the real one, the old release is switched to."""
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    before = live_release(host)
    python = host.run("python3 -c 'import platform; print(platform.python_version())'").stdout.strip()
    systemd = host.run("systemctl --version").stdout.splitlines()[0]
    other = {"__uvicorn_host_versions": [python + "-other", systemd]}
    try:
        rc, out, _ = run_playbook(CONVERGE, other, limit=name)
        assert rc == 0, out[-3000:]
        assert live_release(host) != before and before in release_ids(host)
        assert health(host)["release"] == live_release(host)
    finally:
        rc, out, recap = run_playbook(CONVERGE, limit=name)
    assert rc == 0, out[-3000:]
    assert live_release(host) == before and health(host)["release"] == before
    assert not re.search(r"TASK \[webstack\.tiers\.uvicorn : Build the release\]\n(?!skipping)", out), out[-3000:]


def worker_pids(host):
    return set(host.run(f"pgrep -u {SERVICE} -f spawn_main").stdout.split())


def socket_started(host):
    return host.run(f"systemctl show -p ActiveEnterTimestampMonotonic --value {SERVICE}.socket").stdout.strip()


def test_new_code_is_a_new_release_and_a_run_without_changes_touches_nothing(host, tmp_path_factory):
    """New code is built as a release of its own beside the live one, which stays on disk; the app restarts on it
    while systemd keeps the socket. A converge that changes nothing keeps every process."""
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    before, workers_before, socket_before = main_pid(host), worker_pids(host), socket_started(host)
    rc, out, recap = run_playbook(CONVERGE, limit=name)
    assert rc == 0 and recap[name]["changed"] == 0, out[-3000:]
    assert main_pid(host) == before and worker_pids(host) == workers_before

    first, releases_before = live_release(host), release_ids(host)
    app = sample_app(tmp_path_factory, "1.0.1-molecule")
    new_code = {"uvicorn_app_source": "directory", "uvicorn_app_directory": str(app)}
    # --check says a release would be built and switched to, and builds nothing.
    rc, out, recap = run_playbook(CONVERGE, new_code, limit=name, options=("--check", "--diff"))
    assert rc == 0 and recap[name]["changed"] > 0, out[-3000:]
    assert "+current -> releases/" in out, out[-3000:]
    assert release_ids(host) == releases_before and main_pid(host) == before
    try:
        rc, out, recap = run_playbook(CONVERGE, new_code, limit=name)
        assert rc == 0, out[-3000:]
        new = live_release(host)
        assert new != first and release_ids(host) >= {first, new}
        body = health(host)
        assert body["version"] == "1.0.1-molecule" and body["release"] == new
        assert main_pid(host) != before and socket_started(host) == socket_before
        listing = host.run("webstack-app-releases webstack-app").stdout.splitlines()
        assert listing[1].startswith(f"  * {new} ") and listing[2].startswith(f"    {first} "), listing
    finally:
        rc, out, _ = run_playbook(CONVERGE, limit=name)
        assert rc == 0, out[-3000:]
    body, _ = wait_for(lambda: (b := health(host)) and b["version"] == "1.0.0" and b, timeout=15)
    assert body and body["release"] == first, "the original release is not back"


def test_what_the_role_wrote_before_releases_goes(host):
    """A host converged before releases has its code in app/ and its venv in venv/: they go once the app runs
    from current. The file that names the app for webstack-app-releases is written with the units, and putting
    it back restarts nothing."""
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    host.run("mkdir -p /opt/webstack-app/app/webstack_sample /opt/webstack-app/venv/bin"
             " && touch /opt/webstack-app/requirements.lock && rm /etc/webstack-app-releases.d/webstack-app")
    before = main_pid(host)
    rc, out, recap = run_playbook(CONVERGE, limit=name)
    assert rc == 0 and recap[name]["changed"] == 2, out[-3000:]
    assert not [p for p in ("app", "venv", "requirements.lock") if host.file(f"/opt/webstack-app/{p}").exists]
    assert health(host)["status"] == "ok" and main_pid(host) == before
    assert host.run("webstack-app-releases webstack-app").rc == 0


def sample_app(tmp_path_factory, version):
    """The bundled sample app in a directory of its own, reporting another version."""
    app = tmp_path_factory.mktemp("app")
    shutil.copytree(Path(PROJECT_DIR, "roles/uvicorn/files/sample_app/webstack_sample"), app / "webstack_sample",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = app / "webstack_sample" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "1.0.0"', f'__version__ = "{version}"'))
    return app


def test_a_second_app_comes_and_goes_without_touching_the_first(host, tmp_path_factory):
    """uvicorn_apps: its own units, user, directory and port; the first app keeps every process."""
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    extra = {"name": "extra", "port": 8001, "workers": 1, "app_source": "directory",
             "app_directory": str(sample_app(tmp_path_factory, "2.0.0-extra"))}
    gone = ["/etc/systemd/system/webstack-app-extra.service", "/etc/systemd/system/webstack-app-extra.socket",
            "/etc/webstack-app-extra", "/opt/webstack-app-extra", "/etc/webstack-app-releases.d/webstack-app-extra"]
    before, workers_before = main_pid(host), worker_pids(host)
    try:
        rc, out, _ = run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, extra]}, limit=name)
        assert rc == 0, out[-3000:]
        body = http_json(f"http://{container_ip(name)}:8001/api/health")
        assert body["version"] == "2.0.0-extra"
        assert host.service("webstack-app-extra.socket").is_enabled
        extra_pid = host.run("systemctl show -p MainPID --value webstack-app-extra.service").stdout.strip()
        assert host.run(f"ps -o user= -p {extra_pid}").stdout.strip() == "webstack-app-extra"
        assert health(host)["version"] == "1.0.0"
        assert main_pid(host) == before and worker_pids(host) == workers_before
        assert sorted(json.loads(host.run("webstack-app-releases --json").stdout)) == [
            "webstack-app", "webstack-app-extra"]

        rc, out, recap = run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, extra]}, limit=name)
        assert rc == 0 and recap[name]["changed"] == 0, out[-3000:]

        rc, out, _ = run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, dict(extra, state="absent")]},
                                  limit=name)
        assert rc == 0, out[-3000:]
        assert not any(host.file(f).exists for f in gone), [f for f in gone if host.file(f).exists]
        assert not host.user("webstack-app-extra").exists
        assert not host.socket("tcp://0.0.0.0:8001").is_listening
        assert main_pid(host) == before and worker_pids(host) == workers_before
    except BaseException:
        # Passing, the test has removed the app already: only a failure leaves it for the tests after this one.
        run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, dict(extra, state="absent")]}, limit=name)
        raise


def test_check_diff_on_the_converged_host_changes_nothing(host):
    name = host.backend.get_hostname()
    before = main_pid(host)
    rc, out, recap = run_playbook(CONVERGE, limit=name, options=["--check", "--diff"])
    assert rc == 0, out[-3000:]
    assert recap[name]["changed"] == 0 and recap[name]["failed"] == 0, out[-3000:]
    assert main_pid(host) == before


def normal_pins(text):
    """name==version lines of a lock or of what a venv holds, names written alike (PEP 503)."""
    return {re.sub(r"[-_.]+", "-", m.group(1)).lower() + "==" + m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==([^\s;\\]+)", text, re.M)}


@release_independent()
def test_the_venv_holds_the_lock_and_a_file_that_does_not_match_it_is_refused(host, tmp_path_factory):
    """The venv holds exactly the packages of the bundled lock (not even pip); a lock whose hashes a file does not
    match (what a tampered index would serve) stops the install of that app, and the other app keeps serving."""
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    lock = Path(PROJECT_DIR, "roles/uvicorn/files/sample_app/requirements.txt").read_text()
    held = host.run("/opt/webstack-app/current/venv/bin/python -c 'import importlib.metadata as m; "
                    "print(*sorted(d.name + \"==\" + d.version for d in m.distributions()), sep=\"\\n\")'")
    assert held.rc == 0, held.stderr
    assert normal_pins(held.stdout) == normal_pins(lock)

    h11 = re.search(r"^h11==\S+ \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", lock, re.M)
    tampered = lock.replace(h11.group(0), re.sub("[0-9a-f]{64}", "0" * 64, h11.group(0)))
    path = tmp_path_factory.mktemp("lock") / "requirements.txt"
    path.write_text(tampered)
    app = {"name": "tampered", "port": 8003, "workers": 1, "python_lock_file": str(path)}
    try:
        rc, out, _ = run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, app]}, limit=name)
        assert rc != 0 and "DO NOT MATCH THE HASHES" in out, out[-3000:]
        assert not host.socket("tcp://0.0.0.0:8003").is_listening
        assert health(host)["status"] == "ok"
    finally:
        run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, dict(app, state="absent")]}, limit=name)


@input_checks_once()
@pytest.mark.parametrize(
    "bad_vars, named",
    [
        ({"uvicorn_workers": "many"}, "uvicorn_workers"),
        ({"uvicorn_bind": "udp"}, "uvicorn_bind"),
        ({"uvicorn_port": 70000}, "uvicorn_port"),
        ({"uvicorn_forwarded_allow_ips": ["*"]}, "uvicorn_forwarded_allow_ips"),
        ({"uvicorn_app": "not-a-module-path"}, "uvicorn_app"),
        ({"uvicorn_bind": "unix", "uvicorn_socket_path": "/tmp/app.sock"}, "uvicorn_socket_path"),
        ({"uvicorn_apps": [{"name": "a", "port": 8001}, {"name": "a", "port": 8002}]}, "uvicorn_apps: the name a is used twice"),
        ({"uvicorn_apps": [{"name": "default"}, {"name": "b", "port": 8000}]}, "uvicorn_apps: two apps ask for one port"),
        ({"uvicorn_apps": [{"name": "App_1", "port": 8001}]}, "uvicorn_apps: the name 'App_1' is not a slug"),
        ({"uvicorn_apps": [{"name": "a", "prot": 8001}]}, "prot"),
        ({"uvicorn_apps": [{"name": "b"}]}, "uvicorn_apps b: port must be set for an app on TCP"),
        ({"uvicorn_open_files_limit": 100}, "uvicorn_open_files_limit"),
        ({"uvicorn_writable_paths": ["relative/dir"]}, "uvicorn_writable_paths"),
        # No default ref: a moving branch head is deployed only when named.
        ({"uvicorn_app_source": "git", "uvicorn_app_git_repo": "https://git.example.invalid/app.git"},
         "app_git_version for git (a tag or commit"),
        ({"uvicorn_python_lock_file": "no/such/requirements.txt"}, "uvicorn_python_lock_file 'no/such"),
        # A line break would end the Environment= line and start a unit directive of the value's choosing.
        ({"uvicorn_environment": {"A": "x\nExecStartPre=/bin/false"}}, "uvicorn_environment: the values of"),
        ({"uvicorn_secret_environment": {"A": "x\nB=1"}}, "uvicorn_secret_environment: the values of"),
        ({"uvicorn_secret_environment": {"PYTHONPATH": "/srv/lib"}}, "uvicorn_secret_environment sets PYTHONPATH"),
    ],
)
def test_bad_input_fails_naming_the_variable_and_changes_nothing(host, bad_vars, named):
    if is_unix(host):
        pytest.skip("one host is enough")
    assert_refused(RoleUnderTest(playbook=CONVERGE, name=host.backend.get_hostname(), main_pid=lambda: main_pid(host),
                                 serving=lambda: health(host)["status"] == "ok"), bad_vars, named)


@input_checks_once()
@pytest.mark.parametrize("bad_secret", [{"TOKEN": "MARKER-8d1f\nB=1"}, "MARKER-8d1f is not a dict"])
def test_a_refused_secret_is_never_printed(host, bad_secret):
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    rc, out, recap = run_playbook(CONVERGE, {"uvicorn_secret_environment": bad_secret}, limit=name, options=["-v"])
    assert rc != 0 and recap[name]["changed"] == 0, out[-2000:]
    assert "uvicorn_secret_environment" in out
    assert "MARKER-8d1f" not in out



@release_independent()
def test_secrets_never_leak(host):
    """A token in the git URL, credentials in the pip index URL and a secret environment value, each a marker:
    none appears in the output of a converge, of --check --diff or of a failing run at -v, in the journal, or
    in a file that a user other than root can read."""
    if is_unix(host):
        pytest.skip("one host is enough")
    name = host.backend.get_hostname()
    # A repository served over plain HTTP on the host itself; the server ignores the credentials, as PyPI does.
    setup = host.run(
        "set -e; apt-get install -y -q git >/dev/null; rm -rf /srv/webstack-test; mkdir -p /srv/webstack-test/src;"
        " cp -r /opt/webstack-app/current/app/webstack_sample /srv/webstack-test/src/; cd /srv/webstack-test/src;"
        " git init -q -b main; git add .; git -c user.name=t -c user.email=t@example.invalid commit -qm app;"
        " git clone -q --bare . ../app.git; git -C ../app.git update-server-info;"
        " systemd-run -q --unit webstack-test-git python3 -m http.server 8088 --bind 127.0.0.1"
        " --directory /srv/webstack-test"
    )
    assert setup.rc == 0, setup.stderr
    vault = {"name": "vault", "port": 8002, "workers": 1, "app_source": "git",
             "app_git_repo": "http://deploy:MARKER-git-5c2e@127.0.0.1:8088/app.git", "app_git_version": "main",
             "secret_environment": {"VAULT_TOKEN": "MARKER-env-5c2e"}}

    def apps(**changes):
        return {"uvicorn_apps": [{"name": "default"}, dict(vault, **changes)]}

    def took():
        assert http_json(f"http://{container_ip(name)}:8002/api/health")["status"] == "ok"

    try:
        outputs = runs_a_secret_goes_through(
            CONVERGE, name, {"uvicorn_pip_index_url": "https://pip:MARKER-pip-5c2e@pypi.org/simple", **apps()},
            refused=[
                # A package the venv lacks makes pip ask the index; pip names it with the password starred out.
                (apps(extra_python_packages=["webstack-no-such-package==1.0"]), "pip:****@pypi.org"),
                # A token as the user name, the way some forges write it: git's module masks only a password.
                (apps(app_git_repo="http://MARKER-git-5c2e@127.0.0.1:9/app.git"), "http://***@127.0.0.1:9/app.git"),
            ],
            after_converge=took)
        assert secret_leaks(host, "MARKER-[a-z]*-5c2e", outputs) == {}
        # The search would see them: they are on the host, where root alone reads them.
        held = host.run("grep -rlE 'MARKER-[a-z]*-5c2e' /opt/webstack-app-vault /etc/webstack-app-vault")
        assert sorted(held.stdout.split()) == [
            "/etc/webstack-app-vault/environment", "/opt/webstack-app-vault/repository/.git/config"], held.stdout
        assert host.file("/opt/webstack-app-vault/repository").mode == 0o700
    finally:
        run_playbook(CONVERGE, {"uvicorn_apps": [{"name": "default"}, dict(vault, state="absent")]}, limit=name)
        host.run("systemctl stop webstack-test-git; rm -rf /srv/webstack-test")
