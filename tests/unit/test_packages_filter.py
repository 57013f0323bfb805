"""The packages_missing filter: a role runs apt only for what dpkg does not list as installed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible_collections.webstack.tiers.plugins.filter.packages import packages_missing  # noqa: E402

# What `dpkg-query -W -f='${Package}=${db:Status-Status} ' -- nginx logrotate python3-cryptography php8.2-fpm`
# printed on a Debian 12 host with php8.2-fpm unknown to dpkg (it also exits 1 then).
QUERY = "logrotate=installed nginx=installed python3-cryptography=installed "


def test_nothing_is_missing_when_dpkg_lists_every_package_as_installed():
    assert packages_missing(QUERY, ["nginx", "logrotate", "python3-cryptography"]) == []


def test_a_package_dpkg_does_not_know_or_has_not_finished_is_missing():
    wanted = ["nginx", "logrotate", "python3-cryptography", "php8.2-fpm"]
    assert packages_missing(QUERY, wanted) == ["php8.2-fpm"]
    assert packages_missing(QUERY.replace("nginx=installed", "nginx=half-configured"), wanted) == \
        ["nginx", "php8.2-fpm"]
    assert packages_missing("logrotate=config-files ", ["logrotate"]) == ["logrotate"]


def test_an_architecture_or_version_in_the_name_is_compared_by_the_bare_name():
    assert packages_missing(QUERY, ["nginx:amd64", "logrotate=3.21.0-1"]) == []


def test_no_output_means_everything_is_missing():
    assert packages_missing("", ["nftables"]) == ["nftables"]
    assert packages_missing(None, ["nftables"]) == ["nftables"]
