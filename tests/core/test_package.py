"""The package's public surface: every exported name resolves, and importing it is light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import wechat_material


@pytest.mark.parametrize("name", wechat_material.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(wechat_material, name)
    assert getattr(value, "__name__", name) == name


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = wechat_material.no_such_thing  # type: ignore[attr-defined]


@pytest.mark.slow
def test_importing_the_package_loads_no_http_or_models() -> None:
    # `wxm` catches Ctrl-C from its first instant and the sandbox reads only the
    # tables: neither should wait for httpx and pydantic to load.
    code = (
        "import sys, wechat_material, wechat_material.limits; "
        "print(sorted(m for m in ('httpx', 'pydantic', 'rich', 'typer') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
