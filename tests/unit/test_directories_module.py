"""The directories module: the roles make their directories with it, one call for the list."""

import grp
import os
import pwd

from module_runner import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(tmp_path, paths, check=False, mode="0755"):
    params = {"paths": paths, "mode": mode, "owner": USER, "group": GROUP, "_ansible_check_mode": check}
    return run_module("directories", params, tmp_path / "args.json")


def entry(path, mode):
    return {"path": str(path), "owner": USER, "group": GROUP, "mode": mode}


def test_it_makes_the_directories_with_their_modes_and_then_changes_nothing(tmp_path):
    paths = [entry(tmp_path / "tls", "0700"), str(tmp_path / "a" / "b" / "static")]
    result = run(tmp_path, paths)
    assert result["changed"] and result["created"] == [paths[0]["path"], paths[1]]
    assert (tmp_path / "tls").stat().st_mode & 0o7777 == 0o700
    assert (tmp_path / "a" / "b" / "static").stat().st_mode & 0o7777 == 0o755
    assert (tmp_path / "a" / "b").stat().st_mode & 0o7777 == 0o755
    again = run(tmp_path, paths)
    assert not again["changed"] and again["created"] == [] and again["diff"] == {"before": "", "after": ""}


def test_a_wrong_mode_is_mended_and_shown_in_the_diff(tmp_path):
    (tmp_path / "tls").mkdir(mode=0o755)
    (tmp_path / "tls").chmod(0o755)
    result = run(tmp_path, [entry(tmp_path / "tls", "0700")])
    assert result["changed"] and result["created"] == []
    assert result["diff"]["before"] == f"{tmp_path / 'tls'} {USER}:{GROUP} 0755\n"
    assert result["diff"]["after"] == f"{tmp_path / 'tls'} {USER}:{GROUP} 0700\n"
    assert (tmp_path / "tls").stat().st_mode & 0o7777 == 0o700


def test_check_mode_changes_nothing_and_says_what_it_would(tmp_path):
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls").chmod(0o755)
    result = run(tmp_path, [entry(tmp_path / "tls", "0700"), entry(tmp_path / "new", "0755")], check=True)
    assert result["changed"] and result["created"] == [str(tmp_path / "new")]
    assert not (tmp_path / "new").exists() and (tmp_path / "tls").stat().st_mode & 0o7777 == 0o755


def test_a_file_in_the_way_is_refused_and_left(tmp_path):
    (tmp_path / "static").write_text("not a directory")
    result = run(tmp_path, [entry(tmp_path / "static", "0755")])
    assert result["failed"] and "not directories" in result["msg"]
    assert (tmp_path / "static").read_text() == "not a directory"


def test_a_bad_entry_mode_or_path_is_refused(tmp_path):
    assert "bad entry" in run(tmp_path, [entry(tmp_path / "x", "rwx")])["msg"]
    assert "bad entry" in run(tmp_path, [str(tmp_path / "x")], mode="rwx")["msg"]
    assert "bad entry" in run(tmp_path, [{"path": str(tmp_path / "x"), "state": "absent"}])["msg"]
    assert "must be absolute" in run(tmp_path, ["etc/x"])["msg"]
    assert not (tmp_path / "x").exists()
