"""Waiting for a publication: ``client.publish.wait`` underneath, its progress shown.

The sandbox here runs on real time with its default publication time (a few
seconds), so these tests wait as a user would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.cli import drafts
from wechat_material.publish import PublishAPI
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import MEDIA, Run, run_json


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[Any]:
    """A sandbox whose clock follows real time, publishing in its default time."""
    with run_in_thread(SandboxConfig(clock="running")) as running:
        yield running


@pytest.fixture
def on_live(wxm: Run, live_sandbox: Any) -> Run:
    def run(*args: str, input: str | None = None) -> Any:
        return wxm("--sandbox", "--base-url", live_sandbox.base_url, *args, input=input)

    return run


@pytest.fixture
def draft_id(live_sandbox: Any) -> str:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=live_sandbox.base_url) as client:
        thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
        return client.draft.add([{"title": "Go", "thumb_media_id": thumb, "content": "<p>x</p>"}])


@pytest.fixture
def progress_every_half_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drafts, "PROGRESS_SECONDS", 0.5)


def test_the_default_sandbox_publishes_within_seconds(on_live: Run, draft_id: str) -> None:
    started = time.monotonic()
    data = run_json(on_live("draft", "publish", draft_id, "--json"))

    assert data["status"] == "success"
    assert data["article_urls"]
    # A report, not a timing assertion: the default is 3 s of the sandbox's clock,
    # so anything near the old minute means the default was lost.
    assert time.monotonic() - started < 45


@pytest.mark.usefixtures("progress_every_half_second")
def test_progress_lines_when_stderr_is_not_a_terminal(on_live: Run, draft_id: str) -> None:
    result = on_live("draft", "publish", draft_id)

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("publish ")]
    statuses = [line.split(": ", 1)[1] for line in lines]
    assert statuses[0] == "waiting for WeChat"
    progress = [s for s in statuses[1:-1] if s.startswith("publishing (")]
    assert len(progress) >= 2  # about one per half second of a 3 s publication
    assert all(s.endswith(" s)") for s in progress)
    assert statuses[-1] == "success"
    assert "\x1b[" not in result.stderr


@pytest.mark.usefixtures("progress_every_half_second")
def test_a_live_status_on_a_terminal(
    on_live: Run, draft_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich treats stderr as a terminal

    result = on_live("draft", "publish", draft_id, "--json")

    assert result.exit_code == 0, result.output
    assert "\x1b[?25l" in result.stderr  # a live display (cursor hidden), redrawn in place
    assert f"publish {run_json(result)['publish_id']}: success" in result.stderr
    assert "waiting for WeChat\n" not in result.stderr  # not the plain lines
    assert run_json(result)["status"] == "success"


def test_waiting_is_one_wait_of_the_client(
    on_live: Run, draft_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[float] = []
    original = PublishAPI.wait

    def counting(self: PublishAPI, publish_id: str, **kwargs: Any) -> Any:
        calls.append(kwargs["max_wait"])
        return original(self, publish_id, **kwargs)

    monkeypatch.setattr(PublishAPI, "wait", counting)

    data = run_json(on_live("draft", "publish", draft_id, "--max-wait", "60", "--json"))

    assert data["status"] == "success"
    assert calls == [60.0]  # the whole wait, its progress told by on_poll


def test_a_publication_that_does_not_finish_in_time(on_live: Run, draft_id: str) -> None:
    result = on_live("draft", "publish", draft_id, "--max-wait", "0")

    assert result.exit_code == 1
    assert "still in progress after 0 s" in result.stderr
    assert "wxm draft status" in result.stderr
