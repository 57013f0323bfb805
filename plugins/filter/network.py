"""Addresses as they are written in front of a port.

    {{ '::1' | webstack.tiers.address_literal }}          -> [::1]
    {{ '10.0.0.5' | webstack.tiers.address_literal }}     -> 10.0.0.5
"""


def address_literal(address):
    """An address ready for :port: IPv6 in brackets, anything else as it is."""
    address = str(address)
    return f"[{address}]" if ":" in address else address


class FilterModule:
    def filters(self):
        return {"address_literal": address_literal}
