"""Run one of the collection's modules the way Ansible does, with its arguments in a file, and read its answer.

The collection's module_utils are found through collections/ansible_collections/webstack/tiers, the link back
to this checkout."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_module(name, params, args_file, env=None):
    """The JSON result of plugins/modules/<name>.py called with params, which are first written to args_file;
    env adds to or replaces variables of this process's environment."""
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT / "collections")}
    done = subprocess.run([sys.executable, str(ROOT / "plugins" / "modules" / f"{name}.py"), str(args_file)],
                          capture_output=True, text=True, env=env)
    return json.loads(done.stdout)
