"""The byte counts behind the progress bars, taken from real transfers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from wechat_material import AsyncWeChatClient, WeChatClient
from wechat_material.cli.metering import AsyncMeteredTransport, MeteredTransport
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA


class Tally:
    """Records each transfer's announced length and the bytes counted for it."""

    def __init__(self) -> None:
        self.announced: list[int | None] = []
        self.counted = 0

    def start(self, length: int | None) -> Any:
        self.announced.append(length)
        return self.add

    def add(self, n: int) -> None:
        self.counted += n


def test_downloads_are_counted_and_json_replies_are_not(sandbox: Any, tmp_path: Path) -> None:
    tally = Tally()
    transport = MeteredTransport(httpx.HTTPTransport(), tally.start)
    with (
        httpx.Client(transport=transport) as http,
        WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, http_client=http) as sdk,
    ):
        media_id = sdk.material.add_video_material(MEDIA / "video.mp4", "t", "i").media_id
        sdk.material.get_material_count()
        saved = sdk.material.download_material(media_id, tmp_path / "v.mp4")

    size = saved.stat().st_size
    assert size == (MEDIA / "video.mp4").stat().st_size
    assert tally.announced == [size]  # only the file itself, not the token or the JSON replies
    assert tally.counted == size


def test_uploads_are_counted(sandbox: Any) -> None:
    tally = Tally()
    files = [MEDIA / "image.jpg", MEDIA / "image.png"]

    async def upload() -> None:
        transport = AsyncMeteredTransport(httpx.AsyncHTTPTransport(), tally.start)
        async with (
            httpx.AsyncClient(transport=transport) as http,
            AsyncWeChatClient(
                DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, http_client=http
            ) as sdk,
        ):
            for path in files:
                await sdk.material.add_material("image", path)
            await sdk.material.get_material_count()

    asyncio.run(upload())

    assert len(tally.announced) == 2
    # Each multipart body is the file plus a few hundred bytes of headers and boundaries.
    assert tally.counted == sum(n for n in tally.announced if n is not None)
    assert (
        sum(p.stat().st_size for p in files)
        < tally.counted
        < sum(p.stat().st_size for p in files) + 2048
    )
