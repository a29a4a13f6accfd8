"""The wire side of the sandbox speaks to the backend only: it never reaches past it
into the storage or the blob store (what an operation stages, stores and discards is
the backend's business, as moto keeps it in its models)."""

from __future__ import annotations

import ast
from pathlib import Path

import wechat_material.sandbox.http

HTTP = Path(wechat_material.sandbox.http.__file__).parent
BEHIND_THE_BACKEND = {"storage", "blobs", "db"}


def test_no_module_of_the_wire_side_reaches_past_the_backend() -> None:
    reached = []
    for path in sorted(HTTP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in BEHIND_THE_BACKEND:
                reached.append(f"{path.relative_to(HTTP)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".storage"):
                reached.append(f"{path.relative_to(HTTP)}:{node.lineno} imports the storage")
    assert reached == []
