"""Tests for addresses, as the roles and the site playbook check them.

    {{ value is webstack.tiers.ip_address }}     an IPv4 or IPv6 address
    {{ value is webstack.tiers.ip_network }}     an address or a CIDR network (host bits may be set)
"""

import ipaddress


def ip_address(value):
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def ip_network(value):
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return True


class TestModule:
    def tests(self):
        return {"ip_address": ip_address, "ip_network": ip_network}
