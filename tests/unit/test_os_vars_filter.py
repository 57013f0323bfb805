"""The os_vars_files filter: every role loads vars/default.yml, then the most specific file for the host over it."""

import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.os_vars import os_vars_files  # noqa: E402

DEBIAN_12 = {"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "12"}
DEBIAN_13 = dict(DEBIAN_12, distribution_major_version="13")


def names(paths):
    return [Path(path).name for path in paths]


@pytest.fixture
def role(tmp_path):
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "default.yml").write_text("---\n")
    return tmp_path


def test_default_alone_where_nothing_differs(role):
    assert names(os_vars_files(str(role), DEBIAN_12)) == ["default.yml"]


def test_the_most_specific_file_goes_over_default_and_only_one(role):
    for name in ("Debian-13.yml", "Debian.yml"):
        (role / "vars" / name).write_text("---\n")
    assert names(os_vars_files(str(role), DEBIAN_13)) == ["default.yml", "Debian-13.yml"]
    assert names(os_vars_files(str(role), DEBIAN_12)) == ["default.yml", "Debian.yml"]


def test_the_family_file_when_the_distribution_has_none(role):
    (role / "vars" / "Debian.yml").write_text("---\n")
    ubuntu = {"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "24"}
    assert names(os_vars_files(str(role), ubuntu)) == ["default.yml", "Debian.yml"]


def test_without_facts_it_says_what_it_needs(role):
    with pytest.raises(AnsibleFilterError, match="gather_subset min"):
        os_vars_files(str(role), {})


@pytest.mark.parametrize("name", ["apache", "nginx", "uvicorn"])
def test_each_role_loads_its_os_vars_with_the_filter_and_has_a_default(name):
    main = (ROOT / "roles" / name / "tasks" / "main.yml").read_text()
    assert "webstack.tiers.os_vars_files(ansible_facts)" in main
    assert (ROOT / "roles" / name / "vars" / "default.yml").is_file()
    assert not (ROOT / "roles" / name / "tasks" / "set_vars.yml").exists()
