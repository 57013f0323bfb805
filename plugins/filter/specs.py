"""Defaults written once, in a role's argument spec, and applied to the list items it describes.

    {{ spec.argument_specs.main.options.nginx_upstreams.options | webstack.tiers.spec_defaults }}
        -> {'balance': 'round_robin', 'max_fails': 1, 'fail_timeout': 10}
    {{ sites | webstack.tiers.entries_with_defaults({'upstreams': {...}, 'routes': {...}}) }}
"""


def spec_defaults(options):
    """{option: default} for each option of an argument spec's options that has a default."""
    return {name: option["default"] for name, option in (options or {}).items() if "default" in option}


def entries_with_defaults(sites, defaults_by_key):
    """Copies of the sites in which each dict of the list at key (a site's upstreams, routes) has every key of
    defaults_by_key[key] it does not set itself."""
    result = []
    for site in sites:
        site = dict(site)
        for key, defaults in defaults_by_key.items():
            if key in site:
                site[key] = [{**defaults, **entry} for entry in site[key] or []]
        result.append(site)
    return result


class FilterModule:
    def filters(self):
        return {"spec_defaults": spec_defaults, "entries_with_defaults": entries_with_defaults}
