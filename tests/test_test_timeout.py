"""Every test has a time budget, so a test stuck in a loop fails instead of hanging CI."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

# It waits for a test's time budget to run out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def pytest_settings() -> dict[str, object]:
    options: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "pytest"
    ]["ini_options"]
    return options


def test_the_suite_gives_every_test_a_budget(request: pytest.FixtureRequest) -> None:
    assert request.config.getini("timeout") == str(pytest_settings()["timeout"])
    assert float(request.config.getini("timeout")) > 0


def test_a_stuck_test_fails_and_the_next_one_still_runs(pytester: pytest.Pytester) -> None:
    # The project's settings, with a budget of one second instead of a minute.
    pytester.makeini(
        f"""
        [pytest]
        timeout_method = {pytest_settings()["timeout_method"]}
        """
    )
    pytester.makepyfile(
        test_user="""
        def test_stuck():
            while True:
                pass

        def test_after():
            assert True
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "timeout=1")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Timeout*"])
