#!/usr/bin/python3
"""An app's releases on disk: read them, switch the live one, prune the old ones.

    <install_dir>/releases/<id>/            code (app/), virtualenv (venv/), release.env
    <install_dir>/releases/<id>/.webstack-release   written last: the release is complete ({"built_at": ...})
    <install_dir>/current -> releases/<id>  the live release
    <install_dir>/history                   one "<UTC time> <id> [<rejected id>]" line per switch, oldest first:
                                            a deploy that takes a host back names the release that failed

The module webstack.tiers.app_release imports this file; the uvicorn role also installs it on each app host as
the command webstack-app-releases, which lists every app's releases (each app is a file in
/etc/webstack-app-releases.d/ named after its service, holding its install directory). One copy of the rules,
for Ansible and for the operator alike.
"""

import json
import os
import re
import shutil
import sys
import time

# What the uvicorn role wrote before releases, straight under the install directory.
RETIRED_LAYOUT = ("app", "venv", "requirements.lock")
RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MARKER = ".webstack-release"
APPS_DIR = "/etc/webstack-app-releases.d"


def _stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _history(install_dir):
    """[(time, id, rejected id or None)] of every switch, oldest first."""
    try:
        with open(os.path.join(install_dir, "history"), encoding="utf-8") as lines:
            fields = [line.split() for line in lines]
    except FileNotFoundError:
        return []
    return [(f[0], f[1], f[2] if len(f) > 2 else None) for f in fields if len(f) >= 2]


def live_release(install_dir):
    """The id the current link points to, or None."""
    try:
        target = os.readlink(os.path.join(install_dir, "current"))
    except OSError:
        return None
    return os.path.basename(target.rstrip("/"))


def read(install_dir):
    """The releases on disk, newest deployment first, with the live one and the one before it."""
    root = os.path.join(install_dir, "releases")
    names = sorted(os.listdir(root)) if os.path.isdir(root) else []
    history = _history(install_dir)
    deployed, order, rejected_at = {}, {}, {}
    for position, (stamp, release, rejected) in enumerate(history):
        deployed[release], order[release] = stamp, position
        if rejected:
            rejected_at[rejected] = position
    # A release a deploy took a host away from stays rejected until it is made live again.
    rejected = {release for release, position in rejected_at.items() if position > order.get(release, -1)}
    releases = []
    for name in names:
        marker = os.path.join(root, name, MARKER)
        built = None
        if os.path.isfile(marker):
            try:
                with open(marker, encoding="utf-8") as handle:
                    built = json.load(handle).get("built_at") or _stamp(os.path.getmtime(marker))
            except ValueError:
                built = _stamp(os.path.getmtime(marker))
        releases.append({"id": name, "complete": built is not None, "built_at": built,
                         "deployed_at": deployed.get(name), "rejected": name in rejected})
    live = live_release(install_dir)
    candidates = {r["id"] for r in releases if r["complete"] and not r["rejected"]}
    previous = next((release for _, release, _ in reversed(history)
                     if release != live and release in candidates), None)
    # the history's order, not its times: two switches may fall in one second
    releases.sort(key=lambda r: (order.get(r["id"], -1), r["built_at"] or ""), reverse=True)
    return {"live": live, "previous": previous, "releases": releases}


def retired_paths(install_dir):
    """The paths of the layout from before releases that are still under install_dir."""
    return [path for path in (os.path.join(install_dir, name) for name in RETIRED_LAYOUT) if os.path.lexists(path)]


def check_id(release):
    if not RELEASE_ID.match(release or ""):
        raise ValueError(f"release id {release!r} is not a name of letters, digits, '.', '_' and '-'")


def switch(install_dir, release, check_mode=False, rejected=None):
    """Point current at release (complete, on disk) and log the switch, and the release it rejects if one is
    named; returns the id it pointed to before."""
    check_id(release)
    if rejected:
        check_id(rejected)
    was = live_release(install_dir)
    if was == release:
        return was
    marker = os.path.join(install_dir, "releases", release, MARKER)
    if not os.path.isfile(marker) and not check_mode:
        raise ValueError(f"release {release} is not complete on disk under {install_dir}/releases")
    if not check_mode:
        link = os.path.join(install_dir, "current")
        staged = os.path.join(install_dir, f".current-{os.getpid()}")
        if os.path.lexists(staged):
            os.unlink(staged)
        os.symlink(os.path.join("releases", release), staged)
        # rename over the old link: a reader sees the old release or the new one, never no link at all
        os.replace(staged, link)
        with open(os.path.join(install_dir, "history"), "a", encoding="utf-8") as log:
            log.write(f"{_stamp(time.time())} {release}{' ' + rejected if rejected else ''}\n")
    return was


def prune(install_dir, keep, check_mode=False):
    """Remove all but the keep releases deployed (else built) last, never the live one nor the previous one, and
    every release whose build did not finish; returns the ids removed."""
    state = read(install_dir)
    protected = {state["live"], state["previous"]} - {None}
    complete = [r["id"] for r in state["releases"] if r["complete"]]
    kept = [r for r in complete if r in protected]
    for release in complete:
        if len(kept) >= max(keep, len(protected)):
            break
        if release not in kept:
            kept.append(release)
    gone = [r["id"] for r in state["releases"] if r["id"] not in kept]
    if not check_mode:
        for release in gone:
            shutil.rmtree(os.path.join(install_dir, "releases", release))
    return sorted(gone)


def _apps():
    """[(service name, install directory)] of every app on the host, by name."""
    apps = []
    for name in sorted(os.listdir(APPS_DIR)) if os.path.isdir(APPS_DIR) else []:
        with open(os.path.join(APPS_DIR, name), encoding="utf-8") as lines:
            paths = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if paths:
            apps.append((name, paths[0]))
    return apps


def main(argv):
    """webstack-app-releases [--json] [SERVICE ...]: each app's releases, the live one marked with *."""
    as_json = "--json" in argv
    wanted = [arg for arg in argv if arg != "--json"]
    if any(arg.startswith("-") for arg in wanted):
        print("usage: webstack-app-releases [--json] [SERVICE ...]", file=sys.stderr)
        return 2
    apps = [(name, path) for name, path in _apps() if not wanted or name in wanted]
    unknown = sorted(set(wanted) - {name for name, _ in apps})
    if unknown:
        print(f"webstack-app-releases: no app {', '.join(unknown)} in {APPS_DIR}", file=sys.stderr)
        return 1
    report = {name: dict(read(path), install_dir=path) for name, path in apps}
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    for name, state in report.items():
        print(f"{name} ({state['install_dir']})")
        for release in state["releases"]:
            mark = "*" if release["id"] == state["live"] else " "
            role = {state["live"]: "live", state["previous"]: "previous"}.get(
                release["id"], "rejected by a deploy" if release["rejected"] else "")
            built = release["built_at"] or "incomplete"
            print(f"  {mark} {release['id']:<24} deployed {release['deployed_at'] or '-':<20}  "
                  f"built {built:<20}  {role}".rstrip())
        if not state["releases"]:
            print("    no releases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
