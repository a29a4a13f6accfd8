"""``run.py lowest`` pins every runtime dependency to the lower bound pyproject.toml gives it."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_run_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_runtime_bound_becomes_a_pin_and_the_test_tools_stay_free() -> None:
    pins = dict(pin.split("==") for pin in load_run_py().lowest_pins())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = list(project["dependencies"])
    for extra, listed in project["optional-dependencies"].items():
        if extra not in {"dev", "docs"}:
            runtime += [r for r in listed if not r.startswith(project["name"])]
    for requirement in runtime:
        name, bound = re.split(r"\s*>=\s*", requirement.split(";")[0].strip())
        assert pins[name.lower()] == bound, requirement
    assert "pytest" not in pins
    assert "mkdocs" not in pins
    assert project["name"] not in pins
    # The bounds the security fixes need are among them.
    assert pins["h11"] == "0.16"
