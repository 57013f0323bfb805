"""What a2enmod would do, read from one listing of an Apache configuration directory.

roles/apache/tasks/enable.yml lists mods-available, mods-enabled, conf-enabled and sites-enabled with
`find ... -printf '%h/%f %l\n'`: one "<directory>/<file> <link target>" line per .load or .conf file (the
target is empty for a file that is not a link). From those lines and the modules the role needs:

    {{ found.stdout_lines | webstack.tiers.apache_links(['proxy', 'headers']) }}
    -> {'missing': [], 'module_links': ['proxy.load', 'proxy.conf', 'headers.load'],
        'in_place': ['mods-enabled/mpm_event.load', ...]}
"""

import re

# A link as a2enmod, a2enconf and a2ensite make it: <kind>-enabled/<file> -> ../<kind>-available/<file>.
_A2EN_LINK = re.compile(r"(\w+)-enabled/(\S+) \.\./\1-available/\2")
_ENABLED_MPM = re.compile(r"mods-enabled/mpm_\w+\.load")


def apache_links(found, modules, default_mpm="mpm_event"):
    """missing: modules without a mods-available/<module>.load; module_links: the files of mods-available
    (<module>.load, and <module>.conf where the package ships one) still to be linked into mods-enabled;
    in_place: every <kind>-enabled/<file> already linked the a2en way. An MPM is the host's choice: default_mpm
    is added only when none is enabled. Nothing here ever says what to disable."""
    found = [line for line in found if line.strip()]
    paths = [line.split(" ", 1)[0] for line in found]
    available = {path.split("/", 1)[1] for path in paths if path.startswith("mods-available/")}
    in_place = [line.split(" ", 1)[0] for line in found if _A2EN_LINK.fullmatch(line)]
    mpm = [] if any(_ENABLED_MPM.fullmatch(path) for path in paths) else [default_mpm]
    wanted = list(dict.fromkeys(mpm + list(modules)))
    files = [f"{module}.load" for module in wanted] + [
        f"{module}.conf" for module in wanted if f"{module}.conf" in available]
    return {
        "missing": [module for module in wanted if f"{module}.load" not in available],
        "module_links": [name for name in files if f"mods-enabled/{name}" not in in_place],
        "in_place": in_place,
    }


class FilterModule:
    def filters(self):
        return {"apache_links": apache_links}
