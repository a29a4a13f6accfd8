"""The package's public surface: every exported name resolves, and importing it is light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_the_package_keeps_at_most_ten_private_modules_at_its_top() -> None:
    top = Path(wechat_material.__file__).parent
    private = sorted(path.name for path in top.glob("_*.py") if not path.name.startswith("__"))
    assert len(private) <= 10, private


def test_the_version_is_the_one_the_build_reads() -> None:
    import tomllib

    pyproject = tomllib.loads(
        (Path(wechat_material.__file__).parents[2] / "pyproject.toml").read_text()
    )
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "wechat_material._config.VERSION"
    }
    from wechat_material import _config

    assert wechat_material.__version__ == _config.VERSION
    assert _config.USER_AGENT.startswith(f"wechat-material/{_config.VERSION} ")
