"""The paths_absent module: the roles remove retired files with it, one call for the list."""

from pathlib import Path

from module_runner import run_module


def run(tmp_path, paths, check=False):
    return run_module("paths_absent", {"paths": paths, "_ansible_check_mode": check}, tmp_path / "args.json")


def test_it_removes_what_exists_and_then_changes_nothing(tmp_path):
    (tmp_path / "file.conf").write_text("x")
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "f").write_text("x")
    target = tmp_path / "kept"
    target.write_text("kept")
    (tmp_path / "link.conf").symlink_to(target)
    (tmp_path / "kept-dir").mkdir()
    (tmp_path / "kept-dir" / "f").write_text("kept")
    (tmp_path / "dir-link").symlink_to(tmp_path / "kept-dir")
    (tmp_path / "dangling.conf").symlink_to(tmp_path / "nowhere")
    paths = [str(tmp_path / name)
             for name in ("file.conf", "dir", "link.conf", "dir-link", "dangling.conf", "none.conf")]
    result = run(tmp_path, paths)
    assert result["changed"] and result["removed"] == paths[:5]
    assert [p for p in paths if Path(p).is_symlink() or Path(p).exists()] == []
    assert target.read_text() == "kept" and (tmp_path / "kept-dir" / "f").read_text() == "kept"
    assert not run(tmp_path, paths)["changed"]


def test_check_mode_removes_nothing_and_says_what_it_would(tmp_path):
    (tmp_path / "file.conf").write_text("x")
    result = run(tmp_path, [str(tmp_path / "file.conf"), str(tmp_path / "none.conf")], check=True)
    assert result["changed"] and result["removed"] == [str(tmp_path / "file.conf")]
    assert result["diff"]["before"] == f"{tmp_path / 'file.conf'}\n"
    assert (tmp_path / "file.conf").exists()


def test_a_relative_path_is_refused(tmp_path):
    result = run(tmp_path, ["etc/nginx/x.conf"])
    assert result["failed"] and "must be absolute" in result["msg"]
