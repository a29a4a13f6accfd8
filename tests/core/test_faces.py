"""The command line, articles, backup, MCP server and pytest plugin use the public SDK.

The SDK's core is the package's top-level modules and ``tokens/``. The faces
built on it import none of its private modules (``wechat_material._x``) and
reach no private attribute that the core defines (``client._driver``), and
none imports a private name from another face. What they may use anyway is
listed below, each with its reason: a short list, and every entry one the
faces need that no public promise should cover.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import wechat_material

PACKAGE = Path(wechat_material.__file__).resolve().parent
ROOT = PACKAGE.parent
FACES = ("cli", "articles", "backup", "library", "mcp_server", "pytest_plugin.py")

EVERY_FACE = FACES
# The private module, the faces that may import it, and why.
ALLOWED: dict[str, tuple[tuple[str, ...], str]] = {
    "wechat_material._files": (
        EVERY_FACE,
        "safe names, atomic writes, paths confined to a folder: the one implementation "
        "every part that writes or reads the user's files shares",
    ),
    "wechat_material._redact": (
        EVERY_FACE,
        "hiding secrets and tokens in what is shown: the same masking everywhere",
    ),
    "wechat_material._endpoints": (
        ("backup", "mcp_server"),
        "the table of WeChat's API paths, read-only: quota plans name calls by path "
        "(get_api_quota takes one)",
    ),
    "wechat_material._transport": (
        ("cli",),
        "wxm meters bytes by wrapping the async client's own transport and proxy routes; "
        "their shape is no public promise",
    ),
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def face_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if parts[0] in FACES else None


def core_private_attributes() -> set[str]:
    """Private attributes the core's classes set on themselves (``self._driver = ...``)."""
    names: set[str] = set()
    core = [*PACKAGE.glob("*.py"), *(PACKAGE / "tokens").glob("*.py")]
    for path in core:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                    and _is_private(target.attr)
                ):
                    names.add(target.attr)
    return names


def problems(where: str, face: str, text: str, private_attributes: set[str]) -> Iterator[str]:
    """What the module ``where`` of ``face`` (its source ``text``) uses that it should not."""
    own = f"wechat_material.{face.removesuffix('.py')}"
    for node in ast.walk(ast.parse(text)):
        modules: list[tuple[str, list[str]]] = []
        if isinstance(node, ast.Import):
            modules = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [(node.module, [alias.name for alias in node.names])]
        for module, names in modules:
            if not module.startswith("wechat_material") or module.startswith(own):
                continue
            for full in [module, *(f"{module}.{name}" for name in names)]:
                parts = full.split(".")
                first = next((i for i, part in enumerate(parts) if _is_private(part)), None)
                if first is None:
                    continue
                faces, _reason = ALLOWED.get(".".join(parts[: first + 1]), ((), ""))
                if face not in faces:
                    yield f"{where}:{node.lineno} imports {full}"
        if (
            isinstance(node, ast.Attribute)
            and node.attr in private_attributes
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            yield f"{where}:{node.lineno} reaches .{node.attr}"


def test_the_faces_use_only_the_public_sdk() -> None:
    private_attributes = core_private_attributes()
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if (face := face_of(path)) is not None
        for problem in problems(
            str(path.relative_to(ROOT)), face, path.read_text(encoding="utf-8"), private_attributes
        )
    ]
    assert not found, "\n".join(found)


def test_the_check_finds_private_imports_and_attributes() -> None:
    text = (
        "from wechat_material._calls import Call\n"
        "import wechat_material._flow\n"
        "from wechat_material.articles.readback import _secret\n"
        "from wechat_material._files import AtomicFile\n"
        "from wechat_material import _endpoints as ep\n"
        "from wechat_material.cli.drafts import _own_package_is_fine\n"
        "import json\n"
        "driver = client._driver\n"
        "mine = self._driver\n"
        "other = client._not_the_cores\n"
    )
    found = list(problems("sample.py", "cli", text, {"_driver"}))
    assert found == [
        "sample.py:1 imports wechat_material._calls",
        "sample.py:1 imports wechat_material._calls.Call",
        "sample.py:2 imports wechat_material._flow",
        "sample.py:3 imports wechat_material.articles.readback._secret",
        "sample.py:5 imports wechat_material._endpoints",
        "sample.py:8 reaches ._driver",
    ]


def test_the_core_sets_the_attributes_the_check_looks_for() -> None:
    assert {"_driver", "_config", "_policy", "_access", "_http"} <= core_private_attributes()
