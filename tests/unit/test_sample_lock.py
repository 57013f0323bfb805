"""The uvicorn role's bundled lock (uvicorn_python_lock_file: bundled) and its uvicorn_python_packages agree,
and every package in the lock carries a hash, so pip --require-hashes can install it."""

import re
from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles/uvicorn"
LOCK = ROLE / "files/sample_app/requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==(\S+)", re.M)


def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries():
    """{name: (version, hashes)} for each requirement of the lock (continuation lines joined)."""
    text = LOCK.read_text().replace("\\\n", " ")
    entries = {}
    for line in text.splitlines():
        if match := PIN.match(line):
            entries[normal(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:[0-9a-f]{64}", line))
    return entries


def test_the_lock_pins_the_versions_of_uvicorn_python_packages():
    packages = yaml.safe_load((ROLE / "defaults/main.yml").read_text())["uvicorn_python_packages"]
    entries = lock_entries()
    for package in packages:
        name, version = package.split("==")
        assert entries[normal(name.split("[")[0])][0] == version, package


def test_the_lock_and_requirements_in_name_the_same_top_level_pins():
    top = PIN.findall((ROLE / "files/sample_app/requirements.in").read_text())
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())["uvicorn_python_packages"]
    assert sorted(f"{name}=={version}" for name, version in top) == sorted(defaults)


def test_every_locked_package_has_a_hash():
    entries = lock_entries()
    assert len(entries) >= 7
    assert {name for name, (_, hashes) in entries.items() if not hashes} == set()
