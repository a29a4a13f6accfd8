"""The package's modules import each other without a loop.

The graph is read from the source with ``ast``: every ``import`` and ``from``
of a ``wechat_material`` module, at any depth of a module (in a function, under
``if TYPE_CHECKING:``: a loop in type hints is still a loop that a reader must
untangle), relative imports resolved, and ``from package import name`` taken
as an import of the submodule when ``name`` is one. A package's ``__init__``
that Python runs on the way to a submodule is not an edge there: only what a
module names is.

A second graph holds what runs when a module is imported: the imports at its
top level (not under ``TYPE_CHECKING``, not in a function) and the package
``__init__`` modules Python runs on the way to each. A loop there makes an
import fail or succeed by the order modules happen to be loaded in.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import wechat_material

SRC = Path(wechat_material.__file__).resolve().parent.parent
PACKAGE = "wechat_material"


def module_files(src: Path = SRC) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The absolute module a ``from`` import starts from."""
    if node.level == 0:
        return node.module
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*parts, node.module] if node.module else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_on_import(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a module's top level that run when it is imported."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                yield from _run_on_import(node.body)
            yield from _run_on_import(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _run_on_import(block)
            for handler in node.handlers:
                yield from _run_on_import(handler.body)
        elif isinstance(node, ast.With):
            yield from _run_on_import(node.body)


def imports_of(
    module: str, path: Path, modules: dict[str, Path], *, at_import: bool = False
) -> Iterator[tuple[str, int]]:
    """The package's modules that ``module`` imports, with the line of each import.

    ``at_import``: only those imported when the module itself is.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    nodes = _run_on_import(tree.body) if at_import else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, is_package, node)
            if base is None:
                continue
            names_of_base = False
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    yield submodule, node.lineno
                else:
                    names_of_base = True
            if names_of_base and base in modules:
                yield base, node.lineno


def _with_packages(target: str, modules: dict[str, Path]) -> Iterator[str]:
    """The packages Python runs on the way to ``target``, then ``target``."""
    parts = target.split(".")
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if package in modules:
            yield package
    yield target


def import_graph(src: Path = SRC, *, at_import: bool = False) -> dict[str, dict[str, int]]:
    modules = module_files(src)
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        for named, line in imports_of(name, path, modules, at_import=at_import):
            targets = _with_packages(named, modules) if at_import else iter([named])
            for target in targets:
                # A module's own packages are running already when it is imported.
                if target != name and not (at_import and name.startswith(target + ".")):
                    graph[name].setdefault(target, line)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def describe(part: list[str], graph: dict[str, dict[str, int]], src: Path = SRC) -> str:
    modules = module_files(src)
    edges = [
        f"  {modules[a].relative_to(src)}:{line} imports {b}"
        for a in part
        for b, line in sorted(graph[a].items())
        if b in part
    ]
    return "\n".join(edges)


# Being taken apart on another line of work: the sandbox's request handling, where
# endpoint.py and uploads.py import each other. This pair only, and only until
# that change is in; any other loop fails.
def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    loops = cycles(graph)
    report = "\n".join(f"a loop of {len(p)} modules:\n{describe(p, graph)}" for p in loops)
    assert not loops, report


def test_importing_any_module_first_works_whatever_the_order() -> None:
    graph = import_graph(at_import=True)
    loops = cycles(graph)
    report = "\n".join(f"a loop of {len(p)} modules:\n{describe(p, graph)}" for p in loops)
    assert not loops, report


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_a_loop_through_type_hints_and_relative_imports_is_found(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n",
            "b.py": "from wechat_material import c\n",
            "c.py": "def f():\n    import wechat_material.a\n",
            "d.py": "import wechat_material.a\n",
        },
    )
    graph = import_graph(src)
    assert cycles(graph) == [["wechat_material.a", "wechat_material.b", "wechat_material.c"]]
    assert "wechat_material/a.py:3 imports wechat_material.b" in describe(
        cycles(graph)[0], graph, src
    )


def test_a_name_from_a_package_is_not_an_import_of_its_submodules(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": "",
            "pkg/__init__.py": "from ..top import X\n",
            "pkg/one.py": "",
            "top.py": "from .pkg import one\nX = 1\n",
        },
    )
    # top names the submodule pkg.one, not the package's __init__: no loop.
    assert cycles(import_graph(src)) == []


def test_a_loop_through_a_package_init_at_import_time_is_found(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": "",
            "tokens/__init__.py": "from .manager import Manager\n",
            "tokens/base.py": "",
            "tokens/manager.py": "from wechat_material import calls\nclass Manager: ...\n",
            "calls.py": (
                "from typing import TYPE_CHECKING\n"
                "from wechat_material.tokens.base import *\n"
                "if TYPE_CHECKING:\n    import wechat_material.late\n"
                "def f():\n    import wechat_material.late\n"
            ),
            "late.py": "import wechat_material.calls\n",
        },
    )
    loop = ["wechat_material.calls", "wechat_material.tokens", "wechat_material.tokens.manager"]
    assert cycles(import_graph(src, at_import=True)) == [loop]
    # Named imports alone: calls names tokens.base, not the package, but late is a loop.
    assert cycles(import_graph(src)) == [["wechat_material.calls", "wechat_material.late"]]
