"""The acme_due filter: which ACME sites certbot is asked for on a run, and whether before their files change."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.acme import acme_due  # noqa: E402

URL = "https://acme.test/dir"
SITE = {"name": "shop", "server_names": ["shop.test", "www.shop.test"]}
HELD = [{"site": "shop", "acme": {"names": ["www.shop.test", "shop.test"], "server": URL, "key_type": "ecdsa"}},
        {"site": "blog", "acme": None}]


def due(sites=(SITE,), held=HELD, url=URL, key_type="ecdsa", runs=True, default="refuse"):
    return acme_due(list(sites), held, url, key_type, runs, default)


def test_a_site_whose_certificate_matches_is_not_due_whatever_the_order_of_its_names():
    assert due() == []


def test_a_site_without_a_certificate_is_asked_for_once_nginx_serves_it():
    assert due(held=[]) == [{"name": "shop", "held": False, "early": False}]
    assert due(held=[{"site": "shop", "acme": None}]) == [{"name": "shop", "held": False, "early": False}]


def test_a_new_name_another_ca_or_key_type_is_asked_for_before_the_files_change():
    grown = dict(SITE, server_names=SITE["server_names"] + ["new.shop.test"])
    early = [{"name": "shop", "held": True, "early": True}]
    assert due(sites=[grown]) == early
    assert due(url="https://other.test/dir") == early
    assert due(key_type="rsa2048") == early


def test_not_early_while_nginx_is_down():
    assert due(key_type="rsa2048", runs=False) == [{"name": "shop", "held": True, "early": False}]


def test_without_the_role_s_default_server_only_names_a_site_already_has_go_early():
    grown = dict(SITE, server_names=SITE["server_names"] + ["new.shop.test"])
    shrunk = dict(SITE, server_names=["shop.test"])
    assert due(sites=[grown], default="none") == [{"name": "shop", "held": True, "early": False}]
    assert due(sites=[shrunk], default="none") == [{"name": "shop", "held": True, "early": True}]
    assert due(sites=[grown], default="shop") == [{"name": "shop", "held": True, "early": True}]


def test_each_site_is_judged_alone():
    blog = {"name": "blog", "server_names": ["blog.test"]}
    assert due(sites=[SITE, blog]) == [{"name": "blog", "held": False, "early": False}]
