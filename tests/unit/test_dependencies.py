"""requirements.yml and galaxy.yml name the same collections, and those are exactly the ones the roles and
playbooks use (modules, filters and tests by FQCN), apart from ansible.builtin and this collection."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FQCN_USES = (
    re.compile(r"^\s*(?:- )?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:", re.M),  # a task's module
    re.compile(r"\|\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"),  # a filter
    re.compile(r"\bis\s+(?:not\s+)?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"),  # a test
)


def used_collections():
    used = set()
    for path in [*ROOT.glob("roles/**/*.yml"), *ROOT.glob("roles/**/*.j2"), *ROOT.glob("playbooks/**/*.yml")]:
        text = path.read_text()
        for pattern in FQCN_USES:
            used.update(pattern.findall(text))
    return used - {"ansible.builtin", "webstack.tiers"}


def test_requirements_and_galaxy_name_what_the_roles_use():
    requirements = {c["name"] for c in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]}
    galaxy = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"])
    assert requirements == galaxy == used_collections()
