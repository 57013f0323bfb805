"""Turn the inventory's sites and topology into each host's role variables: who proxies to whom, and over what.

    {{ hostvars | webstack.tiers.webstack_hops(groups, webstack_topology, role_defaults, site_options) }}

returns {host: {"uvicorn": {...}, "apache": {...}, "nginx": {...}, "firewall": {...}, "await": {...}}}, with a
key for each tier the host is in (and the firewall for every host), holding the role variables the site playbook
sets for that tier's role: `uvicorn_apps`, `apache_sites` (with Apache's listen address and trusted proxies) and
`nginx_sites`, one item per site, and `firewall_rules`. `await` holds, for each proxy tier of the host, its
backends on other hosts ({backend host: [{"host": address, "port": port}]}): the site playbook, which applies
different hosts' tiers at once, makes a proxy wait for those in the run before it starts or reloads.
role_defaults are the roles' own defaults (their defaults/main.yml files, merged): ports and paths come
from there, never from a copy here. site_options are the options each role accepts in an item of those
lists, as the roles' argument specs describe them ({"nginx": {...}, "apache": {...}, "uvicorn": {...}}): a
site's `nginx`, `apache` and `app` settings may use them, except the ones derived here, and their defaults
(a route's `match`) are read from there too.

This is the one place that checks the cross-tier contract: the topology, the groups, the addresses, the
sites, and that the inventory leaves the derived variables alone. Every error names the variable, and the
host or the site.

Rules (README, "The topology contract" and "Several sites"):
- Sites come from `webstack_sites`; without it the role variables describe one site called `default`.
  Every site is served by every host of its tier, with its own topology (default `webstack_topology`).
- chained: nginx -> apache -> uvicorn; split: nginx -> uvicorn for /api/, nginx -> apache for / and PHP.
- An app listens on a UNIX socket when its only proxy is on the same host, else on TCP at its host's
  address. Apache cannot listen on a UNIX socket: it listens on loopback when its only proxy (nginx) is
  on the same host, else on its address. Sites share Apache's one port, told apart by name.
- Sockets are named after the site; ports are the operator's (`app.port`, required where an app is
  reached over TCP, except for the site `default`, which uses `uvicorn_port`). So adding, removing or
  reordering sites never moves another site's app.
- Each tier trusts exactly the previous hop's addresses, and (with `webstack_firewall`, on by default) only
  those addresses and `webstack_firewall_extra_sources` may connect to its port: `firewall_rules` for every
  stack host, one rule per inner port (Apache's, each app's on TCP) naming each source host.
- A host's address is `webstack_address` when set, else its default IPv4 address from the facts.
- Features are not hops: PHP is on by default in split and off in chained, and the site's
  `apache.php_enabled` (else `apache_php_enabled`) decides. Routes the inventory gives (a site's
  `nginx.routes`, else `nginx_routes`) are merged into the derived route with the same path and match, or
  added before the derived ones.
"""

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.webstack.tiers.plugins.filter.network import address_literal
from ansible_collections.webstack.tiers.plugins.filter.sites import (
    DEFAULT_SITE, app_socket_path, site_errors, site_list)
from ansible_collections.webstack.tiers.plugins.filter.specs import spec_defaults
from ansible_collections.webstack.tiers.plugins.test.network import ip_network

TOPOLOGIES = ("chained", "split")
TIERS = ("nginx", "apache", "uvicorn")
LOOPBACK = "127.0.0.1"
# nginx and Apache both run as www-data on Debian; that user may open a co-located app's socket.
PROXY_USER = "www-data"
# What the playbook derives; an inventory value would be silently overridden, so it is refused.
DERIVED = (
    "uvicorn_apps", "uvicorn_bind", "uvicorn_host", "uvicorn_forwarded_allow_ips", "uvicorn_socket_users",
    "apache_sites", "apache_listen_address", "apache_trusted_proxies", "apache_backends", "apache_routes",
    "nginx_sites", "nginx_upstreams", "firewall_rules", "apache_await_backends", "nginx_await_backends",
)
# A webstack_sites item: its own keys, and the role settings it may carry per tier.
SITE_KEYS = ("name", "state", "server_names", "topology", "nginx", "apache", "app")
SITE_TIERS = {"nginx": "nginx", "apache": "apache", "app": "uvicorn"}
# Keys of the roles' items that the playbook fills in itself.
DERIVED_SITE_KEYS = {
    "nginx": ("name", "state", "server_names", "upstreams"),
    "apache": ("name", "state", "server_names", "backends", "routes"),
    "app": ("name", "state", "bind", "host", "forwarded_allow_ips", "socket_users"),
}
# What an absent app keeps, so the uvicorn role finds the units and files to remove.
APP_IDENTITY = ("service_name", "user", "group", "install_dir")


def _address(hostvars, host):
    own = hostvars[host].get("webstack_address")
    if own not in (None, ""):
        try:
            return str(ipaddress.ip_address(str(own)))
        except ValueError:
            raise AnsibleFilterError(f"webstack_address '{own}' of host {host} is not an IP address") from None
    try:
        return str(hostvars[host]["ansible_facts"]["default_ipv4"]["address"])
    except (KeyError, TypeError):
        raise AnsibleFilterError(
            f"no address for host {host}: set webstack_address, or gather its facts (default_ipv4)"
        ) from None


def _setting(hostvars, host, name, defaults):
    value = hostvars[host].get(name)
    return defaults[name] if value in (None, "") else value


def _port(value, name):
    """A port as an int; a value that is not one is named (the roles' argument specs check the range)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{name} '{value}' is not a port number") from None


def _same_everywhere(hostvars, hosts, name, default):
    values = {h: hostvars[h].get(name, default) for h in hosts}
    first = values[hosts[0]]
    differing = [h for h in hosts if values[h] != first]
    if differing:
        raise AnsibleFilterError(
            f"{name} must be the same for every host of the stack; it differs on {', '.join(differing)} "
            f"from {hosts[0]}")
    return first


def _check_inventory(hostvars, members, topology):
    hosts = sorted({h for tier in TIERS for h in members[tier]})
    if topology not in TOPOLOGIES:
        raise AnsibleFilterError(f"webstack_topology '{topology}' is not one of: {', '.join(TOPOLOGIES)}")
    for tier in TIERS:
        if not members[tier]:
            raise AnsibleFilterError(f"inventory group '{tier}' is empty; the {topology} topology needs it")
    differing = [h for h in hosts if hostvars[h].get("webstack_topology", "chained") != topology]
    if differing:
        raise AnsibleFilterError(
            f"webstack_topology must be the same for every host of the stack: it is '{topology}' here, "
            f"but not on {', '.join(differing)}")
    for host in hosts:
        inventory_set = [name for name in DERIVED if name in hostvars[host]]
        if inventory_set:
            raise AnsibleFilterError(
                f"{', '.join(inventory_set)} set for host {host}: the site playbook derives "
                f"{'it' if len(inventory_set) == 1 else 'them'} from the topology and the sites; remove "
                f"{'it' if len(inventory_set) == 1 else 'them'} from the inventory")
    return hosts


def _site_problems(item, index, topology, site_options):
    if not isinstance(item, dict) or "name" not in item:
        return [f"webstack_sites item {index + 1}: a site is a mapping with a name"]
    name = item["name"]
    problems = [f"webstack_sites {name}: unknown key '{key}'; a site has {', '.join(SITE_KEYS)}"
                for key in item if key not in SITE_KEYS]
    if item.get("topology", topology) not in TOPOLOGIES:
        problems.append(f"webstack_sites {name}: topology '{item['topology']}' is not one of: "
                        f"{', '.join(TOPOLOGIES)}")
    if item.get("state", "present") not in ("present", "absent"):
        problems.append(f"webstack_sites {name}: state '{item['state']}' is not present or absent")
    names = item.get("server_names")
    if item.get("state", "present") == "present" and (
            not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names)):
        problems.append(f"webstack_sites {name}: server_names must be a list of the names the site answers to")
    for key, role in SITE_TIERS.items():
        settings = item.get(key, {})
        if not isinstance(settings, dict):
            problems.append(f"webstack_sites {name}: {key} must be a mapping of {role} settings")
            continue
        for setting in settings:
            if setting in DERIVED_SITE_KEYS[key]:
                problems.append(f"webstack_sites {name}: {key}.{setting} is derived by the site playbook; "
                                "remove it")
            elif setting not in site_options[role]:
                allowed = [k for k in site_options[role] if k not in DERIVED_SITE_KEYS[key]]
                problems.append(f"webstack_sites {name}: unknown key {key}.{setting}; {key} takes "
                                f"{', '.join(allowed)}")
    return problems


def _sites(hostvars, hosts, topology, site_options):
    """The sites, checked: (sites with every key, whether they came from webstack_sites)."""
    given = _same_everywhere(hostvars, hosts, "webstack_sites", [])
    if given in (None, "", []):
        return [{"name": DEFAULT_SITE, "state": "present", "topology": topology,
                 "nginx": {}, "apache": {}, "app": {}}], False
    if not isinstance(given, list):
        raise AnsibleFilterError("webstack_sites must be a list of sites")
    problems = [p for i, item in enumerate(given) for p in _site_problems(item, i, topology, site_options)]
    problems += site_errors([item for item in given if isinstance(item, dict)], "webstack_sites")
    if problems:
        raise AnsibleFilterError("; ".join(problems))
    return [{"state": "present", "topology": topology, "nginx": {}, "apache": {}, "app": {}, **item}
            for item in given], True


def _merge_routes(derived, given, upstreams, source, route_defaults):
    """The inventory's routes (from the variable named source) update the derived route with the same path
    and match (route_defaults fill in what a route leaves out), or go first; a route must end up at one of
    the site's upstreams."""
    def key(route):
        route = {**route_defaults, **route}
        return route.get("path"), route.get("match")

    merged = [dict(route) for route in derived]
    extra = []
    for route in given or []:
        if not isinstance(route, dict):
            raise AnsibleFilterError(f"{source} entry {route!r} is not a route (a mapping with a path)")
        same = [m for m in merged if key(m) == key(route)]
        if "upstream" in route and route["upstream"] not in upstreams:
            raise AnsibleFilterError(
                f"{source} entry {route} sends to upstream '{route['upstream']}', which this site does not have; "
                f"it has {', '.join(upstreams)}")
        if same:
            same[0].update(route)
        elif "upstream" not in route:
            raise AnsibleFilterError(
                f"{source} entry {route} names no upstream and no derived route has its path and match "
                f"({', '.join(str(m['path']) for m in merged)}); give it an upstream ({', '.join(upstreams)})")
        else:
            extra.append(dict(route))
    return extra + merged


def _servers(app_servers, scheme):
    return [f"unix:{s['unix']}" if s["unix"] else f"{scheme}{s['tcp']}" for s in app_servers]


def _apps(hostvars, members, addr, site, proxies, role_defaults):
    """Each app host's uvicorn_apps item for the site, and where its proxies reach it."""
    app = site["app"]
    items, servers = {}, []
    for host in members["uvicorn"]:
        local = proxies == [host]
        completed = site_list([{"name": site["name"], **app}], {
            "service_name": _setting(hostvars, host, "uvicorn_service_name", role_defaults),
            "socket_path": _setting(hostvars, host, "uvicorn_socket_path", role_defaults),
        }, per_site_paths=["service_name"])[0]
        port = _port(app["port"], f"webstack_sites {site['name']}: app.port") if "port" in app else None
        if port is None and site["name"] == DEFAULT_SITE:
            port = _port(_setting(hostvars, host, "uvicorn_port", role_defaults), f"uvicorn_port of host {host}")
        if port is None and not local:
            raise AnsibleFilterError(
                f"webstack_sites {site['name']}: app.port is required: the app listens on TCP on {host}, "
                "and each app on a host needs a port of its own")
        items[host] = {
            "name": site["name"], **app,
            "bind": "unix" if local else "tcp",
            "host": addr[host],
            "forwarded_allow_ips": [] if local else sorted({addr[p] for p in proxies}),
            "socket_users": [PROXY_USER] if local else [],
        }
        servers.append({"host": host, "port": None if local else port,
                        "unix": app_socket_path(completed) if local else None,
                        "tcp": None if local else f"{address_literal(addr[host])}:{port}"})
    return items, servers


def _check_ports(ports, apache_ports):
    """No two apps on a host ask for one port, nor one app for Apache's."""
    for host, asked in ports.items():
        taken = {apache_ports[host]: "Apache (apache_listen_port)"} if host in apache_ports else {}
        for site, port in asked:
            if port in taken:
                raise AnsibleFilterError(
                    f"webstack_sites: {taken[port]} and {site} both ask for port {port} on {host}; "
                    "give each app a port of its own (app.port)")
            taken[port] = site


def _extra_sources(hostvars, host):
    given = hostvars[host].get("webstack_firewall_extra_sources") or []
    if not isinstance(given, list):
        raise AnsibleFilterError(f"webstack_firewall_extra_sources of host {host} must be a list of addresses")
    for source in given:
        if not ip_network(source):
            raise AnsibleFilterError(f"webstack_firewall_extra_sources entry '{source}' of host {host} is not an "
                                     "IP address or CIDR network")
    return [{"address": str(source), "host": "webstack_firewall_extra_sources"} for source in given]


def _firewall(hostvars, host, inner, addr):
    """The host's firewall_rules: each inner port open to the hosts in front of it and the extra sources."""
    extra = _extra_sources(hostvars, host)
    if not boolean(hostvars[host].get("webstack_firewall", True), strict=False):
        return []
    return [{"name": name, "port": port,
             "sources": [{"address": addr[h], "host": h} for h in sorted(set(proxies), key=addr.get)] + extra}
            for name, port, proxies, _ in inner.get(host, [])]


def _awaited(host, tiers, inner, addr):
    """For each proxy tier of the host: {backend host: [{"host": its address, "port": port}]} on other hosts."""
    awaited = {tier: {} for tier in tiers}
    for backend, ports in inner.items():
        for _, port, proxies, tier in ports:
            if backend != host and host in proxies and tier in awaited:
                awaited[tier].setdefault(backend, []).append({"host": addr[backend], "port": port})
    return awaited


def _hand_over_removal(plan, members, site):
    """An absent site goes to every role as its name and state (and the app's own names, if it set them)."""
    identity = {k: v for k, v in site["app"].items() if k in APP_IDENTITY}
    for tier, var in (("uvicorn", "uvicorn_apps"), ("apache", "apache_sites"), ("nginx", "nginx_sites")):
        for host in members[tier]:
            plan[host][tier][var].append({"name": site["name"], "state": "absent",
                                          **(identity if tier == "uvicorn" else {})})


def _edge(chained, apache_servers, app_servers):
    """nginx's upstreams and routes for a site of the topology."""
    upstreams = [{"name": "apache", "servers": apache_servers}]
    if chained:
        return upstreams, [{"path": "/", "upstream": "apache"}]
    upstreams.append({"name": "app", "servers": _servers(app_servers, "")})
    return upstreams, [
        {"path": "/api/ws", "match": "exact", "upstream": "app", "websocket": True},
        {"path": "/api/", "upstream": "app"},
        {"path": "\\.php$", "match": "regex", "upstream": "apache"},
        {"path": "/", "upstream": "apache"},
    ]


def webstack_hops(hostvars, groups, topology, role_defaults, site_options):
    members = {tier: list(groups.get(tier) or []) for tier in TIERS}
    hosts = _check_inventory(hostvars, members, topology)
    addr = {h: _address(hostvars, h) for h in hosts}
    sites, from_inventory = _sites(hostvars, hosts, topology, site_options)
    route_defaults = spec_defaults(site_options["nginx"]["routes"].get("options"))
    plan = {h: {} for h in hosts}

    inner = {}  # host -> [(what, port, the hosts in front of it, their tier)], for the firewall and the waits
    apache_servers, apache_ports = [], {}
    for host in members["apache"]:
        local = members["nginx"] == [host]
        listen = LOOPBACK if local else addr[host]
        plan[host]["apache"] = {
            "apache_listen_address": listen,
            "apache_trusted_proxies": [LOOPBACK] if local else sorted({addr[n] for n in members["nginx"]}),
            "apache_sites": [],
        }
        port = _port(_setting(hostvars, host, "apache_listen_port", role_defaults), f"apache_listen_port of host {host}")
        apache_ports[host] = port
        apache_servers.append(f"{address_literal(listen)}:{port}")
        inner.setdefault(host, []).append(("Apache", port, members["nginx"], "nginx"))
    for host in members["uvicorn"]:
        plan[host]["uvicorn"] = {"uvicorn_apps": []}
    for host in members["nginx"]:
        plan[host]["nginx"] = {"nginx_sites": []}

    ports = {}
    for site in sites:
        if site["state"] == "absent":
            _hand_over_removal(plan, members, site)
            continue
        name, chained = site["name"], site["topology"] == "chained"
        named = {"server_names": site["server_names"]} if from_inventory else {}

        proxies = members["apache"] if chained else members["nginx"]
        apps, app_servers = _apps(hostvars, members, addr, site, proxies, role_defaults)
        for host, item in apps.items():
            plan[host]["uvicorn"]["uvicorn_apps"].append(item)
        for server in app_servers:
            if server["port"] is not None:
                ports.setdefault(server["host"], []).append((name, server["port"]))
                inner.setdefault(server["host"], []).append(
                    (f"{name} app", server["port"], proxies, "apache" if chained else "nginx"))

        for host in members["apache"]:
            php = site["apache"].get("php_enabled", hostvars[host].get("apache_php_enabled"))
            plan[host]["apache"]["apache_sites"].append({
                "name": name, **site["apache"], **named,
                "php_enabled": (not chained) if php in (None, "") else php,
                "backends": [{"name": "app", "servers": _servers(app_servers, "http://")}] if chained else [],
                "routes": [{"path": "/", "backend": "app"}] if chained else [],
            })

        upstreams, routes = _edge(chained, apache_servers, app_servers)
        for host in members["nginx"]:
            if "routes" in site["nginx"]:
                given, source = site["nginx"]["routes"], f"webstack_sites {name}: nginx.routes"
            else:
                given, source = hostvars[host].get("nginx_routes"), f"nginx_routes of host {host}"
            plan[host]["nginx"]["nginx_sites"].append({
                "name": name, **site["nginx"], **named,
                "upstreams": upstreams,
                "routes": _merge_routes(routes, given, [u["name"] for u in upstreams], source, route_defaults),
            })
    _check_ports(ports, apache_ports)
    for host in hosts:
        plan[host]["firewall"] = {"firewall_rules": _firewall(hostvars, host, inner, addr)}
        plan[host]["await"] = _awaited(host, [t for t in ("apache", "nginx") if t in plan[host]], inner, addr)
    return plan


class FilterModule:
    def filters(self):
        return {"webstack_hops": webstack_hops}
