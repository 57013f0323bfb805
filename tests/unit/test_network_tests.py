"""The address test plugins (ip_address, ip_network) and filter (address_literal)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.network import address_literal  # noqa: E402
from ansible_collections.webstack.tiers.plugins.test.network import ip_address, ip_network  # noqa: E402


@pytest.mark.parametrize("value", ["10.0.0.1", "fd00::1", "::"])
def test_addresses(value):
    assert ip_address(value) and ip_network(value)


@pytest.mark.parametrize("value", ["10.0.0.0/8", "10.0.0.7/24", "fd00::/64"])
def test_networks_are_not_addresses(value):
    assert ip_network(value) and not ip_address(value)


@pytest.mark.parametrize("value", ["web-1", "10.0.0.300", "10.0.0.0/33", "", None, "10.0.0.1\\naccept"])
def test_anything_else_is_neither(value):
    assert not ip_address(value) and not ip_network(value)


def test_an_ipv6_address_goes_in_brackets_before_a_port():
    assert [address_literal(a) for a in ("10.0.0.5", "fd00::20", "::")] == ["10.0.0.5", "[fd00::20]", "[::]"]
