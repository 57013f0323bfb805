"""The site_list filter: every site gets every key, scalars describe the one default site."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "filter"))
from sites import absent_site_paths, app_socket_path, mask_secrets, site_errors, site_list, site_var  # noqa: E402

DEFAULTS = {"state": "present", "server_names": ["www.example.com"], "static_dir": "/var/www/webstack-static"}


def test_no_sites_means_one_default_site_from_the_role_wide_values():
    assert site_list([], DEFAULTS, ["static_dir"]) == [
        {"name": "default", **DEFAULTS, "inherited": ["server_names", "state", "static_dir"]}]


def test_a_site_keeps_what_it_sets_and_takes_the_rest():
    sites = site_list([{"name": "shop", "server_names": ["shop.example.com"], "state": "absent"}], DEFAULTS)
    assert sites == [{"name": "shop", "server_names": ["shop.example.com"], "state": "absent",
                      "static_dir": "/var/www/webstack-static", "inherited": ["static_dir"]}]


def test_per_site_paths_differ_unless_set():
    sites = site_list([{"name": "default"}, {"name": "shop"}, {"name": "blog", "static_dir": "/srv/blog/"}],
                      DEFAULTS, ["static_dir"])
    assert [s["static_dir"] for s in sites] == ["/var/www/webstack-static", "/var/www/webstack-static-shop",
                                                "/srv/blog/"]


def test_the_input_is_not_modified():
    items = [{"name": "shop"}]
    site_list(items, DEFAULTS, ["static_dir"])
    assert items == [{"name": "shop"}]


def test_a_setting_is_named_by_where_it_came_from():
    default, shop = site_list([{"name": "default"}, {"name": "shop", "server_names": ["shop.example.com"]}],
                              DEFAULTS)
    assert site_var(default, "server_names", "nginx") == "nginx_server_names"
    assert site_var(shop, "server_names", "nginx") == "nginx_sites shop: server_names"
    assert site_var(shop, "static_dir", "nginx") == "nginx_static_dir"
    only = site_list([], DEFAULTS)[0]
    assert site_var(only, "server_names", "apache", "apache_server_name") == "apache_server_name"


def test_secrets_are_masked_for_loops_that_print_their_items():
    sites = [{"name": "shop", "tls_key_content": "-----BEGIN PRIVATE KEY-----",
              "basic_auth_users": [{"name": "ops", "password": "hunter2"}, {"name": "dev", "password": ""}]},
             {"name": "blog", "tls_key_content": ""}]
    masked = mask_secrets(sites, ["tls_key_content", "basic_auth_users.password"])
    assert "hunter2" not in str(masked) and "PRIVATE" not in str(masked)
    assert masked[0]["basic_auth_users"] == [{"name": "ops", "password": "<secret>"}, {"name": "dev", "password": ""}]
    assert masked[1] == {"name": "blog", "tls_key_content": ""}
    assert sites[0]["basic_auth_users"][0]["password"] == "hunter2"  # the input is left as it was


def test_a_secret_dict_keeps_its_names():
    masked = mask_secrets([{"name": "api", "secret_environment": {"DB_PASSWORD": "s3cret", "EMPTY": ""}}],
                          ["secret_environment"])
    assert masked[0]["secret_environment"] == {"DB_PASSWORD": "<secret>", "EMPTY": ""}


def test_site_errors_name_every_problem_and_the_variable():
    sites = [{"name": "shop", "server_names": ["a.test"]}, {"name": "shop", "server_names": ["b.test"]},
             {"name": "-blog", "server_names": ["a.test"]}, {"name": "old", "state": "absent", "server_names": ["b.test"]},
             {"name": "x" * 33}]
    assert site_errors(sites, "nginx_sites") == [
        "nginx_sites: the name shop is used twice; each needs a name of its own",
        "nginx_sites: the name '-blog' is not a slug (lower-case letters, digits and - not at either end, "
        "at most 32 characters)",
        f"nginx_sites: the name '{'x' * 33}' is not a slug (lower-case letters, digits and - not at either end, "
        "at most 32 characters)",
        "nginx_sites: the server name a.test is in sites shop and -blog; a name may belong to one site only",
    ]
    assert site_errors(site_list([{"name": "a", "server_names": ["a.test"]}, {"name": "b-2"}], DEFAULTS),
                       "nginx_sites") == []


def test_an_apps_socket_sits_in_its_own_runtime_directory():
    defaults = {"service_name": "webstack-app", "socket_path": "/run/webstack-app/app.sock"}
    default, shop, own, named = site_list([{"name": "default"}, {"name": "shop"},
                                           {"name": "blog", "socket_path": "/run/webstack-app-blog/b.sock"},
                                           {"name": "wiki", "service_name": "wiki"}], defaults, ["service_name"])
    assert [app_socket_path(a) for a in (default, shop, own, named)] == [
        "/run/webstack-app/app.sock", "/run/webstack-app-shop/app.sock", "/run/webstack-app-blog/b.sock",
        "/run/wiki/app.sock"]


def test_the_default_apps_socket_follows_its_service_name_unless_set():
    default, = site_list([{"name": "default"}], {"service_name": "shop-api", "socket_path": ""}, ["service_name"])
    assert app_socket_path(default) == "/run/shop-api/app.sock"
    default, = site_list([{"name": "default"}], {"service_name": "shop-api", "socket_path": "/run/shop-api/x.sock"},
                         ["service_name"])
    assert app_socket_path(default) == "/run/shop-api/x.sock"


def test_an_absent_site_leaves_nothing_of_what_the_role_made():
    sites = site_list([{"name": "default", "state": "absent"}, {"name": "shop", "state": "absent"},
                       {"name": "blog", "state": "absent", "static_dir": "/srv/blog"}, {"name": "wiki"}],
                      DEFAULTS, ["static_dir"])
    assert absent_site_paths(sites, ["/etc/nginx/sites-available/webstack-{name}.conf"], ["static_dir"]) == [
        "/etc/nginx/sites-available/webstack-default.conf",
        "/etc/nginx/sites-available/webstack-shop.conf", "/var/www/webstack-static-shop",
        "/etc/nginx/sites-available/webstack-blog.conf",  # /srv/blog is the operator's
    ]
