"""Which of the nginx role's ACME sites certbot must be asked for on this run, and when.

roles/nginx/tasks/acme.yml reads what certbot holds with `webstack-cert-status --json` (one entry per site,
its "acme" the lineage's names, CA directory and key type, or null) and passes it here with the sites:

    {{ sites | webstack.tiers.acme_due(held, url, key_type, nginx_runs, default_server) }}
    -> [{'name': 'shop', 'held': True, 'early': True}]

A site is due when certbot holds no certificate for it, or one for other names, another CA or another key
type. "early": the role can ask before the site's file changes, because nginx runs and already answers the
CA's challenges for every name: the site's own server answers the names it has, and the role's default
server (nginx_default_server refuse, or a site) a name that no server has yet. A failed issuance then leaves
the configuration as it was. The other due sites (a first certificate; nginx_default_server none with a new
name) are asked for once nginx serves them.
"""


def acme_due(sites, held, directory_url, key_type, nginx_runs, default_server):
    held_by_site = {entry["site"]: entry.get("acme") for entry in held}
    due = []
    for site in sites:
        cert = held_by_site.get(site["name"])
        names = site["server_names"]
        if cert is not None and sorted(cert["names"]) == sorted(names) and cert["server"] == directory_url \
                and cert["key_type"] == key_type:
            continue
        answered = default_server != "none" or set(names) <= set(cert["names"] if cert else [])
        due.append({"name": site["name"], "held": cert is not None,
                    "early": cert is not None and bool(nginx_runs) and answered})
    return due


class FilterModule:
    def filters(self):
        return {"acme_due": acme_due}
