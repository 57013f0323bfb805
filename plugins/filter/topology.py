"""Turn the inventory and a topology into each host's role variables: who proxies to whom, and over what.

    {{ hostvars | webstack.tiers.webstack_hops(groups, webstack_topology) }}

returns {host: {"uvicorn": {...}, "apache": {...}, "nginx": {...}}}, with a key for each tier the host
is in, holding the role variables the site playbook passes to that tier's role.

Rules (README, "The topology contract"):
- chained: nginx -> apache -> uvicorn; split: nginx -> uvicorn for /api/, nginx -> apache for / and PHP.
- A uvicorn host listens on a UNIX socket when its only proxy is on the same host, else on TCP at its
  address. Apache cannot listen on a UNIX socket: it listens on loopback when its only proxy (nginx) is
  on the same host, else on its address.
- Each tier trusts exactly the previous hop's addresses.
- A host's address is `webstack_address` when set, else its default IPv4 address from the facts.
"""

from ansible.errors import AnsibleFilterError

TOPOLOGIES = ("chained", "split")
TIERS = ("nginx", "apache", "uvicorn")
DEFAULT_UVICORN_PORT = 8000
DEFAULT_APACHE_PORT = 8080
DEFAULT_SOCKET = "/run/webstack-app/app.sock"
LOOPBACK = "127.0.0.1"
# nginx and Apache both run as www-data on Debian; that user may open a co-located app's socket.
PROXY_USER = "www-data"


def _address(hostvars, host):
    own = hostvars[host].get("webstack_address")
    if own:
        return str(own)
    try:
        return str(hostvars[host]["ansible_facts"]["default_ipv4"]["address"])
    except (KeyError, TypeError):
        raise AnsibleFilterError(
            f"no address for host {host}: set webstack_address, or gather its facts (default_ipv4)"
        ) from None


def _setting(hostvars, host, name, default):
    value = hostvars[host].get(name)
    return default if value in (None, "") else value


def _literal(address):
    return f"[{address}]" if ":" in address else address


def webstack_hops(hostvars, groups, topology):
    if topology not in TOPOLOGIES:
        raise AnsibleFilterError(f"webstack_topology '{topology}' is not one of: {', '.join(TOPOLOGIES)}")
    members = {tier: list(groups.get(tier) or []) for tier in TIERS}
    for tier in TIERS:
        if not members[tier]:
            raise AnsibleFilterError(f"inventory group '{tier}' is empty; the {topology} topology needs it")
    addr = {h: _address(hostvars, h) for tier in TIERS for h in members[tier]}

    # Who sits right in front of the app servers, and of Apache.
    app_proxies = members["apache"] if topology == "chained" else members["nginx"]
    plan = {h: {} for h in addr}

    app_servers = []
    for host in members["uvicorn"]:
        local = app_proxies == [host]
        socket = str(_setting(hostvars, host, "uvicorn_socket_path", DEFAULT_SOCKET))
        port = int(_setting(hostvars, host, "uvicorn_port", DEFAULT_UVICORN_PORT))
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
        port = int(_setting(hostvars, host, "apache_listen_port", DEFAULT_APACHE_PORT))
        listen = LOOPBACK if local else addr[host]
        apache = {
            "apache_listen_address": listen,
            "apache_trusted_proxies": [LOOPBACK] if local else sorted({addr[n] for n in members["nginx"]}),
            "apache_php_enabled": topology == "split",
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
        plan[host]["nginx"] = {"nginx_upstreams": upstreams, "nginx_routes": routes}
    return plan


class FilterModule:
    def filters(self):
        return {"webstack_hops": webstack_hops}
