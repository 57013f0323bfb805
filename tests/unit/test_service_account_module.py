"""The service_account module, against this machine's own accounts (nobody in nogroup, daemon in daemon) with
stand-ins for groupadd, useradd and usermod that only log their arguments: it runs only what is missing."""

import os
import sys

import pytest

from module_runner import run_module

LOGGER = f"""#!{sys.executable}
import os, sys
open(os.environ["FAKE_LOG"], "a").write(" ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
"""


@pytest.fixture
def account(tmp_path):
    """A function that runs the module; it returns the result and the commands that ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("groupadd", "useradd", "usermod"):
        (bin_dir / tool).write_text(LOGGER)
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "calls.log"

    def call(check=False, **args):
        log.write_text("")
        env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(log)}
        result = run_module("service_account", {**args, "_ansible_check_mode": check}, tmp_path / "args.json", env)
        return result, log.read_text().splitlines()
    return call


def test_accounts_in_place_run_nothing(account):
    result, ran = account(name="nobody", group="nogroup", members=["nobody"])
    assert (result["changed"], result["commands"], ran) == (False, [], [])


def test_a_missing_group_and_user_are_made_as_system_accounts_without_a_home(account):
    result, ran = account(name="webstack-test-user", group="webstack-test-group")
    assert result["changed"]
    assert ran == ["groupadd --system webstack-test-group",
                   "useradd --system --gid webstack-test-group --shell /usr/sbin/nologin --home-dir /nonexistent"
                   " --no-create-home webstack-test-user"]


def test_an_existing_user_gets_its_group_shell_and_home_and_members_join(account):
    result, ran = account(name="daemon", group="nogroup", members=["nobody", "daemon", "bin"])
    assert ran == ["usermod --gid nogroup --home-dir /nonexistent daemon",
                   "usermod --append --groups nogroup bin"]
    assert result["commands"] == [line.split() for line in ran]
    assert account(name="nobody", group="nogroup", shell="/bin/false")[1] == ["usermod --shell /bin/false nobody"]


def test_check_mode_reports_and_runs_nothing(account):
    result, ran = account(check=True, name="webstack-test-user", group="nogroup", members=["daemon"])
    assert result["changed"] and len(result["commands"]) == 2 and ran == []


@pytest.mark.parametrize("args", [{"members": ["webstack-no-such-user"]}, {"members": ["-r"]},
                                  {"name": "a:b"}, {"group": "x y"}])
def test_a_missing_member_or_a_bad_name_fails_before_any_change(account, args):
    result, ran = account(**{"name": "webstack-test-user", "group": "webstack-test-group", **args})
    assert result.get("failed") and ran == []


def test_several_accounts_in_one_call_each_made_once_and_checked_before_any_change(account):
    accounts = [{"name": "webstack-test-a", "group": "webstack-test-shared", "members": ["daemon"]},
                {"name": "nobody", "group": "nogroup"},
                {"name": "webstack-test-b", "group": "webstack-test-shared"}]
    result, ran = account(check=True, accounts=accounts)
    # the stand-ins make nothing, so each account sees the shared group missing: it is reported once
    assert result["changed"] and ran == []
    assert [argv[0] for argv in result["commands"]] == ["groupadd", "useradd", "usermod", "useradd"]
    result, ran = account(accounts=[*accounts, {"name": "webstack-test-c", "group": "g", "members": ["-r"]}])
    assert result.get("failed") and "-r" in result["msg"] and ran == []
    result, ran = account(accounts=[{"name": "nobody", "group": "nogroup", "members": ["nobody"]}])
    assert (result["changed"], ran) == (False, [])
    assert account(name="nobody", accounts=accounts)[0].get("failed")
