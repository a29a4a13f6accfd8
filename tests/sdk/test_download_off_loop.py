"""An async download makes its file durable on a worker thread, not on the event loop."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from wechat_material import AsyncWeChatClient

from .harness import MEDIA

pytestmark = pytest.mark.anyio


async def test_fsync_of_an_async_download_runs_off_the_event_loop(
    async_wechat_client: AsyncWeChatClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = async_wechat_client
    image = await client.material.add_material("image", (MEDIA / "image.jpg").read_bytes())
    loop_thread = threading.get_ident()
    synced_on: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced_on.append(threading.get_ident())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)

    saved = await client.material.download_material(image.media_id, tmp_path / "copy.jpg")

    assert saved.read_bytes() == (MEDIA / "image.jpg").read_bytes()
    assert synced_on
    assert loop_thread not in synced_on
