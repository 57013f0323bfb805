"""Complete a role's list of sites (or apps) from its role-wide variables.

    {{ nginx_sites | webstack.tiers.site_list(defaults, per_site_paths=['static_dir']) }}
    {{ site | webstack.tiers.site_var('routes', 'nginx') }}

Each item comes back with every key of defaults: what the item sets, else the default. An empty list
means one site called `default`, described entirely by the defaults, which is how a role's scalar
variables keep working. A key named in per_site_paths that a site other than `default` leaves unset gets
`-<name>` appended, so two sites never share a directory by accident. `inherited` lists the keys that came
from the defaults, so a message about a bad value can name the variable it came from.
"""

DEFAULT_SITE = "default"


def site_list(items, defaults, per_site_paths=()):
    sites = []
    for item in items or [{"name": DEFAULT_SITE}]:
        site = {**defaults, **item, "inherited": sorted(set(defaults) - set(item))}
        for key in per_site_paths:
            if key not in item and site.get("name") != DEFAULT_SITE:
                site[key] = f"{str(defaults[key]).rstrip('/')}-{site['name']}"
        sites.append(site)
    return sites


def site_var(site, key, role, role_wide=None):
    """How a message names one setting of a completed site: the role-wide variable it came from (by default
    <role>_<key>), or the site's own entry, <role>_sites <name>: <key>."""
    if key in site.get("inherited", ()):
        return role_wide or f"{role}_{key}"
    return f"{role}_sites {site['name']}: {key}"


SECRET = "<secret>"


def mask_secrets(sites, keys):
    """Copies of the sites with each secret replaced by a marker ("" stays ""), for loops that do not need
    the secrets: a failed task prints its loop item. A key is a site key (tls_key_content; of a dict, only
    the values are masked), or <list key>.<key> for a key in each dict of a list (basic_auth_users.password)."""
    def masked(value):
        if isinstance(value, dict):  # environment-style: the names stay, the values go
            return {name: masked(item) for name, item in value.items()}
        return "" if value in (None, "") else SECRET

    result = []
    for site in sites:
        site = dict(site)
        for key in keys:
            outer, _, inner = key.partition(".")
            if outer not in site:
                continue
            if inner:
                site[outer] = [dict(entry, **{inner: masked(entry.get(inner))}) if inner in entry else entry
                               for entry in site[outer] or []]
            else:
                site[outer] = masked(site[outer])
        result.append(site)
    return result


class FilterModule:
    def filters(self):
        return {"site_list": site_list, "site_var": site_var, "mask_secrets": mask_secrets}
