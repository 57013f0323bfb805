"""The policy_rc module: the apache and nginx roles hold their service's start during a first install with it."""

import os
import subprocess

import pytest

from module_runner import run_module


def run(tmp_path, check=False, **args):
    args.setdefault("path", str(tmp_path / "policy-rc.d"))
    return run_module("policy_rc", dict(args, _ansible_check_mode=check), tmp_path / "args.json")


def invoke_rc(policy, service):
    """What invoke-rc.d (a service) and deb-systemd-invoke (a unit) do with the policy: 101 forbids the start."""
    return subprocess.run(["sh", str(policy), service, "start"]).returncode


def test_it_holds_only_the_named_services_and_goes_again(tmp_path):
    policy = tmp_path / "policy-rc.d"
    result = run(tmp_path, owner="webstack.tiers.nginx", services=["nginx"])
    assert result["changed"] and result["held"]
    assert policy.stat().st_mode & 0o777 == 0o755
    assert [invoke_rc(policy, name) for name in ("nginx", "nginx.service", "apache2", "apache2.service", "nginx-x",
                                                 "nginx-x.service")] == [101, 101, 0, 0, 0, 0]
    assert run(tmp_path, owner="webstack.tiers.nginx", state="absent")["changed"]
    assert not policy.exists()
    assert not run(tmp_path, owner="webstack.tiers.nginx", state="absent")["changed"]


@pytest.mark.parametrize("theirs", ["#!/bin/sh\nexit 101\n",
                                    "#!/bin/sh\n# written by webstack.tiers.apache during its first install\n"])
def test_a_policy_of_anyone_else_is_never_written_over_nor_removed(tmp_path, theirs):
    policy = tmp_path / "policy-rc.d"
    policy.write_text(theirs)
    result = run(tmp_path, owner="webstack.tiers.nginx", services=["nginx"])
    assert (result["changed"], result["held"]) == (False, False)
    assert not run(tmp_path, owner="webstack.tiers.nginx", state="absent")["changed"]
    assert policy.read_text() == theirs


def test_the_one_a_killed_run_left_is_recognised_and_removed(tmp_path):
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# written by webstack.tiers.nginx during its first install\nexit 101\n")
    assert run(tmp_path, owner="webstack.tiers.nginx", services=["nginx"])["held"]
    assert run(tmp_path, owner="webstack.tiers.nginx", state="absent")["changed"]
    assert not policy.exists()


def test_check_mode_says_what_it_would_do_and_does_nothing(tmp_path):
    policy = tmp_path / "policy-rc.d"
    assert run(tmp_path, check=True, owner="webstack.tiers.nginx", services=["nginx"])["changed"]
    assert not policy.exists()
    policy.write_text("# written by webstack.tiers.nginx during its first install\n")
    assert run(tmp_path, check=True, owner="webstack.tiers.nginx", state="absent")["changed"]
    assert policy.exists()


@pytest.mark.parametrize("services", [["nginx;reboot"], ["a b"], ["x)"], []])
def test_a_service_that_is_not_a_plain_name_is_refused(tmp_path, services):
    result = run(tmp_path, owner="webstack.tiers.nginx", services=services)
    assert result.get("failed")
    assert not (tmp_path / "policy-rc.d").exists()


def test_it_asks_dpkg_which_packages_are_missing_in_the_same_call_also_in_check_mode(tmp_path):
    # A stand-in dpkg-query that knows nginx as installed and logrotate as half-configured, and exits 1 for the
    # unknown php8.2-fpm, as dpkg-query does.
    fake = tmp_path / "bin" / "dpkg-query"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nprintf 'logrotate=half-configured=3.21.0-1 nginx=installed=1.22.1-9+deb12u1 '\n"
                    "echo 'dpkg-query: no packages found matching php8.2-fpm' >&2\nexit 1\n")
    fake.chmod(0o755)
    policy = tmp_path / "policy-rc.d"
    policy.write_text("# written by webstack.tiers.nginx during its first install\n")
    env = {"PATH": f"{fake.parent}:{os.environ['PATH']}"}
    args = {"owner": "webstack.tiers.nginx", "state": "absent", "path": str(policy),
            "packages": ["nginx", "logrotate", "php8.2-fpm"]}
    for check in (True, False):
        result = run_module("policy_rc", dict(args, _ansible_check_mode=check), tmp_path / "args.json", env)
        assert (result["changed"], result["missing"]) == (True, ["logrotate", "php8.2-fpm"])
        assert result["versions"] == {"nginx": "1.22.1-9+deb12u1"}
        assert policy.exists() == check
    fake.write_text("#!/bin/sh\necho 'dpkg-query: error: cannot read the database' >&2\nexit 2\n")
    assert run_module("policy_rc", args, tmp_path / "args.json", env).get("failed")
