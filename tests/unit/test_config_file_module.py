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


def run_files(tmp_path, files, check=False, diff=False, **args):
    params = {"files": files, "mode": "0644", **OWNER, **args, "_ansible_check_mode": check, "_ansible_diff": diff}
    return run_module("config_file", params, tmp_path.parent / f"{tmp_path.name}-args.json")


def test_one_call_keeps_several_files_each_with_its_mode(tmp_path):
    files = [{"dest": str(tmp_path / "configtest"), "content": "#!/bin/sh\n", "mode": "0755"},
             {"dest": str(tmp_path / "50x.html"), "content": "<p>down</p>\n"}]
    result = run_files(tmp_path, files, diff=True)
    assert result["changed"] and result["changed_files"] == [f["dest"] for f in files]
    assert [d["after"] for d in result["diff"]] == ["#!/bin/sh\n", "<p>down</p>\n"]
    assert (tmp_path / "configtest").stat().st_mode & 0o7777 == 0o755
    assert (tmp_path / "50x.html").stat().st_mode & 0o7777 == 0o644
    assert not run_files(tmp_path, files)["changed"]
    (tmp_path / "50x.html").chmod(0o600)
    (tmp_path / "configtest").write_text("changed by hand\n")
    checked = run_files(tmp_path, files, check=True)
    assert checked["changed_files"] == [f["dest"] for f in files]
    assert (tmp_path / "configtest").read_text() == "changed by hand\n"
    again = run_files(tmp_path, files[1:])
    assert again["changed_files"] == [files[1]["dest"]] and not again["content_changed"]
    assert (tmp_path / "50x.html").stat().st_mode & 0o7777 == 0o644


def test_files_are_refused_with_dest_validate_or_without_a_mode(tmp_path):
    entry = {"dest": str(tmp_path / "a"), "content": "a\n"}
    assert "mutually exclusive" in run_files(tmp_path, [entry], dest=str(tmp_path / "b"), content="b")["msg"]
    assert "mutually exclusive" in run_files(tmp_path, [entry], validate="true %s")["msg"]
    assert "no mode for" in run_files(tmp_path, [entry], mode=None)["msg"]
    assert "one of the following is required" in run_module(
        "config_file", {"mode": "0644"}, tmp_path.parent / f"{tmp_path.name}-args.json")["msg"]
    assert list(tmp_path.iterdir()) == []


def test_each_file_has_its_own_check_and_a_refused_one_stops_the_rest(tmp_path):
    files = [{"dest": str(tmp_path / "a.conf"), "content": "good a\n", "validate": "grep -q good %s"},
             {"dest": str(tmp_path / "b.conf"), "content": "bad b\n", "validate": "grep -q good %s"},
             {"dest": str(tmp_path / "c.conf"), "content": "c\n"}]
    refused = run_files(tmp_path, files)
    assert refused["failed"] and "b.conf not written, the check failed" in refused["msg"] and refused["rc"] == 1
    assert refused["changed"] and refused["changed_files"] == [files[0]["dest"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.conf"]
    files[1]["content"] = "good b\n"
    assert run_files(tmp_path, files)["changed_files"] == [f["dest"] for f in files[1:]]
    assert "must contain %s" in run_files(tmp_path, [dict(files[2], validate="nginx -t")])["msg"]


def test_directory_mode_makes_the_missing_directories_and_leaves_existing_ones(tmp_path):
    dest = tmp_path / "etc" / "webstack" / "rules.nft"
    assert run(tmp_path, "x\n", dest=str(dest))["failed"] and not (tmp_path / "etc").exists()
    assert run(tmp_path, "x\n", dest=str(dest), directory_mode="0750", check=True)["changed"]
    assert not (tmp_path / "etc").exists()
    result = run(tmp_path, "x\n", dest=str(dest), directory_mode="0750")
    assert result["changed"] and dest.read_text() == "x\n"
    assert [d.stat().st_mode & 0o7777 for d in (tmp_path / "etc", dest.parent)] == [0o750, 0o750]
    os.chmod(dest.parent, 0o755)
    assert not run(tmp_path, "x\n", dest=str(dest), directory_mode="0750")["changed"]
    assert dest.parent.stat().st_mode & 0o7777 == 0o755
    assert "directory_mode must be an octal mode" in run(tmp_path, "x\n", directory_mode="rwx")["msg"]
