"""Turn the inventory and a topology into each host's role variables: who proxies to whom, and over what.

    {{ hostvars | webstack.tiers.webstack_hops(groups, webstack_topology, role_defaults) }}

returns {host: {"uvicorn": {...}, "apache": {...}, "nginx": {...}}}, with a key for each tier the host
is in, holding the role variables the site playbook sets for that tier's role. role_defaults are the
roles' own defaults (their defaults/main.yml files, merged): ports and paths come from there, never from
a copy here.

This is the one place that checks the cross-tier contract: the topology, the groups, the addresses, and
that the inventory leaves the derived variables alone. Every error names the variable and the host.

Rules (README, "The topology contract"):
- chained: nginx -> apache -> uvicorn; split: nginx -> uvicorn for /api/, nginx -> apache for / and PHP.
- A uvicorn host listens on a UNIX socket when its only proxy is on the same host, else on TCP at its
  address. Apache cannot listen on a UNIX socket: it listens on loopback when its only proxy (nginx) is
  on the same host, else on its address.
- Each tier trusts exactly the previous hop's addresses.
- A host's address is `webstack_address` when set, else its default IPv4 address from the facts.
- Features are not hops: PHP is on by default in split and off in chained, and `apache_php_enabled`
  decides. Routes the inventory gives in `nginx_routes` (a rate limit, a body limit) are merged into the
  derived route with the same path and match, or added before the derived ones.
"""

import ipaddress

from ansible.errors import AnsibleFilterError

TOPOLOGIES = ("chained", "split")
TIERS = ("nginx", "apache", "uvicorn")
LOOPBACK = "127.0.0.1"
# nginx and Apache both run as www-data on Debian; that user may open a co-located app's socket.
PROXY_USER = "www-data"
# What the playbook derives; an inventory value would be silently overridden, so it is refused.
DERIVED = (
    "uvicorn_bind", "uvicorn_host", "uvicorn_forwarded_allow_ips", "uvicorn_socket_users",
    "apache_listen_address", "apache_trusted_proxies", "apache_backends", "apache_routes", "nginx_upstreams",
)


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


def _literal(address):
    return f"[{address}]" if ":" in address else address


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
                f"{'it' if len(inventory_set) == 1 else 'them'} from the topology; remove "
                f"{'it' if len(inventory_set) == 1 else 'them'} from the inventory")


def _merge_routes(derived, given):
    """The inventory's routes update the derived route with the same path and match, or go first."""
    def key(route):
        return route.get("path"), route.get("match", "prefix")

    merged = [dict(route) for route in derived]
    extra = []
    for route in given or []:
        same = [m for m in merged if key(m) == key(route)]
        if same:
            same[0].update(route)
        else:
            extra.append(dict(route))
    return extra + merged


def webstack_hops(hostvars, groups, topology, role_defaults):
    members = {tier: list(groups.get(tier) or []) for tier in TIERS}
    _check_inventory(hostvars, members, topology)
    addr = {h: _address(hostvars, h) for tier in TIERS for h in members[tier]}

    # Who sits right in front of the app servers, and of Apache.
    app_proxies = members["apache"] if topology == "chained" else members["nginx"]
    plan = {h: {} for h in addr}

    app_servers = []
    for host in members["uvicorn"]:
        local = app_proxies == [host]
        socket = str(_setting(hostvars, host, "uvicorn_socket_path", role_defaults))
        port = int(_setting(hostvars, host, "uvicorn_port", role_defaults))
        plan[host]["uvicorn"] = {
            "uvicorn_bind": "unix" if local else "tcp",
            "uvicorn_host": addr[host],
            "uvicorn_forwarded_allow_ips": [] if local else sorted({addr[p] for p in app_proxies}),
            "uvicorn_socket_users": [PROXY_USER] if local else [],
        }
        app_servers.append({"host": host, "unix": socket if local else None,
                            "tcp": f"{_literal(addr[host])}:{port}"})

    apache_servers = []
    for host in members["apache"]:
        local = members["nginx"] == [host]
        port = int(_setting(hostvars, host, "apache_listen_port", role_defaults))
        listen = LOOPBACK if local else addr[host]
        php = hostvars[host].get("apache_php_enabled")
        apache = {
            "apache_listen_address": listen,
            "apache_trusted_proxies": [LOOPBACK] if local else sorted({addr[n] for n in members["nginx"]}),
            "apache_php_enabled": topology == "split" if php in (None, "") else php,
            "apache_backends": [],
            "apache_routes": [],
        }
        if topology == "chained":
            apache["apache_backends"] = [{
                "name": "app",
                "servers": [f"unix:{s['unix']}" if s["unix"] else f"http://{s['tcp']}" for s in app_servers],
            }]
            apache["apache_routes"] = [{"path": "/", "backend": "app"}]
        plan[host]["apache"] = apache
        apache_servers.append(f"{_literal(listen)}:{port}")

    upstreams = [{"name": "apache", "servers": apache_servers}]
    if topology == "chained":
        routes = [{"path": "/", "upstream": "apache"}]
    else:
        upstreams.append({
            "name": "app",
            "servers": [f"unix:{s['unix']}" if s["unix"] else s["tcp"] for s in app_servers],
        })
        routes = [
            {"path": "/api/ws", "match": "exact", "upstream": "app", "websocket": True},
            {"path": "/api/", "upstream": "app"},
            {"path": "\\.php$", "match": "regex", "upstream": "apache"},
            {"path": "/", "upstream": "apache"},
        ]
    for host in members["nginx"]:
        plan[host]["nginx"] = {
            "nginx_upstreams": upstreams,
            "nginx_routes": _merge_routes(routes, hostvars[host].get("nginx_routes")),
        }
    return plan


class FilterModule:
    def filters(self):
        return {"webstack_hops": webstack_hops}
