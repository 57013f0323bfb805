"""The config_file module: a file from rendered content in one call, validated before it replaces the old one."""

import os

from module_runner import run_module

OWNER = {"owner": "root", "group": "root"} if os.geteuid() == 0 else {
    "owner": os.environ.get("USER", "nobody"), "group": os.environ.get("USER", "nogroup")}


def run(tmp_path, content, check=False, diff=False, **args):
    params = {"dest": str(tmp_path / "site.conf"), "content": content, "mode": "0644", **OWNER, **args,
              "_ansible_check_mode": check, "_ansible_diff": diff}
    return run_module("config_file", params, tmp_path.parent / f"{tmp_path.name}-args.json")


def test_it_writes_the_content_and_a_second_run_changes_nothing(tmp_path):
    result = run(tmp_path, "listen 80;\n", diff=True)
    assert result["changed"] and result["content_changed"]
    assert result["diff"]["before"] == "" and result["diff"]["after"] == "listen 80;\n"
    assert (tmp_path / "site.conf").read_text() == "listen 80;\n"
    assert (tmp_path / "site.conf").stat().st_mode & 0o7777 == 0o644
    assert not run(tmp_path, "listen 80;\n")["changed"]
    assert [p.name for p in tmp_path.iterdir()] == ["site.conf"]


def test_a_mode_change_alone_is_put_right_without_rewriting(tmp_path):
    run(tmp_path, "x\n")
    inode = (tmp_path / "site.conf").stat().st_ino
    result = run(tmp_path, "x\n", mode="0600")
    assert result["changed"] and not result["content_changed"]
    assert (tmp_path / "site.conf").stat().st_mode & 0o7777 == 0o600
    assert (tmp_path / "site.conf").stat().st_ino == inode


def test_check_mode_writes_nothing_and_shows_the_diff(tmp_path):
    run(tmp_path, "old\n")
    result = run(tmp_path, "new\n", check=True, diff=True)
    assert result["changed"] and result["diff"]["before"] == "old\n" and result["diff"]["after"] == "new\n"
    assert (tmp_path / "site.conf").read_text() == "old\n"


def test_a_file_the_check_refuses_never_replaces_the_working_one(tmp_path):
    run(tmp_path, "good\n")
    refused = run(tmp_path, "bad\n", validate="grep -q good %s")
    assert refused["failed"] and "the check failed" in refused["msg"] and refused["rc"] == 1
    assert (tmp_path / "site.conf").read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["site.conf"]
    accepted = run(tmp_path, "good again\n", validate="grep -q good %s")
    assert accepted["changed"] and (tmp_path / "site.conf").read_text() == "good again\n"


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path):
    assert "must contain %s" in run(tmp_path, "x\n", validate="nginx -t")["msg"]
    assert "bad mode" in run(tmp_path, "x\n", mode="rw-r--r--")["msg"]
    assert "bad mode, owner or group" in run(tmp_path, "x\n", owner="no-such-user-here")["msg"]
    assert list(tmp_path.iterdir()) == []
