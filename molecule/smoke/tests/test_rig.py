"""The container rig works: systemd is PID 1, apt and HTTPS work, the package cache is shared."""

import glob
import os
import subprocess

import pytest

testinfra_hosts = ["ansible://all"]


def test_systemd_is_pid_1(host):
    assert host.process.get(pid=1).comm == "systemd"


def test_system_booted_without_failed_units(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl list-units --failed --plain --no-legend").stdout
    assert state == "running", f"system is {state}; failed units:\n{failed}"


def test_journald_records_messages(host):
    marker = f"webstack-smoke-{os.getpid()}"
    host.run(f"logger -t webstack-smoke {marker}")
    out = host.run("journalctl --sync; journalctl -t webstack-smoke --no-pager -o cat").stdout
    assert marker in out


def test_package_installed_through_apt(host):
    assert host.package("hello").is_installed
    assert host.run("hello").stdout.strip() == "Hello, world!"


def test_packages_come_through_the_hosts_shared_cache(host):
    proxy = host.run("apt-config dump Acquire::http::Proxy").stdout
    assert ":3142" in proxy, "apt in the container does not use the host's apt-cacher-ng"
    cached = glob.glob("/var/cache/apt-cacher-ng/**/hello_*.deb", recursive=True)
    assert cached, "hello_*.deb is not in the host's package cache"


def test_the_shared_cache_listens_only_where_containers_need_it():
    """apt-cacher-ng answers on loopback and the default Docker bridge, not on every address of the host."""
    listening = subprocess.run(["ss", "-Hltn", "sport = :3142"], capture_output=True, text=True, check=True).stdout
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
    docker0 = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "docker0"], capture_output=True, text=True,
                             check=True).stdout
    bridge = docker0.split()[3].split("/")[0]
    assert addresses == {"127.0.0.1", bridge}, listening


def test_pip_cache_is_the_shared_host_directory(host):
    mounts = host.file("/proc/self/mountinfo").content_string
    assert " /root/.cache/pip " in mounts


@pytest.mark.parametrize("url", ["https://pypi.org/simple/pip/", "https://deb.debian.org/debian/"])
def test_https_from_inside_the_container_verifies(host, url):
    cmd = host.run(
        "python3 -c 'import sys, urllib.request; "
        f"print(urllib.request.urlopen(\"{url}\", timeout=20).status)'"
    )
    assert cmd.rc == 0 and cmd.stdout.strip() == "200", cmd.stderr
