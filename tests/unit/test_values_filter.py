"""The keys_with_control_characters filter: the one rule for values written into unit files and nginx headers."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.values import keys_with_control_characters  # noqa: E402


@pytest.mark.parametrize("value", ["x\nExecStartPre=/bin/false", "a\rb", "tab\there", "nul\x00", "del\x7f"])
def test_a_control_character_names_its_key(value):
    assert keys_with_control_characters({"OK": "fine", "BAD": value}) == ["BAD"]


@pytest.mark.parametrize("value", ['geolocation=(self "https://a.test")', "a\\b", "s3cr3t-VALUE", "%h $x ü", 8000, None])
def test_quotes_backslashes_digits_capitals_and_non_strings_pass(value):
    assert keys_with_control_characters({"K": value}) == []


def test_nothing_to_check():
    assert keys_with_control_characters({}) == [] and keys_with_control_characters(None) == []
