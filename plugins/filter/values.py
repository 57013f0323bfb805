"""Values that reach a config file where a line break would start a directive of their own choosing.

    {{ {'A': 'ok', 'B': 'x\nExecStartPre=/bin/false'} | webstack.tiers.keys_with_control_characters }}  -> ['B']
"""

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def keys_with_control_characters(values):
    """The keys of a dict whose string values hold a line break or another control character (tab included).
    Only the keys: the values may be secrets, and the list goes into an error message."""
    return [key for key, value in (values or {}).items() if isinstance(value, str) and _CONTROL.search(value)]


class FilterModule:
    def filters(self):
        return {"keys_with_control_characters": keys_with_control_characters}
