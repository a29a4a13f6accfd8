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


def test_every_group_names_modules_and_tests_that_exist() -> None:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["groups"]
    assert {"backup", "articles", "cli", "sandbox-http"} <= set(groups)
    for name, group in groups.items():
        for pattern in group["only_mutate"]:
            assert list(ROOT.glob(pattern)), (name, pattern)
        for tests in group["tests"]:
            assert (ROOT / tests).exists(), (name, tests)


def test_a_group_runs_in_its_own_directory_with_its_own_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = load_run_py()
    monkeypatch.setattr(run, "ROOT", tmp_path)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for name in ("src", "tests", "docs"):
        (tmp_path / name).mkdir()

    workdir = run.mutation_group_dir("articles")

    assert workdir == tmp_path / "mutants" / "groups" / "articles"
    assert (workdir / "src").resolve() == tmp_path / "src"
    written = tomllib.loads((workdir / "pyproject.toml").read_text())
    mutmut = written["tool"]["mutmut"]
    group = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["groups"]
    assert mutmut["only_mutate"] == group["articles"]["only_mutate"]
    assert mutmut["pytest_add_cli_args_test_selection"] == group["articles"]["tests"]
    assert "groups" not in mutmut
    assert mutmut["pytest_add_cli_args"][:2] == ["-m", "not slow"]
    # Everything else (pytest's settings above all) is the project's own.
    original = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert written["tool"]["pytest"] == original["tool"]["pytest"]
    assert written["project"] == original["project"]
    assert run.mutation_group_dir("articles") == workdir  # a second run reuses it


def test_an_unknown_group_is_refused_with_the_names_of_the_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = load_run_py()
    monkeypatch.setattr(run, "ROOT", tmp_path)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    with pytest.raises(SystemExit) as stopped:
        run.mutation_group_dir("everything")
    assert "no mutation group 'everything'" in str(stopped.value)
    assert "articles, backup, cli, sandbox-http" in str(stopped.value)


def test_the_group_option_is_taken_out_of_mutmut_s_arguments() -> None:
    run = load_run_py()
    assert run.take_option(["--group", "cli", "x.*"], "--group") == (["x.*"], "cli")
    assert run.take_option(["--group=cli", "--max-children", "1"], "--group") == (
        ["--max-children", "1"],
        "cli",
    )
    assert run.take_option(["x.*"], "--group") == (["x.*"], None)
