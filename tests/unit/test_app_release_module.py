"""The app_release module and the webstack-app-releases command: one set of release rules for both."""

import json
import os
import subprocess
import sys
from pathlib import Path

from module_runner import ROOT, run_module

COMMAND = ROOT / "plugins" / "module_utils" / "app_releases.py"


def run(tmp_path, check=False, **params):
    return run_module("app_release", {"install_dir": str(tmp_path / "app"), "_ansible_check_mode": check, **params},
                      tmp_path / "args.json")


def build(tmp_path, *releases, complete=True):
    for release in releases:
        path = tmp_path / "app" / "releases" / release
        (path / "app").mkdir(parents=True)
        if complete:
            (path / ".webstack-release").write_text(json.dumps({"built_at": f"2026-01-01T00:00:0{len(release)}Z"}))


def live(tmp_path):
    return os.readlink(tmp_path / "app" / "current")


def test_switch_points_current_at_the_release_logs_it_and_then_changes_nothing(tmp_path):
    build(tmp_path, "r1", "r2")
    first = run(tmp_path, action="switch", release="r1")
    assert first["changed"] and first["was_live"] is None and first["live"] == "r1"
    second = run(tmp_path, action="switch", release="r2")
    assert second["changed"] and second["was_live"] == "r1"
    assert live(tmp_path) == "releases/r2"
    assert second["live"] == "r2" and second["previous"] == "r1"
    assert [line.split()[1] for line in (tmp_path / "app" / "history").read_text().splitlines()] == ["r1", "r2"]
    again = run(tmp_path, action="switch", release="r2")
    assert not again["changed"] and len((tmp_path / "app" / "history").read_text().splitlines()) == 2


def test_check_mode_switches_nothing(tmp_path):
    build(tmp_path, "r1", "r2")
    run(tmp_path, action="switch", release="r1")
    result = run(tmp_path, check=True, action="switch", release="r2")
    assert result["changed"] and result["diff"]["after"] == "current -> releases/r2\n"
    assert live(tmp_path) == "releases/r1"


def test_an_incomplete_or_badly_named_release_is_never_switched_to(tmp_path):
    build(tmp_path, "r1")
    build(tmp_path, "half", complete=False)
    run(tmp_path, action="switch", release="r1")
    result = run(tmp_path, action="switch", release="half")
    assert result["failed"] and "not complete" in result["msg"]
    result = run(tmp_path, action="switch", release="../r1")
    assert result["failed"] and "release id" in result["msg"]
    assert live(tmp_path) == "releases/r1"


def test_previous_is_the_last_other_release_still_on_disk(tmp_path):
    build(tmp_path, "r1", "r2", "r3")
    for release in ("r1", "r2", "r3", "r2"):
        run(tmp_path, action="switch", release=release)
    state = run(tmp_path)
    assert state["live"] == "r2" and state["previous"] == "r3"
    assert [r["id"] for r in state["releases"]] == ["r2", "r3", "r1"]


def test_prune_keeps_the_last_deployed_and_never_the_live_or_previous_one(tmp_path):
    build(tmp_path, "r1", "r2", "r3", "r4", "r5", "r6", "r7")
    build(tmp_path, "broken", complete=False)
    for release in ("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r1"):
        run(tmp_path, action="switch", release=release)
    result = run(tmp_path, action="prune", keep=5)
    # r1 is live again and r7 the one before it; r4-r6 are the newest others
    assert result["changed"] and result["removed"] == ["broken", "r2", "r3"]
    assert sorted(os.listdir(tmp_path / "app" / "releases")) == ["r1", "r4", "r5", "r6", "r7"]
    assert not run(tmp_path, action="prune", keep=5)["changed"]
    result = run(tmp_path, action="prune", keep=1)
    assert sorted(os.listdir(tmp_path / "app" / "releases")) == ["r1", "r7"]
    assert result["live"] == "r1" and result["previous"] == "r7"


def test_a_switch_with_keep_prunes_in_the_same_call_and_says_whether_current_moved(tmp_path):
    build(tmp_path, "r1", "r2", "r3", "r4")
    for release in ("r1", "r2", "r3"):
        assert "removed" not in run(tmp_path, action="switch", release=release)
    result = run(tmp_path, action="switch", release="r4", keep=2)
    assert result["changed"] and result["was_live"] == "r3" and result["removed"] == ["r1", "r2"]
    assert sorted(os.listdir(tmp_path / "app" / "releases")) == ["r3", "r4"]
    build(tmp_path, "old")
    again = run(tmp_path, action="switch", release="r4", keep=2)
    # current stayed where it was (was_live is the release): only the prune changed something
    assert again["changed"] and again["was_live"] == "r4" and again["removed"] == ["old"]
    assert not run(tmp_path, action="switch", release="r4", keep=2)["changed"]


def test_it_names_what_is_left_of_the_layout_from_before_releases(tmp_path):
    build(tmp_path, "r1")
    assert run(tmp_path)["retired"] == []
    (tmp_path / "app" / "venv").mkdir()
    (tmp_path / "app" / "requirements.lock").write_text("x\n")
    assert run(tmp_path, action="prune")["retired"] == [str(tmp_path / "app" / n) for n in ("venv", "requirements.lock")]


def test_prune_in_check_mode_removes_nothing(tmp_path):
    build(tmp_path, "r1", "r2", "r3")
    for release in ("r1", "r2", "r3"):
        run(tmp_path, action="switch", release=release)
    result = run(tmp_path, check=True, action="prune", keep=2)
    assert result["changed"] and result["removed"] == ["r1"]
    assert (tmp_path / "app" / "releases" / "r1").is_dir()


def test_the_command_lists_each_apps_releases_and_marks_the_live_one(tmp_path, monkeypatch):
    build(tmp_path, "r1", "r2")
    for release in ("r1", "r2"):
        run(tmp_path, action="switch", release=release)
    apps = tmp_path / "apps.d"
    apps.mkdir()
    (apps / "shop").write_text(f"# install directory\n{tmp_path / 'app'}\n")
    code = (f"import sys; sys.path.insert(0, {str(COMMAND.parent)!r}); import app_releases as r; "
            f"r.APPS_DIR = {str(apps)!r}; sys.exit(r.main(sys.argv[1:]))")

    def command(*args):
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)

    listed = command().stdout.splitlines()
    assert listed[0] == f"shop ({tmp_path / 'app'})"
    assert listed[1].startswith("  * r2 ") and listed[1].endswith("live")
    assert listed[2].startswith("    r1 ") and listed[2].endswith("previous")
    assert json.loads(command("--json", "shop").stdout)["shop"]["live"] == "r2"
    assert command("--json").returncode == 0
    unknown = command("blog")
    assert unknown.returncode == 1 and "no app blog" in unknown.stderr
    assert Path(COMMAND).read_text().startswith("#!/usr/bin/python3\n")


def test_a_release_a_deploy_rejected_is_not_the_previous_one_until_it_is_live_again(tmp_path):
    build(tmp_path, "r1", "r2", "r3")
    for release in ("r1", "r2", "r3"):
        run(tmp_path, action="switch", release=release)
    state = run(tmp_path, action="switch", release="r2", rejected="r3")
    assert state["live"] == "r2" and state["previous"] == "r1"
    assert [r["id"] for r in state["releases"] if r["rejected"]] == ["r3"]
    run(tmp_path, action="switch", release="r3")
    state = run(tmp_path, action="switch", release="r1")
    assert state["previous"] == "r3" and not any(r["rejected"] for r in state["releases"])
