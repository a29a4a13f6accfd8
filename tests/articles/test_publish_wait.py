"""``wxm publish --submit --wait`` on a sandbox with its default publication time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from wechat_material.cli import app, drafts
from wechat_material.sandbox import SandboxConfig, run_in_thread


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[Any]:
    """A sandbox on real time that takes its default time (3 s) to publish."""
    with run_in_thread(SandboxConfig(clock="running")) as running:
        yield running


def test_submit_and_wait_shows_progress_then_the_links(
    live_sandbox: Any, posts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WXM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WXM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(drafts, "PROGRESS_SECONDS", 0.5)
    base = ["--sandbox", "--base-url", live_sandbox.base_url]

    result: Result = CliRunner().invoke(
        app, [*base, "publish", str(posts / "full.md"), "--submit", "--wait"]
    )

    assert result.exit_code == 0, result.output
    statuses = [
        line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith("publish ")
    ]
    assert statuses[0] == "waiting for WeChat"
    assert len([s for s in statuses if s.startswith("publishing (")]) >= 2
    assert statuses[-1] == "success"
    assert "article 1" in result.stdout
