"""The installed collection, run from a folder outside the checkout over SSH as deploy with sudo (converge.yml)."""

import json
import os
import pathlib
import subprocess

import pytest
from webstack_testlib import container_ip, web_request

testinfra_hosts = ["ansible://all"]

OUTSIDE = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "outside"
RUNS = ["own.yml", "webstack.tiers.site"]


def test_the_users_own_play_serves_static_files_with_the_nginx_role_alone():
    status, headers, body = web_request(container_ip("installed-own"), "GET", "/static/probe.txt", "own.webstack.test")
    assert status == 200 and headers["Server"] == "nginx", (status, body[:200])


def test_the_installed_site_playbook_serves_the_stack_through_its_front_door():
    status, _, body = web_request(container_ip("installed-site"), "GET", "/api/whoami", "installed.webstack.test")
    assert status == 200, body[:300]
    seen = json.loads(body)
    assert seen["scheme"] == "https" and seen["host"] == "installed.webstack.test" and seen["request_id"], seen


def test_the_runs_logged_in_as_deploy_and_used_sudo(host):
    """Every change came through deploy's SSH login and sudo; nobody logged in as root."""
    logins = host.run("journalctl --no-pager -o cat -u ssh.service | grep '^Accepted'").stdout
    assert "Accepted publickey for deploy" in logins and " for root " not in logins, logins
    sudo = host.run("journalctl --no-pager -o cat _COMM=sudo").stdout
    assert "deploy : PWD=" in sudo and "USER=root" in sudo, sudo[-2000:]


def test_the_collection_came_from_the_install_not_from_the_checkout():
    listed = subprocess.run(
        ["env", "-i", f"HOME={OUTSIDE / 'home'}", f"PATH={os.environ['PATH']}", "LC_ALL=C.UTF-8",
         "ansible-galaxy", "collection", "list", "webstack.tiers"],
        cwd=OUTSIDE, capture_output=True, text=True, check=True,
    ).stdout
    assert f"# {OUTSIDE / 'home/.ansible/collections/ansible_collections'}" in listed, listed
    assert listed.count("webstack.tiers") == 1, listed


@pytest.mark.parametrize("run", RUNS)
def test_the_runs_printed_no_warning(run):
    log = (OUTSIDE / f"{run}.log").read_text()
    assert "[WARNING]" not in log and "[DEPRECATION WARNING]" not in log, log[-3000:]
    assert "failed=0" in log and "unreachable=0" in log
