"""Rolling releases on the chained stack (nginx -> Apache -> two app hosts), with a client keeping requests on
the front door for the whole of each run: a deploy, a no-op deploy, a release whose health check fails, a
rollback and pruning. The tests build on each other, in this order."""

import json
import shutil
import time
from pathlib import Path

import pytest
from webstack_testlib import PROJECT_DIR, FrontDoorLoad, container_ip, docker, http_json, run_playbook

DEPLOY = f"{PROJECT_DIR}/playbooks/deploy.yml"
ROLLBACK = f"{PROJECT_DIR}/playbooks/rollback.yml"
EDGE, APPS = "chained-edge", ["chained-app1", "chained-app2"]
SERVER_NAME = "chained.webstack.test"
SAMPLE = Path(PROJECT_DIR, "roles/uvicorn/files/sample_app/webstack_sample")
# Writes to the app's state directory and prints, so its one run and its output can be seen.
MIGRATE = ["sh", "-c", 'echo "$WEBSTACK_APP_RELEASE" >>"$STATE_DIRECTORY/migrations"; echo "migrated to $WEBSTACK_APP_RELEASE"']


def figure(name, value):
    print(f"FIGURE {name}: {value}")


def sample_app(tmp_path_factory, version, broken=False):
    """The sample app reporting version; a broken one answers its health path with 503 and all else as before."""
    app = tmp_path_factory.mktemp(f"app-{version}")
    shutil.copytree(SAMPLE, app / "webstack_sample", ignore=shutil.ignore_patterns("__pycache__"))
    init = app / "webstack_sample" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "1.0.0"', f'__version__ = "{version}"'))
    if broken:
        code = app / "webstack_sample" / "app.py"
        text = code.read_text().replace("from fastapi import FastAPI,", "from fastapi import FastAPI, HTTPException,")
        text = text.replace("async def health():\n",
                            "async def health():\n    raise HTTPException(503, 'cannot reach its database')\n")
        code.write_text(text)
    return app


def from_directory(app, **more):
    return {"uvicorn_app_source": "directory", "uvicorn_app_directory": str(app), **more}


def releases(host):
    return json.loads(docker("exec", host, "webstack-app-releases", "--json").stdout)["webstack-app"]


def health(host):
    return http_json(f"http://{container_ip(host)}:8000/api/health")


def main_pid(host):
    return docker("exec", host, "systemctl", "show", "-p", "MainPID", "--value", "webstack-app.service").stdout.strip()


def deploy_under_load(playbook, extra_vars, path="/api/health"):
    with FrontDoorLoad(container_ip(EDGE), SERVER_NAME, path) as load:
        time.sleep(1)
        started = time.monotonic()
        rc, out, recap = run_playbook(playbook, extra_vars)
        took = time.monotonic() - started
        time.sleep(1)
    return rc, out, recap, load, took


@pytest.fixture(scope="module")
def seen():
    """What one test leaves for the next: release ids and app directories."""
    return {}


def test_a_deploy_moves_host_by_host_to_the_new_release_and_no_request_fails(tmp_path_factory, seen):
    seen["v1"] = releases(APPS[0])["live"]
    assert all(releases(host)["live"] == seen["v1"] for host in APPS)
    seen["v2 app"] = sample_app(tmp_path_factory, "2.0.0")
    rc, out, _, load, took = deploy_under_load(DEPLOY, from_directory(seen["v2 app"], uvicorn_release_command=MIGRATE))
    assert rc == 0, out[-4000:]
    figure("2-host rolling deploy, wall time", f"{took:.1f} s")
    figure("2-host rolling deploy, answers at the front door", f"{len(load.answers)}, {len(load.failures())} failed")
    figure("2-host rolling deploy, longest gap between good answers", f"{load.longest_gap():.3f} s")
    assert load.failures() == [], load.failures()[:5]
    assert len(load.answers) > 100

    # The release command ran once, on the first host, as the app, with the new release's id.
    seen["v2"] = releases(APPS[0])["live"]
    assert out.count(f"migrated to {seen['v2']}") == 1, out[-4000:]
    assert docker("exec", APPS[0], "cat", "/var/lib/webstack-app/migrations").stdout.split() == [seen["v2"]]
    assert docker("exec", APPS[1], "test", "-e", "/var/lib/webstack-app/migrations", check=False).returncode != 0

    # Each host went over once, app1 first, and app2 served the old release meanwhile.
    answers = [(t, body["host"], body["version"]) for t, _, body, _ in load.answers if body]
    first_new = {host: min(t for t, h, v in answers if h == host and v == "2.0.0") for host in APPS}
    assert first_new[APPS[0]] < first_new[APPS[1]]
    assert any(h == APPS[1] and v == "1.0.0" and t > first_new[APPS[0]] for t, h, v in answers)
    assert not [(t, h, v) for t, h, v in answers if v != "2.0.0" and t > first_new[h]]
    for host in APPS:
        assert health(host)["release"] == seen["v2"] and health(host)["version"] == "2.0.0"
        assert releases(host)["previous"] == seen["v1"]


def test_deploying_the_live_release_again_changes_nothing(seen):
    rc, out, recap = run_playbook(DEPLOY, from_directory(seen["v2 app"], uvicorn_release_command=MIGRATE))
    assert rc == 0, out[-4000:]
    assert {host: recap[host]["changed"] for host in APPS} == {host: 0 for host in APPS}, out[-4000:]


def test_a_release_that_fails_its_health_check_goes_back_and_stops_the_deploy(tmp_path_factory, seen):
    before = {host: (releases(host)["releases"], main_pid(host)) for host in APPS}
    rc, out, recap, load, _ = deploy_under_load(
        DEPLOY, from_directory(sample_app(tmp_path_factory, "3.0.0", broken=True), uvicorn_health_timeout=8),
        path="/api/whoami")
    assert rc != 0
    assert f"Deploy of site default stopped on {APPS[0]}" in out, out[-4000:]
    assert "cannot reach its database" in out and f"back on release {seen['v2']}" in out, out[-4000:]
    assert load.failures() == [], load.failures()[:5]
    # The first host serves the release it ran before; the new one is on disk, rejected.
    assert health(APPS[0])["release"] == seen["v2"]
    state = releases(APPS[0])
    rejected = [r["id"] for r in state["releases"] if r["rejected"]]
    assert len(rejected) == 1 and rejected[0] not in (seen["v1"], seen["v2"])
    assert state["live"] == seen["v2"] and state["previous"] == seen["v1"]
    # The second host was never touched.
    assert (releases(APPS[1])["releases"], main_pid(APPS[1])) == before[APPS[1]]
    assert health(APPS[1])["release"] == seen["v2"]


def test_a_rollback_takes_every_host_to_the_release_named_and_no_request_fails(seen):
    rc, out, _, load, took = deploy_under_load(ROLLBACK, {"webstack_rollback_release": seen["v1"]})
    assert rc == 0, out[-4000:]
    figure("2-host rollback, wall time", f"{took:.1f} s")
    assert load.failures() == [], load.failures()[:5]
    for host in APPS:
        assert health(host)["release"] == seen["v1"] and health(host)["version"] == "1.0.0"
    listing = docker("exec", APPS[0], "webstack-app-releases").stdout.splitlines()
    assert [line for line in listing if line.startswith(f"  * {seen['v1']} ") and line.endswith("live")], listing


def test_pruning_keeps_the_number_of_releases_asked_for(seen):
    rc, out, recap = run_playbook(DEPLOY, {"uvicorn_releases_keep": 2})
    assert rc == 0, out[-4000:]
    kept = {host: sorted(r["id"] for r in releases(host)["releases"]) for host in APPS}
    assert kept == {host: sorted([seen["v1"], seen["v2"]]) for host in APPS}, kept
    assert health(APPS[0])["release"] == seen["v1"]
