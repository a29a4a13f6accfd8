"""``wxm draft publish`` shows the publish status while it waits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.cli import drafts
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json


@pytest.fixture
def draft_id(sandbox: Any, on_sandbox: Run, tmp_path: Path) -> str:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
        return client.draft.add([{"title": "Go", "thumb_media_id": thumb, "content": "<p>x</p>"}])


def submitted(result: Any) -> str:
    return str(run_json(result)["publish_id"])


@pytest.fixture
def clock_moves_while_waiting(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each pause between polls lets the sandbox's frozen clock run on a while.
    monkeypatch.setattr(drafts, "pause", lambda seconds: sandbox.admin.advance(30))


@pytest.mark.usefixtures("clock_moves_while_waiting")
def test_plain_status_lines_when_stderr_is_not_a_terminal(on_sandbox: Run, draft_id: str) -> None:
    result = on_sandbox("draft", "publish", draft_id)

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if ": " in line]
    statuses = [line.rsplit(": ", 1)[1] for line in lines if line.startswith("publish ")]
    assert statuses[0] == "waiting for WeChat"
    assert "publishing" in statuses
    assert statuses[-1] == "success"
    assert len(statuses) == len(set(statuses))  # one line per change, not per poll
    assert "\x1b[" not in result.stderr


@pytest.mark.usefixtures("clock_moves_while_waiting")
def test_a_spinner_on_a_terminal(
    on_sandbox: Run, draft_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich treats stderr as a terminal

    result = on_sandbox("draft", "publish", draft_id, "--json")

    assert result.exit_code == 0, result.output
    assert "\x1b[?25l" in result.stderr  # a live display (cursor hidden), redrawn in place
    assert f"publish {submitted(result)}: success" in result.stderr
    assert "waiting for WeChat\n" not in result.stderr  # not the plain lines
    assert run_json(result)["status"] == "success"
