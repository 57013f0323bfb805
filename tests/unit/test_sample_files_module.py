"""The sample_files module: sample content goes where there is no file yet, and nothing else is touched."""

import grp
import os
import pwd

from module_runner import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(tmp_path, files, check=False, mode="0644"):
    params = {"files": files, "mode": mode, "owner": USER, "group": GROUP, "_ansible_check_mode": check}
    return run_module("sample_files", params, tmp_path / "args.json")


def test_missing_files_are_written_and_existing_ones_kept_as_they_are(tmp_path):
    (tmp_path / "index.html").write_text("the operator's page")
    (tmp_path / "index.html").chmod(0o600)
    files = {str(tmp_path / "index.html"): "sample page\n", str(tmp_path / "style.css"): "body {}\n"}
    result = run(tmp_path, files)
    assert result["changed"] and result["created"] == [str(tmp_path / "style.css")]
    assert (tmp_path / "style.css").read_text() == "body {}\n"
    assert (tmp_path / "style.css").stat().st_mode & 0o7777 == 0o644
    assert (tmp_path / "index.html").read_text() == "the operator's page"
    assert (tmp_path / "index.html").stat().st_mode & 0o7777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".webstack-")] == []
    again = run(tmp_path, files)
    assert not again["changed"] and again["created"] == []


def test_check_mode_writes_nothing_and_says_what_it_would(tmp_path):
    (tmp_path / "style.css").write_text("kept")
    result = run(tmp_path, {str(tmp_path / "probe.txt"): "ok\n", str(tmp_path / "style.css"): "body {}\n"},
                 check=True)
    assert result["changed"] and result["diff"]["after"] == f"{tmp_path / 'probe.txt'}\n"
    assert not (tmp_path / "probe.txt").exists()


def test_a_bad_mode_or_a_relative_path_is_refused(tmp_path):
    assert "bad mode" in run(tmp_path, {str(tmp_path / "x"): ""}, mode="rw")["msg"]
    assert "must be absolute" in run(tmp_path, {"x.html": ""})["msg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["args.json"]
