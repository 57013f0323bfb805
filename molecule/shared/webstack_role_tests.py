"""Tests every role scenario with a daemon in front (apache, nginx) shares: what a re-run, --check --diff, a
config change and an invalid value do to the running service. A role's test module defines the fixture
`role_under_test` (a RoleUnderTest) and imports the tests: `from webstack_role_tests import *`. Bad input goes
through `assert_refused`, which the uvicorn scenario uses too."""

from dataclasses import dataclass, field
from typing import Callable

from webstack_testlib import run_playbook


@dataclass
class RoleUnderTest:
    playbook: str  # the scenario's playbook of the role alone
    name: str  # the host under test, as the inventory names it
    main_pid: Callable[[], str]  # the service's main process: a reload keeps it
    serving: Callable[[], bool]  # the service answers as it should
    change: dict = field(default_factory=dict)  # variables whose change reloads the service ...
    changed: Callable[[], bool] = lambda: True  # ... and how to see the change is live
    invalid: dict = field(default_factory=dict)  # a value the argument spec accepts and the daemon refuses ...
    invalid_named: str = ""  # ... named in the validator's message
    config_files: list = field(default_factory=list)  # files that must not change when a value is refused
    read: Callable[[str], str] = lambda path: ""  # a file's content on the host


def assert_refused(role, extra_vars, named, options=()):
    """A run with extra_vars fails naming `named`, changes nothing, and the service keeps its process and
    serves. Returns the run's output."""
    before = role.main_pid()
    rc, out, recap = run_playbook(role.playbook, extra_vars, limit=role.name, options=options)
    assert rc != 0
    assert named in out, out[-2000:]
    assert recap[role.name]["changed"] == 0 and recap[role.name]["failed"] == 1, out[-2000:]
    assert role.main_pid() == before
    assert role.serving()
    return out


def test_second_converge_changes_nothing_and_keeps_the_process(role_under_test):
    role = role_under_test
    before = role.main_pid()
    rc, out, recap = run_playbook(role.playbook, limit=role.name)
    assert rc == 0 and recap[role.name]["changed"] == 0, out[-3000:]
    assert role.main_pid() == before


def test_check_diff_on_the_converged_host_changes_nothing(role_under_test):
    role = role_under_test
    rc, out, recap = run_playbook(role.playbook, limit=role.name, options=["--check", "--diff"])
    assert rc == 0 and recap[role.name]["changed"] == 0 and recap[role.name]["failed"] == 0, out[-3000:]


def test_a_config_change_reloads_without_a_restart(role_under_test):
    role = role_under_test
    before = role.main_pid()
    try:
        rc, out, _ = run_playbook(role.playbook, role.change, limit=role.name)
        assert rc == 0, out[-3000:]
        assert role.changed()
        assert role.main_pid() == before  # a graceful reload: the same parent process
        assert role.serving()
    finally:
        rc, out, _ = run_playbook(role.playbook, limit=role.name)
        assert rc == 0, out[-3000:]


def test_an_invalid_config_never_goes_live(role_under_test):
    """A value that passes the argument spec but the daemon rejects: its validator stops it, the files stay
    as they were, and the service keeps serving."""
    role = role_under_test
    before = {path: role.read(path) for path in role.config_files}
    rc, out, recap = run_playbook(role.playbook, role.invalid, limit=role.name)
    assert rc != 0 and recap[role.name]["failed"] == 1
    assert role.invalid_named in out, out[-3000:]
    assert {path: role.read(path) for path in role.config_files} == before
    assert role.serving()
