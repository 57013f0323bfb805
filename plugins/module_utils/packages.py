"""Which of a role's Debian packages still need installing, and the versions of the rest, from one dpkg-query call.

A role asks dpkg first and runs apt only for what is missing: on a converged host a dpkg-query costs one quick
command, where apt, even with nothing to do, loads its whole cache (about three times the time). The query
(it exits 1 when one of the packages is unknown to dpkg: that one is missing):

    dpkg-query -W -f='${Package}=${db:Status-Status}=${Version} ' -- nginx logrotate php8.2-fpm
    -> "logrotate=installed=3.21.0-1 nginx=installed=1.22.1-9 "
    packages_missing(that, wanted) -> ['php8.2-fpm']
    installed_versions(that)       -> {'logrotate': '3.21.0-1', 'nginx': '1.22.1-9'}

The roles that ask through ansible.builtin.command leave the version out (name=status); both forms are read.
"""

QUERY = ["dpkg-query", "-W", "-f=${Package}=${db:Status-Status}=${Version} ", "--"]


def installed_versions(dpkg_output):
    """{name: Debian version} of the packages dpkg lists as installed ("" when the query left the version out)."""
    entries = ((entry.split("=") + ["", ""])[:3] for entry in (dpkg_output or "").split())
    return {name: version for name, status, version in entries if status == "installed"}


def packages_missing(dpkg_output, wanted):
    """The names in wanted that dpkg does not list as installed (a half-configured package counts as missing).
    A name may carry an architecture (name:amd64) or a version (name=1.2); dpkg lists the bare name."""
    installed = installed_versions(dpkg_output)
    return [name for name in wanted if name.split("=")[0].split(":")[0] not in installed]
