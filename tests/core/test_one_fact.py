"""Facts the package keeps in one place stay there.

WeChat's API paths are declared once, in ``_endpoints.py``; anything else that
needs one reads it from there (``ep.MATERIAL_ADD.path``), so that a path
written again cannot drift from the one the SDK calls. Docstrings and
messages may name a path for the reader (``an API path like /cgi-bin/token``);
a string that *is* a path (it starts with ``/cgi-bin/``) may not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import wechat_material
from wechat_material import _endpoints as ep
from wechat_material import errcodes
from wechat_material.limits import LIST_KINDS, MaterialType

PACKAGE = Path(wechat_material.__file__).resolve().parent
PATHS_LIVE_IN = PACKAGE / "_endpoints.py"
API_ROOT = "/cgi-bin/"


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def path_literals(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``file:line: text`` of each string in the code (not a docstring) that is an API path."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _docstrings(tree)
    return [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(API_ROOT)
        and id(node) not in skip
    ]


def test_api_paths_are_written_only_in_the_endpoint_table() -> None:
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PATHS_LIVE_IN
        for hit in path_literals(path)
    ]
    assert found == [], "\n".join(found)


def test_the_check_sees_strings_in_code_and_f_strings_but_not_docstrings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Calls /cgi-bin/token."""\n'
        'PATH = "/cgi-bin/draft/add"\n'
        "def f(x):\n"
        '    """/cgi-bin/x in a docstring."""\n'
        '    return f"/cgi-bin/{x}"\n',
        encoding="utf-8",
    )
    hits = path_literals(sample, tmp_path)
    assert [hit.split(": ", 1)[1] for hit in hits] == ["'/cgi-bin/draft/add'", "'/cgi-bin/'"]
    # Prose that names a path is not one.
    assert path_literals(PACKAGE / "cli" / "account.py") == []


def test_every_endpoint_path_is_under_the_api_root_but_the_video_link() -> None:
    assert {e.name for e in ep.ALL if not e.path.startswith(API_ROOT)} == {"video_file"}


def test_endpoint_hints_are_for_codes_the_table_knows() -> None:
    for endpoint in ep.ALL:
        for code, hint in endpoint.hints.items():
            assert code in errcodes.ERRCODES, (endpoint.name, code)
            assert hint, (endpoint.name, code)
            assert hint != errcodes.lookup(code).hint, (endpoint.name, code)


def test_the_material_lists_are_the_listable_kinds_that_are_material() -> None:
    from wechat_material._calls import LIST_TYPES

    assert sorted(LIST_TYPES) == sorted(
        MaterialType(kind) for kind in LIST_KINDS if kind in set(MaterialType)
    )
    assert MaterialType.THUMB not in LIST_TYPES  # listed with the images
