"""The spec_defaults and entries_with_defaults filters, and the nginx defaults they give (read from its spec)."""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins" / "filter"))
from specs import entries_with_defaults, spec_defaults  # noqa: E402


def nginx_options():
    spec = yaml.safe_load((ROOT / "roles/nginx/meta/argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def test_spec_defaults_are_the_options_with_a_default():
    assert spec_defaults({"a": {"type": "int", "default": 1}, "b": {"type": "str"}, "c": {"default": ""}}) == {
        "a": 1, "c": ""}
    assert spec_defaults(None) == {}


def test_nginx_upstream_and_route_defaults_come_from_its_spec():
    options = nginx_options()
    assert spec_defaults(options["nginx_upstreams"]["options"]) == {
        "balance": "round_robin", "max_fails": 1, "fail_timeout": 10}
    assert spec_defaults(options["nginx_routes"]["options"]) == {
        "match": "prefix", "websocket": False, "rate_limit": "", "rate_limit_burst": 0}


def test_entries_get_the_defaults_they_do_not_set_and_keep_their_own():
    sites = [{"name": "a", "routes": [{"path": "/", "match": "exact"}, {"path": "/x/"}]}, {"name": "b"}]
    filled = entries_with_defaults(sites, {"routes": {"match": "prefix", "websocket": False}})
    assert filled[0]["routes"] == [{"match": "exact", "websocket": False, "path": "/"},
                                   {"match": "prefix", "websocket": False, "path": "/x/"}]
    assert filled[1] == {"name": "b"}
    assert sites[0]["routes"][1] == {"path": "/x/"}  # the input is left as it was
