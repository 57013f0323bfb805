"""Every module's DOCUMENTATION, EXAMPLES and RETURN are YAML that ansible-doc can read, and the documentation
names the module and each option its argument_spec takes."""

import ast
import re
from pathlib import Path

import pytest
import yaml

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))


def blocks(path):
    """The module's top-level string assignments (DOCUMENTATION, EXAMPLES, RETURN) by name."""
    tree = ast.parse(path.read_text())
    return {node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper()}


@pytest.mark.parametrize("path", MODULES, ids=[path.stem for path in MODULES])
def test_the_documentation_parses_and_names_every_option(path):
    found = blocks(path)
    docs = yaml.safe_load(found["DOCUMENTATION"])
    assert docs["module"] == path.stem
    assert isinstance(yaml.safe_load(found["EXAMPLES"]), list)
    assert isinstance(yaml.safe_load(found["RETURN"]), dict)
    # the options the module's argument_spec declares, from its source: "name": {"type": ...
    declared = path.read_text().split("argument_spec=", 1)[1].split("supports_check_mode", 1)[0]
    spec = set(re.findall(r'"(\w+)": \{"type"', declared))
    assert spec and spec <= set(docs.get("options", {})), f"undocumented options: {spec - set(docs.get('options', {}))}"
