"""The code filters: a bundled or directory app's code, known by its files' paths and contents (code_key), and
carried as text in one module call when it is small text (code_texts)."""

import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.webstack.tiers.plugins.filter.code import code_key, code_texts  # noqa: E402


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.fixture
def app(tmp_path):
    root = tmp_path / "app"
    (root / "sub" / "__pycache__").mkdir(parents=True)
    (root / "B.py").write_text("b")
    (root / "a.py").write_text("a")
    (root / ".env.example").write_text("x")
    (root / "sub" / "q.txt").write_text("q")
    (root / "sub" / "__pycache__" / "q.cpython-311.pyc").write_text("bytecode")
    (root / "link.py").symlink_to(root / "a.py")
    (root / "outside").symlink_to(tmp_path)
    return root


def test_the_key_sums_every_regular_file_sorted_without_regard_to_case(app):
    # What the role summed up before the filter (find, relpath, zip, Jinja's sort, hash): release ids stay.
    entries = [f".env.example {sha1('x')}", f"a.py {sha1('a')}", f"B.py {sha1('b')}", f"sub/q.txt {sha1('q')}"]
    assert code_key(str(app)) == hashlib.sha256(" ".join(entries).encode()).hexdigest()


def test_bytecode_and_links_leave_the_key_alone_and_an_edit_changes_it(app):
    before = code_key(str(app))
    (app / "sub" / "__pycache__" / "q.cpython-311.pyc").write_text("other bytecode")
    (app / "link2.py").symlink_to(app / "B.py")
    assert code_key(str(app)) == before
    (app / "sub" / "q.txt").write_text("q2")
    assert code_key(str(app)) != before


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(AnsibleFilterError, match="is not a directory on the controller"):
        code_key(str(tmp_path / "none"))


@pytest.fixture
def text_app(app):
    """The app without its links: code that code_texts carries."""
    for link in ("link.py", "outside"):
        (app / link).unlink()
    return app


def test_small_text_code_is_every_file_with_its_text_and_no_bytecode(text_app):
    app = text_app
    assert code_texts(str(app), "/r/app") == [
        {"dest": "/r/app/.env.example", "content": "x"}, {"dest": "/r/app/B.py", "content": "b"},
        {"dest": "/r/app/a.py", "content": "a"}, {"dest": "/r/app/sub/q.txt", "content": "q"}]
    # Four bytes in all: the limit is the most carried.
    assert code_texts(str(app), "/r", 4) is not None and code_texts(str(app), "/r", 3) is None


@pytest.mark.parametrize("change", ["link", "binary", "empty directory"])
def test_code_that_one_call_cannot_carry_as_text_is_none(text_app, change):
    app = text_app
    if change == "link":
        (app / "sub" / "link.py").symlink_to(app / "a.py")
    elif change == "binary":
        (app / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff")
    else:
        (app / "data").mkdir()
    assert code_texts(str(app), "/r") is None


def test_a_missing_directory_is_named_by_code_texts(tmp_path):
    with pytest.raises(AnsibleFilterError, match="code_texts: .* is not a directory on the controller"):
        code_texts(str(tmp_path / "none"), "/r")
