"""``run.py mutate``: mutmut configured in pyproject.toml, and its scores read back per module."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from test_run_lowest import ROOT, load_run_py


def test_the_core_modules_are_mutated_and_the_mutants_directory_is_ignored() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    for module in config["only_mutate"]:
        assert (ROOT / module).is_file(), module
    assert "src/wechat_material/_flow.py" in config["only_mutate"]
    assert "mutants/" in (ROOT / ".gitignore").read_text().splitlines()
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("mutmut>=") for r in optional["optional-dependencies"]["dev"])


def test_the_scores_count_kills_and_timeouts_and_leave_out_what_was_not_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = load_run_py()
    monkeypatch.setattr(run, "ROOT", tmp_path)
    meta = tmp_path / "mutants" / "src" / "pkg" / "mod.py.meta"
    meta.parent.mkdir(parents=True)
    # killed, killed, timeout, survived, no test, not tried, skipped
    codes = [1, 3, 36, 0, 33, None, 34]
    meta.write_text(json.dumps({"exit_code_by_key": {f"m{i}": c for i, c in enumerate(codes)}}))
    (meta.parent / "untried.py.meta").write_text(json.dumps({"exit_code_by_key": {"x": None}}))

    run.print_mutation_scores()

    assert capsys.readouterr().err == "run.py: src/pkg/mod.py: 3/5 killed (60.0 %)\n"
