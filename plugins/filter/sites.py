"""Complete a role's list of sites (or apps) from its role-wide variables, and check it.

    {{ nginx_sites | webstack.tiers.site_list(defaults, per_site_paths=['static_dir']) }}
    {{ site | webstack.tiers.site_var('routes', 'nginx') }}
    {{ __nginx_sites | webstack.tiers.site_errors('nginx_sites') }}
    {{ app | webstack.tiers.app_socket_path }}
    {{ __nginx_sites | webstack.tiers.absent_site_paths(['/etc/nginx/sites-available/webstack-{name}.conf']) }}

Each item comes back with every key of defaults: what the item sets, else the default. An empty list
means one site called `default`, described entirely by the defaults, which is how a role's scalar
variables keep working. A key named in per_site_paths that a site other than `default` leaves unset gets
`-<name>` appended, so two sites never share a directory by accident. `inherited` lists the keys that came
from the defaults, so a message about a bad value can name the variable it came from.
"""

import re

DEFAULT_SITE = "default"
# A name ends up in file, unit, user and upstream names: lower-case letters, digits and - inside.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")


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


def site_errors(sites, var):
    """What is wrong with a list of sites as a whole, one message per problem naming var and the site: a name
    that is not a slug, a name used twice, a server name in two present sites."""
    errors = []
    seen = set()
    for site in sites or []:
        name = site.get("name")
        if not isinstance(name, str) or not SLUG.match(name):
            errors.append(f"{var}: the name {name!r} is not a slug (lower-case letters, digits and - not at "
                          "either end, at most 32 characters)")
        elif name in seen:
            errors.append(f"{var}: the name {name} is used twice; each needs a name of its own")
        seen.add(name)
    owner = {}
    for site in sites or []:
        if site.get("state", "present") != "present":
            continue
        for server_name in site.get("server_names") or []:
            if server_name in owner and owner[server_name] != site.get("name"):
                errors.append(f"{var}: the server name {server_name} is in sites {owner[server_name]} and "
                              f"{site.get('name')}; a name may belong to one site only")
            owner.setdefault(server_name, site.get("name"))
    return errors


def _made_for_site(site, key):
    """Whether a completed site's value for key is the role's own, made for that site: the site left it out and
    is not the default site (whose values are the role-wide ones)."""
    return key in site.get("inherited", ()) and site["name"] != DEFAULT_SITE


def app_socket_path(app):
    """The UNIX socket of a completed app (site_list): its own socket_path, else for the default app the
    role-wide one, else (and when that is "") a socket in the app's own runtime directory,
    /run/<service_name>/app.sock."""
    if _made_for_site(app, "socket_path") or not app.get("socket_path"):
        return f"/run/{app['service_name']}/app.sock"
    return app["socket_path"]


def absent_site_paths(sites, patterns, own_dirs=()):
    """What the sites with state absent leave behind: each pattern with {name} filled in, and each key in
    own_dirs that a site other than default left to the role (so the role made the directory, with -<name>);
    a directory the site named itself is the operator's and stays."""
    paths = []
    for site in sites:
        if site.get("state") != "absent":
            continue
        paths += [pattern.format(name=site["name"]) for pattern in patterns]
        paths += [site[key] for key in own_dirs if _made_for_site(site, key)]
    return paths


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
        return {"site_list": site_list, "site_var": site_var, "site_errors": site_errors,
                "app_socket_path": app_socket_path, "absent_site_paths": absent_site_paths,
                "mask_secrets": mask_secrets}
