"""The units_started module, against a stand-in systemctl that keeps its units' states in a JSON file and logs
every call: a run with everything running asks once and does nothing else."""

import json
import os
import socket
import sys
import time

import pytest

from module_runner import run_module

FAKE_SYSTEMCTL = f"""#!{sys.executable}
import json, os, sys
state_file, log_file = os.environ["FAKE_STATE"], os.environ["FAKE_LOG"]
units = json.load(open(state_file))
args = [arg for arg in sys.argv[1:] if arg != "--"]
open(log_file, "a").write(" ".join(args) + "\\n")
absent = {{"LoadState": "not-found", "ActiveState": "inactive", "UnitFileState": "", "NeedDaemonReload": "no"}}
if args[0] == "show":
    blocks = []
    for name in args[2:]:
        props = {{"Id": name, **units.get(name, absent)}}
        blocks.append("".join(f"{{key}}={{value}}\\n" for key, value in props.items()))
    print("\\n".join(blocks), end="")
elif args[0] == "daemon-reload":
    for props in units.values():
        props["NeedDaemonReload"] = "no"
        if props.pop("NewFile", False):
            props["LoadState"] = "loaded"
elif args[0] in ("enable", "start"):
    missing = [name for name in args[1:] if name not in units]
    if missing:
        sys.exit("Unit " + missing[0] + " not found.")
    for name in args[1:]:
        units[name].update({{"UnitFileState": "enabled"}} if args[0] == "enable" else {{"ActiveState": "active"}})
json.dump(units, open(state_file, "w"))
"""


def unit(active="active", file_state="enabled", reload="no", load="loaded"):
    return {"LoadState": load, "ActiveState": active, "UnitFileState": file_state, "NeedDaemonReload": reload}


@pytest.fixture
def systemd(tmp_path):
    """A function that runs the module against the given unit states; it returns the result, the calls made and
    the states after."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL)
    fake.chmod(0o755)
    state, log = tmp_path / "state.json", tmp_path / "calls.log"

    def call(known, check=False, **args):
        state.write_text(json.dumps(known))
        log.write_text("")
        env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_STATE": str(state), "FAKE_LOG": str(log)}
        result = run_module("units_started", {**args, "_ansible_check_mode": check}, tmp_path / "args.json", env)
        return result, [line.split()[0] for line in log.read_text().splitlines()], json.loads(state.read_text())
    return call


def test_units_that_run_cost_one_call_and_no_change(systemd):
    result, calls, _ = systemd({"a.socket": unit(), "a.service": unit(active="reloading", file_state="static")},
                               units=["a.socket", "a.service"])
    assert (result["changed"], result["enabled"], result["started"], calls) == (False, [], [], ["show"])


def test_only_what_is_missing_is_enabled_or_started(systemd):
    units = {"nginx.service": unit(active="inactive"), "fw.service": unit(file_state="disabled"),
             "ok.service": unit()}
    result, calls, after = systemd(units, units=list(units))
    assert result["changed"]
    assert (result["enabled"], result["started"]) == (["fw.service"], ["nginx.service"])
    assert calls == ["show", "enable", "start"]
    assert all(props["ActiveState"] == "active" and props["UnitFileState"] == "enabled" for props in after.values())


def test_systemd_reloads_when_asked_or_when_a_unit_file_changed(systemd):
    result, calls, _ = systemd({"a.service": unit()}, units=["a.service"], daemon_reload=True)
    assert (result["changed"], result["daemon_reloaded"], calls) == (False, True, ["daemon-reload", "show"])
    result, calls, _ = systemd({"a.service": unit(reload="yes")}, units=["a.service"])
    assert (result["daemon_reloaded"], calls) == (True, ["show", "daemon-reload", "show"])


def test_a_unit_whose_file_is_new_is_read_and_started(systemd):
    new = {**unit(active="inactive", file_state="disabled", load="not-found"), "NewFile": True}
    result, calls, after = systemd({"a.service": unit(), "b.service": new}, units=["a.service", "b.service"])
    assert (result["daemon_reloaded"], result["enabled"], result["started"]) == (True, ["b.service"], ["b.service"])
    assert calls == ["show", "daemon-reload", "show", "enable", "start"]
    assert after["b.service"]["ActiveState"] == "active"


def test_check_mode_reports_and_does_nothing_and_counts_a_unit_not_installed_yet(systemd):
    units = {"a.service": unit(active="failed", file_state="disabled")}
    result, calls, after = systemd(units, check=True, units=["a.service", "new.service"], daemon_reload=True)
    assert result["changed"] and not result["daemon_reloaded"]
    assert result["enabled"] == result["started"] == ["a.service", "new.service"]
    assert (calls, after) == (["show"], units)


@pytest.mark.parametrize("units, message, asked", [
    ({"a.service": unit()}, "knows no unit ['gone.service']", ["show", "daemon-reload", "show"]),
    ({"a.service": unit(), "gone.service": unit(load="masked", file_state="masked")}, "masked", ["show"]),
])
def test_an_unknown_or_masked_unit_fails_and_nothing_starts(systemd, units, message, asked):
    units["a.service"]["ActiveState"] = "inactive"
    result, calls, _ = systemd(units, units=["a.service", "gone.service"])
    assert result.get("failed") and message in result["msg"]
    assert calls == asked


@pytest.mark.parametrize("names", [[], ["--now"], ["a b.service"]])
def test_a_name_that_is_no_unit_is_refused(systemd, names):
    result, calls, _ = systemd({}, units=names)
    assert result.get("failed") and calls == []


def test_the_configuration_test_runs_only_before_a_start_and_a_failed_one_starts_nothing(systemd, tmp_path):
    test = tmp_path / "bin" / "configtest"
    test.write_text(f'#!/bin/sh\necho test >> "$FAKE_LOG"\necho "bad directive" >&2\nexit "$(cat {tmp_path}/rc)"\n')
    test.chmod(0o755)
    (tmp_path / "rc").write_text("0")
    args = {"units": ["nginx.service"], "test_before_start": [str(test)]}
    result, calls, _ = systemd({"nginx.service": unit()}, **args)
    assert (result["changed"], calls) == (False, ["show"])
    result, calls, after = systemd({"nginx.service": unit(active="failed")}, **args)
    assert result["started"] == ["nginx.service"] and calls == ["show", "test", "start"]
    (tmp_path / "rc").write_text("1")
    result, calls, after = systemd({"nginx.service": unit(active="failed", file_state="disabled")}, **args)
    assert result.get("failed") and "configuration test failed" in result["msg"] and "bad directive" in result["stderr"]
    assert calls == ["show", "test"] and after["nginx.service"]["ActiveState"] == "failed"
    result, calls, _ = systemd({"nginx.service": unit(active="failed")}, check=True, **args)
    assert result.get("failed") and calls == ["show", "test"]
    result, calls, _ = systemd({}, check=True, **args)
    assert result["started"] == ["nginx.service"] and calls == ["show"]


def test_a_start_waits_for_each_backend_and_one_that_never_answers_starts_nothing(systemd):
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))
        up = {"host": "127.0.0.1", "port": listening.getsockname()[1]}
        down = {"host": "127.0.0.1", "port": closed.getsockname()[1]}
        result, calls, _ = systemd({"a.service": unit(active="inactive")}, units=["a.service"],
                                   await_before_start=[up], await_timeout=1)
        assert result["started"] == ["a.service"] and calls == ["show", "start"]
        started = time.monotonic()
        result, calls, after = systemd({"a.service": unit(active="inactive")}, units=["a.service"],
                                       await_before_start=[up, down], await_timeout=2)
        assert result.get("failed") and f"127.0.0.1:{down['port']} accepted no connection" in result["msg"]
        assert time.monotonic() - started >= 2
        assert calls == ["show"] and after["a.service"]["ActiveState"] == "inactive"
        # nothing to start, or check mode: nothing to wait for
        for known, check in (({"a.service": unit()}, False), ({"a.service": unit(active="inactive")}, True)):
            started = time.monotonic()
            result, _, _ = systemd(known, check=check, units=["a.service"], await_before_start=[down],
                                   await_timeout=30)
            assert not result.get("failed") and time.monotonic() - started < 10


@pytest.mark.parametrize("backend", [{"host": "10.0.0.2"}, {"host": "", "port": 80}, {"host": "a", "port": 0},
                                     {"host": "a", "port": "80"}])
def test_a_backend_without_a_host_and_a_port_is_refused(systemd, backend):
    result, calls, _ = systemd({"a.service": unit(active="inactive")}, units=["a.service"],
                               await_before_start=[backend])
    assert result.get("failed") and "await_before_start" in result["msg"] and calls == []
