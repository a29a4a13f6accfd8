"""The check that a part of the package has its extra installed."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from wechat_material import extras
from wechat_material.extras import MissingExtraError, require_extra

ROOT = Path(__file__).resolve().parent.parent.parent


def test_installed_extras_pass() -> None:
    for extra in extras.EXTRA_MODULES:
        require_extra(extra)


def test_a_missing_library_names_the_extra_and_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(
        extras.EXTRA_MODULES, "sandbox", ("starlette", "no_such_module_here", "neither_this")
    )
    with pytest.raises(MissingExtraError) as raised:
        require_extra("sandbox")
    message = str(raised.value)
    assert message == (
        "the sandbox needs the 'sandbox' extra (missing: no_such_module_here, neither_this):"
        " pip install 'wechat-material[sandbox]'"
    )
    assert raised.value.name == "no_such_module_here"
    # What code that catches a missing import already catches.
    assert isinstance(raised.value, ModuleNotFoundError)


def test_each_extra_installs_the_modules_it_is_checked_for() -> None:
    # The check and pyproject.toml's extras must agree, or the message sends
    # users to an extra that does not bring what is missing.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["optional-dependencies"]
    provided_by = packages_distributions()
    for extra, modules in extras.EXTRA_MODULES.items():
        listed = {
            normalized(re.split(r"[<>=!~;\[ ]", requirement)[0]) for requirement in declared[extra]
        }
        for module in modules:
            distributions = {normalized(name) for name in provided_by[module]}
            assert distributions & listed, (extra, module)


def normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def test_wxm_reports_a_missing_extra_as_itself_not_as_unexpected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wechat_material.cli.errors import failure_for

    monkeypatch.setitem(extras.EXTRA_MODULES, "sandbox", ("no_such_module_here",))
    with pytest.raises(MissingExtraError) as raised:
        require_extra("sandbox")
    failure = failure_for(raised.value)
    assert failure.exit_code == 1
    assert "unexpected" not in failure.message
    assert "pip install 'wechat-material[sandbox]'" in failure.message
