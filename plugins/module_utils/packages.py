"""Which of a role's Debian packages still need installing, from one dpkg-query call.

A role asks dpkg first and runs apt only for what is missing: on a converged host a dpkg-query costs one quick
command, where apt, even with nothing to do, loads its whole cache (about three times the time). The query
(it exits 1 when one of the packages is unknown to dpkg: that one is missing):

    dpkg-query -W -f='${Package}=${db:Status-Status} ' -- nginx logrotate php8.2-fpm
    -> "logrotate=installed nginx=installed "      packages_missing(that, wanted) -> ['php8.2-fpm']
"""

QUERY = ["dpkg-query", "-W", "-f=${Package}=${db:Status-Status} ", "--"]


def packages_missing(dpkg_output, wanted):
    """The names in wanted that dpkg does not list as installed (a half-configured package counts as missing).
    A name may carry an architecture (name:amd64) or a version (name=1.2); dpkg lists the bare name."""
    installed = {name for name, _, status in (entry.partition("=") for entry in (dpkg_output or "").split())
                 if status == "installed"}
    return [name for name in wanted if name.split("=")[0].split(":")[0] not in installed]
