"""An upload is checked once per call, and the async client checks it off the event loop.

The check opens the file, sniffs its format, measures it and reads a voice's
length: disk work, done once before anything is sent. A resend (a busy
reply, a refused token) sends the same checked file again from its start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wechat_material import AsyncWeChatClient, MediaFile, MediaValidationError
from wechat_material import uploads as uploads_module
from wechat_material.sandbox import DEMO_APPID

from .harness import MEDIA, Both

pytestmark = pytest.mark.anyio

ADD = "/cgi-bin/material/add_material"
TOKEN = "/cgi-bin/token"


class Checks:
    """Counts the checks of upload files, and the threads they run on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.threads: list[int] = []
        real = uploads_module.prepare_upload

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.get_ident())
            return real(*args, **kwargs)

        monkeypatch.setattr(uploads_module, "prepare_upload", counted)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    return Checks(monkeypatch)


SOURCES: dict[str, Callable[[Path], Any]] = {
    "a path": lambda path: path,
    "bytes": lambda path: path.read_bytes(),
    "a file object": lambda path: path.open("rb"),
}


@pytest.mark.parametrize("source", list(SOURCES))
async def test_an_upload_resent_after_busy_replies_is_checked_once(
    wx: Both, checks: Checks, source: str
) -> None:
    path = MEDIA / "voice-2s.mp3"
    file = SOURCES[source](path)
    await wx(wx.admin.set_faults, ADD, error_rate=1.0, count=2)

    try:
        added = await wx(wx.client.material.add_material, "voice", file, "语音.mp3")
    finally:
        if hasattr(file, "close"):
            file.close()

    assert await wx.calls_to(ADD) == 3
    assert len(checks.threads) == 1
    got = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(got, MediaFile)
    assert got.content == path.read_bytes()


async def test_an_upload_replayed_with_a_new_token_is_checked_once(
    wx: Both, checks: Checks
) -> None:
    await wx(wx.client.get_access_token)
    await wx(wx.admin.revoke_tokens, DEMO_APPID)  # the first attempt gets 40001

    await wx(wx.client.material.add_material, "image", MEDIA / "image.png")

    assert await wx.calls_to(ADD) == 2
    assert len(checks.threads) == 1


async def test_a_file_wechat_would_refuse_costs_no_call(wx: Both, checks: Checks) -> None:
    with pytest.raises(MediaValidationError):
        await wx(wx.client.material.add_material, "image", b"not an image at all")

    assert len(checks.threads) == 1
    assert await wx.calls_to(ADD) == 0
    assert await wx.calls_to(TOKEN) == 0  # checked before a token is even asked for


async def test_the_async_client_checks_an_upload_off_the_event_loop(
    async_wechat_client: AsyncWeChatClient, checks: Checks
) -> None:
    loop_thread = threading.get_ident()

    added = await async_wechat_client.material.add_material("image", MEDIA / "image.jpg")

    assert added.media_id
    assert len(checks.threads) == 1
    assert loop_thread not in checks.threads
