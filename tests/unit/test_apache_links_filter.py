"""The apache_links filter: what the apache role links, read from its one listing of the configuration directory."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.apache import apache_links  # noqa: E402

# Lines as `find ... -printf '%h/%f %l\n'` prints them: a plain file has an empty link target.
HOST = [
    "mods-available/proxy.load ",
    "mods-available/proxy.conf ",
    "mods-available/proxy_http.load ",
    "mods-available/headers.load ",
    "mods-available/mpm_event.load ",
    "mods-available/mpm_event.conf ",
    "mods-available/mpm_prefork.load ",
    "mods-available/status.load ",
    "mods-enabled/status.load ../mods-available/status.load",
    "conf-enabled/webstack.conf ../conf-available/webstack.conf",
    "sites-enabled/000-default.conf ../sites-available/000-default.conf",
    "",
]


def test_a_fresh_host_gets_every_file_of_each_module_and_the_default_mpm():
    links = apache_links(HOST, ["proxy", "proxy_http", "headers"])
    assert links["missing"] == []
    assert links["module_links"] == ["mpm_event.load", "proxy.load", "proxy_http.load", "headers.load",
                                     "mpm_event.conf", "proxy.conf"]


def test_links_made_the_a2en_way_are_in_place_and_not_made_again():
    host = HOST + ["mods-enabled/proxy.load ../mods-available/proxy.load",
                   "mods-enabled/mpm_event.load ../mods-available/mpm_event.load"]
    links = apache_links(host, ["proxy"])
    assert links["module_links"] == ["proxy.conf"]
    assert set(links["in_place"]) == {"mods-enabled/status.load", "conf-enabled/webstack.conf",
                                      "sites-enabled/000-default.conf", "mods-enabled/proxy.load",
                                      "mods-enabled/mpm_event.load"}


def test_a_wrong_target_or_a_plain_file_in_mods_enabled_is_mended():
    host = HOST + ["mods-enabled/proxy.load /tmp/proxy.load", "mods-enabled/headers.load "]
    links = apache_links(host, ["proxy", "headers"])
    assert {"proxy.load", "headers.load"} <= set(links["module_links"])
    assert "mods-enabled/proxy.load" not in links["in_place"]


def test_an_mpm_the_host_enabled_is_kept_and_none_is_added():
    host = HOST + ["mods-enabled/mpm_prefork.load ../mods-available/mpm_prefork.load"]
    links = apache_links(host, ["proxy"])
    assert not [name for name in links["module_links"] if name.startswith("mpm_")]


def test_modules_without_a_load_file_are_missing_once_each():
    links = apache_links(HOST, ["proxy", "nosuch", "nosuch", "status"])
    assert links["missing"] == ["nosuch"]
    assert links["module_links"].count("proxy.load") == 1


def test_it_never_names_anything_to_disable():
    links = apache_links(HOST, [])
    assert links["module_links"] == ["mpm_event.load", "mpm_event.conf"]
    assert "mods-enabled/status.load" in links["in_place"]
