"""The library stands on its own: nothing outside ``wechat_material.cli`` imports the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import wechat_material

PACKAGE = Path(wechat_material.__file__).resolve().parent
CLI = PACKAGE / "cli"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_library_module_imports_the_cli() -> None:
    library = [p for p in PACKAGE.rglob("*.py") if CLI not in p.parents]
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in _imported_modules(path)
            if name == "wechat_material.cli" or name.startswith("wechat_material.cli.")
        )
        for path in library
    }

    assert len(library) > 20
    assert {path: names for path, names in offenders.items() if names} == {}
