"""Two sites on shared hosts, seen through the front door: each answers by its own names with its own
certificate, each request reaches its own site's app and only that, each site keeps its own topology, and a
third site comes and goes, and one site's app is deployed and rolled back, without touching the others."""

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from webstack_testlib import (
    PROJECT_DIR, assert_unknown_names_refused, container_ip, docker, input_checks_once, inventory,
    peer_certificate_names, run_playbook, web_request,
)

testinfra_hosts = ["ansible://nginx"]
SITE_PLAYBOOK = os.path.join(PROJECT_DIR, "playbooks", "site.yml")
DEPLOY = os.path.join(PROJECT_DIR, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT_DIR, "playbooks", "rollback.yml")
INVENTORY = inventory()
FRONT = INVENTORY["groups"]["nginx"][0]
APP_HOST = INVENTORY["groups"]["uvicorn"][0]
SITES = {site["name"]: site for site in INVENTORY["hostvars"][FRONT]["webstack_sites"]}
WIKI = {"name": "wiki", "server_names": ["wiki.webstack.test"], "app": {"port": 8003}}


def request(site, path, host=None, **kwargs):
    """A request through the front door for a site's first name (or host), over HTTPS unless told."""
    return web_request(container_ip(FRONT), "GET", path, host or SITES[site]["server_names"][0], **kwargs)


def site_json(site, path, host=None):
    status, _, body = request(site, path, host)
    assert status == 200, f"{site} {path}: {status} {body[:300]!r}"
    return json.loads(body)


def on(host, command):
    return docker("exec", host, "sh", "-c", command, check=False)


def main_pids(names):
    return {name: on(APP_HOST, f"systemctl show -p MainPID --value webstack-app-{name}.service").stdout.strip()
            for name in names}


def app_log(name):
    """What the site's app logged (uvicorn's access log, one line per request, with the query string)."""
    return on(APP_HOST, f"journalctl --no-pager -o cat -u webstack-app-{name}.service").stdout


def test_each_site_answers_by_its_names_with_its_own_certificate():
    for site in SITES.values():
        for name in site["server_names"]:
            assert peer_certificate_names(container_ip(FRONT), name) == site["server_names"], name


def test_each_request_reaches_its_own_sites_app_and_no_other():
    probes = {name: uuid.uuid4().hex for name in SITES}
    shop = site_json("shop", f"/api/whoami?probe={probes['shop']}")
    assert shop["host"] == "shop.webstack.test" and shop["served_by"] == APP_HOST
    blog = site_json("blog", f"/api/whoami?probe={probes['blog']}", host="www.blog.webstack.test")
    assert blog["app"] == "blog" and blog["host"] == "www.blog.webstack.test" and blog["scheme"] == "https"
    assert len(blog["request_id"]) == 32
    deadline = time.monotonic() + 10
    while not all(probe in app_log(name) for name, probe in probes.items()) and time.monotonic() < deadline:
        time.sleep(0.5)
    for name, probe in probes.items():
        assert probe in app_log(name), f"{name}'s app never logged its request"
        for other in SITES:
            if other != name:
                assert probe not in app_log(other), f"{name}'s request reached {other}'s app"


def test_each_site_keeps_its_own_topology():
    # shop is chained: Apache sits in front of its app, and .php goes to the app like every other path.
    assert "x-forwarded-server" in site_json("shop", "/api/whoami")["headers"]
    status, _, body = request("shop", "/index.php")
    assert status == 404 and b"Not Found" in body
    # blog is split: nginx sends /api/ straight to the app, and PHP to Apache, which serves blog's own root.
    assert site_json("blog", "/index.php")["tier"] == "php"
    assert site_json("blog", "/api/whoami")["app"] == "blog"


def test_route_options_are_the_sites_own():
    """blog limits its /api/ bodies to 1 KiB; shop keeps the default."""
    body = b"x" * 2048
    assert request("blog", "/api/whoami", headers={"Content-Type": "text/plain"}, body=body)[0] == 413
    assert request("shop", "/api/whoami", headers={"Content-Type": "text/plain"}, body=body)[0] == 200


def test_names_no_site_serves_are_refused_and_never_reach_an_app():
    for site in SITES.values():
        assert_unknown_names_refused(container_ip(FRONT), site["server_names"][0])


def test_a_third_site_comes_and_goes_without_touching_the_others():
    before = main_pids(SITES)
    assert all(pid.isdigit() and pid != "0" for pid in before.values()), before
    sites = list(SITES.values())
    try:
        rc, out, _ = run_playbook(SITE_PLAYBOOK, {"webstack_sites": sites + [WIKI]})
        assert rc == 0, out[-3000:]
        seen = site_json("wiki", "/api/whoami", host="wiki.webstack.test")
        assert seen["host"] == "wiki.webstack.test" and seen["served_by"] == APP_HOST
        assert peer_certificate_names(container_ip(FRONT), "wiki.webstack.test") == ["wiki.webstack.test"]
        assert main_pids(SITES) == before
    finally:
        rc, out, recap = run_playbook(SITE_PLAYBOOK, {"webstack_sites": sites + [dict(WIKI, state="absent")]})
    assert rc == 0, out[-3000:]
    assert main_pids(SITES) == before
    left = {
        FRONT: ["/etc/nginx/sites-available/webstack-wiki.conf", "/etc/nginx/sites-enabled/webstack-wiki.conf",
                "/etc/nginx/tls/webstack-wiki.crt", "/etc/nginx/tls/webstack-wiki.key", "/var/www/webstack-static-wiki",
                "/etc/apache2/sites-available/webstack-wiki.conf", "/etc/apache2/sites-enabled/webstack-wiki.conf",
                "/var/www/webstack-wiki"],
        APP_HOST: ["/etc/systemd/system/webstack-app-wiki.service", "/etc/systemd/system/webstack-app-wiki.socket",
                   "/etc/webstack-app-wiki", "/opt/webstack-app-wiki", "/run/webstack-app-wiki",
                   "/etc/webstack-app-releases.d/webstack-app-wiki"],
    }
    for host, paths in left.items():
        assert on(host, " ; ".join(f"test -e {p} && echo {p}" for p in paths) + "; true").stdout == "", host
    assert on(APP_HOST, "getent passwd webstack-app-wiki; getent group webstack-app-wiki").stdout == ""
    assert on(APP_HOST, "systemctl list-units --all --plain --no-legend 'webstack-app-wiki*'").stdout == ""
    assert on(APP_HOST, "ss -Hltn 'sport = :8003'").stdout == ""
    assert_unknown_names_refused(container_ip(FRONT), "shop.webstack.test")
    with pytest.raises(OSError):  # its name is refused now: no site serves it
        request("wiki", "/api/health", host="wiki.webstack.test")
    for name in SITES:
        assert request(name, "/api/health")[0] == 200


def live_release(name):
    return on(APP_HOST, f"readlink /opt/webstack-app-{name}/current").stdout.strip().rsplit("/", 1)[-1]


def test_a_deploy_and_a_rollback_move_one_sites_app_and_leave_the_other_alone(tmp_path):
    """webstack_deploy_site picks the app: blog gets a new release and goes back; shop keeps every process."""
    shutil.copytree(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "blog_app"), tmp_path / "blog_app")
    code = tmp_path / "blog_app" / "blog.py"
    code.write_text(code.read_text().replace('"app": "blog",', '"app": "blog", "edition": 2,'))
    sites = [dict(site, app=dict(site["app"], app_directory=str(tmp_path / "blog_app"))) if name == "blog" else site
             for name, site in SITES.items()]
    shop_pid, shop_release, blog_release = main_pids(["shop"]), live_release("shop"), live_release("blog")
    rc, out, _ = run_playbook(DEPLOY, {"webstack_sites": sites, "webstack_deploy_site": "blog"})
    assert rc == 0, out[-3000:]
    seen = site_json("blog", "/api/whoami")
    assert seen["edition"] == 2 and seen["release"] == live_release("blog") != blog_release
    rc, out, _ = run_playbook(ROLLBACK, {"webstack_deploy_site": "blog"})
    assert rc == 0, out[-3000:]
    seen = site_json("blog", "/api/whoami")
    assert "edition" not in seen and seen["release"] == blog_release == live_release("blog")
    assert main_pids(["shop"]) == shop_pid and live_release("shop") == shop_release
    rc, out, _ = run_playbook(DEPLOY, {"webstack_deploy_site": "wiki"})
    assert rc != 0 and "webstack_deploy_site 'wiki' is not an app on sites-app; its apps: shop, blog" in out, out[-3000:]
    rc, out, _ = run_playbook(DEPLOY, {"webstack_deploy_site": "blog", "webstack_deploy_gate_timeout": "soon"})
    assert rc != 0 and "webstack_deploy_gate_timeout 'soon' must be a number of seconds" in out, out[-3000:]
    assert live_release("blog") == blog_release


@input_checks_once()
@pytest.mark.parametrize("change, message", [
    (lambda s: s + [dict(s[0], server_names=["other.webstack.test"])], "webstack_sites: the name shop is used twice"),
    (lambda s: s + [dict(WIKI, server_names=["www.blog.webstack.test"])],
     "webstack_sites: the server name www.blog.webstack.test is in sites blog and wiki"),
    (lambda s: s + [dict(WIKI, app={"port": 8001})], "webstack_sites: shop and wiki both ask for port 8001 on sites-app"),
    (lambda s: s + [dict(WIKI, name="Wiki_2")], "webstack_sites: the name 'Wiki_2' is not a slug"),
    (lambda s: s + [dict(WIKI, colour="blue")], "webstack_sites wiki: unknown key 'colour'"),
    (lambda s: s + [dict(WIKI, apache={"documentroot": "/srv/wiki"})],
     "webstack_sites wiki: unknown key apache.documentroot"),
    (lambda s: s + [dict(WIKI, app={})], "webstack_sites wiki: app.port is required"),
])
def test_bad_sites_stop_the_play_before_any_host_changes(change, message):
    # The first site also changes (more workers): nothing may change before the bad one is found.
    sites = [dict(SITES["shop"], app={**SITES["shop"]["app"], "workers": 3})] + list(SITES.values())[1:]
    rc, out, recap = run_playbook(SITE_PLAYBOOK, {"webstack_sites": change(sites)})
    assert rc != 0 and message in out, out[-3000:]
    assert all(r["changed"] == 0 for r in recap.values()), recap
