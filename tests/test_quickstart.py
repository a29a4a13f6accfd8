"""The README's two quick-start commands, run as a new user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run.py"

# run.py reinstalls the project after a change to pyproject.toml, which takes
# longer than the suite's one-minute budget for a test.
pytestmark = pytest.mark.timeout(600)


def quickstart(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # The system's python3 is what the README names; the venv run.py made is reused.
    env = {
        **os.environ,
        "WXM_DATA_DIR": str(tmp_path / "data"),
        "WXM_CONFIG_DIR": str(tmp_path / "config"),
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_readme_names_the_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3 run.py demo" in readme
    assert "python3 run.py test" in readme


@pytest.mark.slow
def test_demo_command_runs_the_demo(tmp_path: Path) -> None:
    done = quickstart("demo", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "every step worked" in done.stdout


@pytest.mark.slow
def test_test_command_runs_pytest_and_fails_when_nothing_ran(tmp_path: Path) -> None:
    ran = quickstart("test", "-q", "-p", "no:cacheprovider", "tests/core/test_errors.py",
                     tmp_path=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert " passed" in ran.stdout
    nothing = quickstart("test", "-q", "-p", "no:cacheprovider", "-k", "no_test_has_this_name",
                         "tests/core/test_errors.py", tmp_path=tmp_path)  # fmt: skip
    assert nothing.returncode == 1  # pytest's "no tests ran" (5) is a failure


@pytest.mark.slow
def test_fast_tests_leave_out_the_slow_ones(tmp_path: Path) -> None:
    # test_package.py holds a slow test (it starts python) among quick ones.
    ran = quickstart("test", "--fast", "-v", "-p", "no:cacheprovider", "tests/core/test_package.py",
                     tmp_path=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "PASSED tests/core/test_package.py::" in ran.stdout
    assert "test_importing_the_package_loads_no_http_or_models" not in ran.stdout
    assert "--fast" not in ran.stdout + ran.stderr
    assert "[gw0]" in ran.stdout  # spread over workers


@pytest.mark.slow
def test_unknown_command_shows_usage(tmp_path: Path) -> None:
    done = quickstart("deploy", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "python3 run.py demo" in done.stderr
