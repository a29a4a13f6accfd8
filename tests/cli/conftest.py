"""Fixtures for the ``wxm`` tests: an isolated home, the runner, and a sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from wechat_material.cli import app

MEDIA = Path(__file__).resolve().parent.parent / "media"
WXM = Path(sys.executable).with_name("wxm")

_CLEARED_ENV = ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_BASE_URL", "WXM_PROFILE", "NO_COLOR")


@dataclass(frozen=True)
class Home:
    """Where this test's wxm keeps its config and data."""

    config_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    def env(self) -> dict[str, str]:
        """An environment for a ``wxm`` subprocess using this home."""
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
        env["WXM_CONFIG_DIR"] = str(self.config_dir)
        env["WXM_DATA_DIR"] = str(self.data_dir)
        return env


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Every test gets its own config and data directories and no WeChat credentials."""
    paths = Home(tmp_path / "config", tmp_path / "data")
    monkeypatch.setenv("WXM_CONFIG_DIR", str(paths.config_dir))
    monkeypatch.setenv("WXM_DATA_DIR", str(paths.data_dir))
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    return paths


Run = Callable[..., Result]


@pytest.fixture(scope="session")
def wxm_command() -> Any:
    """The click command typer builds from ``app``, built once for the whole run."""
    return typer.main.get_command(app)


@pytest.fixture
def wxm(wxm_command: Any, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``wxm ARGS...`` in-process through the real typer app."""
    # The runner would rebuild the command from the app's signatures on every call,
    # the larger part of a quick command's time; the command built once is the same.
    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: wxm_command)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return run


def stdout_json(result: Result) -> Any:
    """The JSON document a ``--json`` run printed (nothing else may be on stdout)."""
    return json.loads(result.stdout)


def run_json(result: Result) -> Any:
    """The JSON document of a ``--json`` run that succeeded."""
    assert result.exit_code == 0, result.output
    return stdout_json(result)


@pytest.fixture
def wxm_process(home: Home) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``wxm`` script in a subprocess with this test's home."""

    def run(*args: str, input: str | None = None, timeout: float = 60) -> Any:
        return subprocess.run(
            [str(WXM), *args],
            input=input,
            capture_output=True,
            text=True,
            env=home.env(),
            timeout=timeout,
            check=False,
        )

    return run


@contextmanager
def fresh_sandbox() -> Iterator[Any]:
    """A new in-memory sandbox on a real socket, stopped on exit."""
    from wechat_material.sandbox import SandboxConfig, run_in_thread

    with run_in_thread(SandboxConfig(news_api="legacy")) as running:
        yield running


@pytest.fixture
def wechat_shared_sandbox_config() -> Any:
    """The CLI still offers add_news/update_news: its sandbox keeps them working."""
    from wechat_material.sandbox import SandboxConfig

    return SandboxConfig(news_api="legacy")


@pytest.fixture
def sandbox(wechat_shared_sandbox: Any) -> Any:
    """The run's shared sandbox, reset for this test by the package's own pytest plugin
    (``wechat_shared_sandbox``): starting and stopping one per test is most of their time.

    A test that leaves requests in flight when it ends (a killed ``wxm`` mid-upload)
    must use a sandbox of its own (:func:`fresh_sandbox`), or they could land after
    the next test's reset.
    """
    return wechat_shared_sandbox


@pytest.fixture
def on_sandbox(wxm: Run, sandbox: Any) -> Run:
    """Run ``wxm --sandbox --base-url SANDBOX ARGS...`` against the fixture sandbox."""

    def run(*args: str, input: str | None = None) -> Result:
        return wxm("--sandbox", "--base-url", sandbox.base_url, *args, input=input)

    return run
