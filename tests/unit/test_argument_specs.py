"""Each role's meta/argument_specs.yml is the contract for its public variables: it must list exactly
the variables in defaults/main.yml, with the same defaults, a type and a description each, and every
variable in defaults/main.yml carries a comment saying what it is for."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())


def load(role, rel):
    return yaml.safe_load((role / rel).read_text()) or {}


@pytest.fixture(params=ROLES, ids=[r.name for r in ROLES])
def role(request):
    return request.param


def test_spec_lists_exactly_the_defaults(role):
    defaults = load(role, "defaults/main.yml")
    options = load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)


def test_spec_defaults_match_defaults_file(role):
    defaults = load(role, "defaults/main.yml")
    options = load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    mismatched = {k: (defaults[k], o.get("default")) for k, o in options.items() if o.get("default") != defaults[k]}
    assert mismatched == {}


def test_every_option_has_type_and_description(role):
    options = load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    incomplete = [k for k, o in options.items() if not o.get("type") or not o.get("description")]
    assert incomplete == []


def test_public_variables_use_the_role_prefix(role):
    prefix = f"{role.name}_"
    assert [k for k in load(role, "defaults/main.yml") if not k.startswith(prefix)] == []


def test_every_default_has_a_comment(role):
    """A variable may share one comment with the variables right after it, but a blank line ends it."""
    lines = (role / "defaults/main.yml").read_text().splitlines()
    uncommented = []
    for i, line in enumerate(lines):
        if not line[:1].isalpha():
            continue
        j = i - 1
        while j >= 0 and lines[j].strip() and not lines[j].startswith("#"):
            j -= 1
        if j < 0 or not lines[j].startswith("#"):
            uncommented.append(line.split(":")[0])
    assert uncommented == []


def test_readme_variable_table_is_generated_from_the_spec(role):
    tool = Path(__file__).resolve().parents[2] / "tools/role-docs.py"
    proc = subprocess.run([sys.executable, str(tool), "--check", str(role)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
