"""Every example inventory under inventories/ plans: the topology filter accepts it as the site playbook
would see it (group_vars applied to their groups, an address per host), and every site it describes gets an
item in each tier's list on each host of that tier."""

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))
from test_topology_filter import ROLE_DEFAULTS, SITE_OPTIONS, SITE_LISTS, hops  # noqa: E402

INVENTORIES = sorted(p for p in (ROOT / "inventories").iterdir() if (p / "hosts.yml").exists())


def load(inventory):
    groups = {}

    def walk(name, node):
        node = node or {}
        members = list(node.get("hosts") or {})
        for child, sub in (node.get("children") or {}).items():
            members += walk(child, sub)
        groups[name] = sorted(set(members))
        return members

    for name, node in yaml.safe_load((inventory / "hosts.yml").read_text()).items():
        walk(name, node)
    hostvars = {h: {} for h in groups["all"]}
    for name in ["all"] + [g for g in groups if g != "all"]:
        path = inventory / "group_vars" / f"{name}.yml"
        if path.exists():
            for host in groups.get(name, []):
                hostvars[host].update(yaml.safe_load(path.read_text()) or {})
    for i, host in enumerate(sorted(hostvars)):
        hostvars[host]["ansible_facts"] = {"default_ipv4": {"address": f"10.0.0.{i + 10}"}}
    return groups, hostvars


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[p.name for p in INVENTORIES])
def test_the_example_inventory_plans(inventory):
    groups, hostvars = load(inventory)
    topology = hostvars[groups["nginx"][0]].get("webstack_topology", "chained")
    plan = hops(hostvars, groups, topology, ROLE_DEFAULTS, SITE_OPTIONS)
    names = [s["name"] for s in hostvars[groups["nginx"][0]].get("webstack_sites", [])] or ["default"]
    for tier, var in SITE_LISTS.items():
        for host in groups[tier]:
            assert [item["name"] for item in plan[host][tier][var]] == names, (host, tier)
