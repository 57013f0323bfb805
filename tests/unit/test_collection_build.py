"""The collection builds into a tarball that holds the content and none of the test rig,
and that tarball installs into an empty collections path where its content resolves by FQCN."""

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RIG_PATHS = ("molecule/", "tests/", "bench/", ".ci/", ".venv/", "tools/", "collections/", ".config/")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--force", "--output-path", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("webstack-tiers-*.tar.gz")
    return built


def test_tarball_leaves_out_the_test_rig(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names  # replaced by MANIFEST.json
    assert "MANIFEST.json" in names and "README.md" in names
    leaked = [n for n in names if n.startswith(RIG_PATHS) or "__pycache__" in n]
    assert leaked == []


def test_tarball_holds_only_files_of_the_repository(tarball):
    """Nothing a run leaves in the checkout (scenario logs, demo.log, caches) gets into the collection."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    with tarfile.open(tarball) as tar:
        files = [member.name for member in tar.getmembers() if member.isfile()]
    extra = set(files) - set(tracked.splitlines()) - {"MANIFEST.json", "FILES.json"}
    assert sorted(extra) == []


def test_tarball_installs_into_an_empty_collections_path(tarball, tmp_path):
    # Run away from the checkout so its ansible.cfg (which links the collection) plays no part.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path)
    run = dict(check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    subprocess.run(
        ["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(tmp_path), str(tarball)],
        **run,
    )
    listing = subprocess.run(["ansible-galaxy", "collection", "list", "webstack.tiers"], **run).stdout
    assert "webstack.tiers" in listing
    installed = tmp_path / "ansible_collections" / "webstack" / "tiers"
    assert (installed / "meta" / "runtime.yml").is_file()
    for content in ("roles", "playbooks"):
        assert _names(installed / content) == _names(ROOT / content), content


def _names(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
