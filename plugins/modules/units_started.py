#!/usr/bin/python
"""Enable and start a role's systemd units in one task: one `systemctl show` when all already run."""

DOCUMENTATION = r"""
module: units_started
short_description: Make sure each given systemd unit is enabled and running, asking systemd once
description:
  - Reads the state of all the units with one C(systemctl show), then enables those that are not enabled and
    starts those that are not running, each with one C(systemctl) call for all of them. A run where every unit
    already runs makes that one call and changes nothing, where C(ansible.builtin.systemd_service) takes a
    call per unit.
  - A unit counts as enabled when C(systemctl is-enabled) would say so (enabled, static, alias, indirect,
    generated, transient), and as running when it is active, activating or reloading.
  - Reloads systemd's view of the unit files first when asked to, or when systemd says a file changed or knows
    no unit of that name (its file may be new).
  - With O(test_before_start), a command that checks the units' configuration runs first whenever a unit that
    systemd knows is to be started, also in check mode; when it fails, nothing is enabled or started and the
    task fails with its output. A run where every unit runs does not call it.
  - With O(await_before_start), each given backend must accept a TCP connection before a unit is started,
    because another host is bringing it up at the same time; it is tried every second until O(await_timeout),
    and when one never answers nothing is started and the task fails naming it. Not in check mode, and not
    when every unit already runs.
  - A unit that systemd does not know or that is masked fails the task. In check mode nothing is done and a
    unit systemd does not know yet (its package is not installed yet) counts as one to enable and start.
options:
  units:
    description: The units, with their suffix (C(nginx.service), C(app.socket)).
    type: list
    elements: str
    required: true
  daemon_reload:
    description: Reload systemd's view of the unit files before anything else.
    type: bool
    default: false
  test_before_start:
    description: The command (a list of arguments, run without a shell) that checks the configuration before a
      start, such as C([nginx, -q, -t]).
    type: list
    elements: str
    default: []
  await_before_start:
    description: Backends to wait for before a start, each a mapping with C(host) (a name or an address) and
      C(port).
    type: list
    elements: dict
    default: []
  await_timeout:
    description: Seconds to wait for all of O(await_before_start) together.
    type: int
    default: 300
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Enable and start the app and its socket
  webstack.tiers.units_started:
    units: [webstack-app.socket, webstack-app.service]
    daemon_reload: true

- name: Enable and start nginx, after testing its configuration when it must start
  webstack.tiers.units_started:
    units: [nginx.service]
    test_before_start: [nginx, -q, -t]

- name: Enable and start Apache once the app on another host answers
  webstack.tiers.units_started:
    units: [apache2.service]
    await_before_start: [{host: 10.0.0.21, port: 8000}]
"""

RETURN = r"""
enabled:
  description: The units that were enabled (in check mode, that would be).
  type: list
  elements: str
  returned: always
started:
  description: The units that were started (in check mode, that would be).
  type: list
  elements: str
  returned: always
daemon_reloaded:
  description: Whether systemd's view of the unit files was reloaded.
  type: bool
  returned: always
"""

import socket
import time

from ansible.module_utils.basic import AnsibleModule

PROPERTIES = "Id,LoadState,ActiveState,UnitFileState,NeedDaemonReload"
ENABLED = {"enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient"}
RUNNING = {"active", "activating", "reloading"}


def states(module, systemctl, units):
    """The properties of each unit, in the order given: systemctl prints one block per unit."""
    output = run(module, [systemctl, "show", f"--property={PROPERTIES}", "--", *units])
    blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
              for block in output.strip("\n").split("\n\n")]
    if len(blocks) != len(units):
        module.fail_json(msg=f"units_started: systemctl show answered {len(blocks)} blocks for {len(units)} units",
                         stdout=output)
    return dict(zip(units, blocks))


def run(module, argv):
    """The output of a systemctl call; fails the task with its error when it fails."""
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg=f"units_started: {' '.join(argv[1:])} failed: {err.strip() or out.strip()}", rc=rc)
    return out


def silent(backends, timeout):
    """The first backend that accepted no connection within the timeout, or None when all did."""
    deadline = time.monotonic() + timeout
    for backend in backends:
        while True:
            try:
                with socket.create_connection((backend["host"], backend["port"]), timeout=2):
                    break
            except OSError:
                if time.monotonic() >= deadline:
                    return backend
                time.sleep(1)
    return None


def main():
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "str", "required": True},
            "daemon_reload": {"type": "bool", "default": False},
            "test_before_start": {"type": "list", "elements": "str", "default": []},
            "await_before_start": {"type": "list", "elements": "dict", "default": []},
            "await_timeout": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    units = module.params["units"]
    bad = [unit for unit in units if not unit or unit.startswith("-") or any(c.isspace() for c in unit)]
    if bad or not units:
        module.fail_json(msg=f"units_started: units must be a non-empty list of unit names: {bad or units}")
    backends = module.params["await_before_start"]
    if any(not isinstance(b.get("host"), str) or not b["host"] or not isinstance(b.get("port"), int)
           or isinstance(b["port"], bool) or not 0 < b["port"] < 65536 for b in backends):
        module.fail_json(msg=f"units_started: each of await_before_start needs a host and a port: {backends}")
    systemctl = module.get_bin_path("systemctl", required=True)

    reloaded = False
    if module.params["daemon_reload"] and not module.check_mode:
        run(module, [systemctl, "daemon-reload"])
        reloaded = True
    known = states(module, systemctl, units)
    # A unit systemd does not know may have a file that is new since it last read them.
    if not reloaded and not module.check_mode and any(
            s.get("NeedDaemonReload") == "yes" or s.get("LoadState") == "not-found" for s in known.values()):
        run(module, [systemctl, "daemon-reload"])
        reloaded = True
        known = states(module, systemctl, units)

    unknown = [unit for unit, s in known.items() if s.get("LoadState") == "not-found"]
    masked = [unit for unit, s in known.items() if s.get("LoadState", "").startswith("masked")
              or s.get("UnitFileState", "").startswith("masked")]
    if masked or (unknown and not module.check_mode):
        module.fail_json(msg=f"units_started: systemd knows no unit {unknown}" if unknown
                         else f"units_started: these units are masked: {masked}")

    to_enable = [unit for unit in units if unit in unknown or known[unit].get("UnitFileState") not in ENABLED]
    to_start = [unit for unit in units if unit in unknown or known[unit].get("ActiveState") not in RUNNING]
    test = module.params["test_before_start"]
    if test and any(unit not in unknown for unit in to_start):
        rc, out, err = module.run_command(test)
        if rc != 0:
            module.fail_json(msg=f"units_started: nothing started, the configuration test failed: {' '.join(test)}",
                             rc=rc, stdout=out, stderr=err)
    if to_start and not module.check_mode:
        missing = silent(backends, module.params["await_timeout"])
        if missing:
            module.fail_json(msg=f"units_started: nothing started, the backend {missing['host']}:{missing['port']} "
                                 f"accepted no connection within {module.params['await_timeout']} s")
    if not module.check_mode:
        if to_enable:
            run(module, [systemctl, "enable", "--", *to_enable])
        if to_start:
            run(module, [systemctl, "start", "--", *to_start])
    module.exit_json(changed=bool(to_enable or to_start), enabled=to_enable, started=to_start,
                     daemon_reloaded=reloaded)


if __name__ == "__main__":
    main()
