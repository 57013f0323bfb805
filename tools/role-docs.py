#!/usr/bin/env python3
"""Print (or check) a role README's variable table, generated from meta/argument_specs.yml.

usage: tools/role-docs.py ROLE_DIR            print the table
       tools/role-docs.py --write ROLE_DIR    put the table into README.md
       tools/role-docs.py --check ROLE_DIR    exit 1 when README.md's table differs from the spec
The table sits in README.md between <!-- BEGIN VARIABLES --> and <!-- END VARIABLES -->.
"""

import json
import sys
from pathlib import Path

import yaml

BEGIN, END = "<!-- BEGIN VARIABLES -->", "<!-- END VARIABLES -->"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(role_dir):
    spec = yaml.safe_load((Path(role_dir) / "meta/argument_specs.yml").read_text())
    rows = ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
    for name, opt in spec["argument_specs"]["main"]["options"].items():
        kind = opt["type"] + (f" of {opt['elements']}" if opt.get("elements") else "")
        if opt.get("choices"):
            kind += ": " + ", ".join(f"`{c}`" for c in opt["choices"])
        desc = opt["description"]
        desc = " ".join(desc) if isinstance(desc, list) else desc
        default = json.dumps(opt.get("default"))
        rows.append(f"| `{name}` | {cell(kind)} | `{cell(default)}` | {cell(desc)} |")
    return "\n".join(rows)


def main(argv):
    mode = argv[0] if argv[:1] in (["--check"], ["--write"]) else "--print"
    role_dir = argv[-1]
    generated = table(role_dir)
    if mode == "--print":
        print(generated)
        return 0
    readme_path = Path(role_dir) / "README.md"
    readme = readme_path.read_text()
    if mode == "--write":
        head, rest = readme.split(BEGIN, 1)
        readme_path.write_text(f"{head}{BEGIN}\n{generated}\n{END}{rest.split(END, 1)[1]}")
        return 0
    current = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip() if BEGIN in readme else ""
    if current != generated:
        print(f"{role_dir}/README.md: variable table differs from meta/argument_specs.yml; "
              f"regenerate with tools/role-docs.py {role_dir}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
