"""Downloads: streamed to disk, complete or absent, following video links."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material import (
    AsyncWeChatClient,
    MediaFile,
    NotAFileError,
    NotFoundError,
    TransportError,
    UnexpectedReplyError,
    ValidationError,
    WeChatClient,
)
from wechat_material.limits import MB
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .harness import FAST_RETRY, MEDIA, Both

GET = "/cgi-bin/material/get_material"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.anyio
async def test_download_to_a_directory_uses_wechats_file_name(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    added = await wx(wx.client.material.add_material, "image", media / "image.png")
    saved = await wx(wx.client.material.download_material, added.media_id, tmp_path)
    assert saved == tmp_path / f"{added.media_id}.png"
    assert saved.read_bytes() == (media / "image.png").read_bytes()
    assert leftovers(tmp_path) == [saved.name]


@pytest.mark.anyio
async def test_download_to_a_file_path_replaces_it_whole(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    target = tmp_path / "封面.jpg"
    target.write_bytes(b"old content")
    added = await wx(wx.client.material.add_material, "image", media / "image.jpg")
    saved = await wx(wx.client.material.download_material, added.media_id, str(target))
    assert saved == target
    assert target.read_bytes() == (media / "image.jpg").read_bytes()
    assert leftovers(tmp_path) == ["封面.jpg"]


@pytest.mark.anyio
async def test_a_video_download_follows_its_link(wx: Both, media: Path, tmp_path: Path) -> None:
    added = await wx(wx.client.material.add_video_material, media / "video.mp4", "片", "介绍")
    saved = await wx(wx.client.material.download_material, added.media_id, tmp_path)
    assert saved.suffix == ".mp4"
    assert saved.read_bytes() == (media / "video.mp4").read_bytes()

    temporary = await wx(wx.client.material.upload_media, "video", media / "video.mp4")
    saved = await wx(wx.client.material.download_media, temporary.media_id, tmp_path / "v.mp4")
    assert saved.read_bytes() == (media / "video.mp4").read_bytes()


@pytest.mark.anyio
async def test_download_media_saves_temporary_files(wx: Both, media: Path, tmp_path: Path) -> None:
    voice = await wx(wx.client.material.upload_media, "voice", media / "voice-2s.amr")
    saved = await wx(wx.client.material.download_media, voice.media_id, tmp_path)
    assert saved.read_bytes() == (media / "voice-2s.amr").read_bytes()
    assert saved.suffix == ".amr"


@pytest.mark.anyio
async def test_nothing_is_left_when_the_download_fails(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    added = await wx(wx.client.material.add_material, "image", media / "image.png")
    await wx(wx.admin.set_faults, GET, drop_rate=1.0)
    with pytest.raises(TransportError):
        await wx(wx.client.material.download_material, added.media_id, tmp_path)
    assert leftovers(tmp_path) == []

    await wx(wx.admin.clear_faults)
    with pytest.raises(NotFoundError):
        await wx(wx.client.material.download_material, "no-such-id", tmp_path / "x.jpg")
    assert leftovers(tmp_path) == []


@pytest.mark.anyio
async def test_a_download_cut_once_is_retried_from_the_start(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    data = (media / "video.mp4").read_bytes()
    added = await wx(wx.client.material.add_video_material, data, "片", "介绍")
    await wx(wx.admin.set_faults, "/mmbiz/*", drop_rate=1.0, count=1)
    saved = await wx(wx.client.material.download_material, added.media_id, tmp_path)
    assert saved.read_bytes() == data  # not the half from the cut attempt plus the whole
    assert leftovers(tmp_path) == [saved.name]


@pytest.mark.anyio
async def test_a_news_material_cannot_be_downloaded(wx: Both, media: Path, tmp_path: Path) -> None:
    thumb = await wx(wx.client.material.add_material, "thumb", media / "thumb.jpg")
    article = {"title": "t", "thumb_media_id": thumb.media_id, "content": "<p>c</p>"}
    news = await wx(wx.client.material.add_news, [article])
    with pytest.raises(NotAFileError, match=r"news material.*get_material") as caught:
        await wx(wx.client.material.download_material, news.media_id, tmp_path)
    assert isinstance(caught.value, UnexpectedReplyError)
    assert caught.value.media_id == news.media_id
    assert caught.value.news.articles[0].title == "t"  # no need to ask again
    assert leftovers(tmp_path) == []


@pytest.mark.anyio
async def test_downloading_into_a_missing_directory_is_refused_up_front(
    wx: Both, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        await wx(wx.client.material.download_material, "id", tmp_path / "nope" / "x.jpg")
    assert await wx.api_calls() == 0


@pytest.mark.anyio
async def test_a_trailing_separator_names_a_directory_made_on_demand(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    added = await wx(wx.client.material.add_material, "image", media / "image.png")
    saved = await wx(wx.client.material.download_material, added.media_id, f"{tmp_path}/new/dir/")
    assert saved == tmp_path / "new" / "dir" / f"{added.media_id}.png"
    assert saved.read_bytes() == (media / "image.png").read_bytes()


@pytest.mark.anyio
async def test_media_file_save_is_atomic_too(wx: Both, media: Path, tmp_path: Path) -> None:
    added = await wx(wx.client.material.add_material, "image", media / "image.gif")
    got = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(got, MediaFile)
    saved = got.save(tmp_path)
    assert saved.name == got.filename
    assert saved.read_bytes() == got.content
    assert b"".join(got.iter_bytes(100)) == got.read()


class InterruptingStream(httpx.SyncByteStream):
    """A reply body that stops with Ctrl-C after its first chunk."""

    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            yield chunk[:100]
            raise KeyboardInterrupt

    def close(self) -> None:
        self._inner.close()


class InterruptOnFiles(httpx.BaseTransport):
    """A real HTTP transport whose file replies are interrupted half-way."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if response.headers.get("content-type", "").startswith("image/"):
            assert isinstance(response.stream, httpx.SyncByteStream)
            response.stream = InterruptingStream(response.stream)
        return response

    def close(self) -> None:
        self._inner.close()


def test_ctrl_c_during_a_download_leaves_no_file(threaded_sandbox: Any, tmp_path: Path) -> None:
    threaded_sandbox.admin.reset()
    with httpx.Client(transport=InterruptOnFiles()) as http:
        client = WeChatClient(
            DEMO_APPID,
            DEMO_SECRET,
            base_url=threaded_sandbox.base_url,
            http_client=http,
            retry=FAST_RETRY,
        )
        added = client.material.add_material("image", MEDIA / "image.jpg")
        with pytest.raises(KeyboardInterrupt):
            client.material.download_material(added.media_id, tmp_path)
    assert leftovers(tmp_path) == []


def big_video(
    threaded_sandbox: Any, tmp_path: Path, grown_media: Callable[[str, int], bytes]
) -> tuple[Path, Path]:
    """A 9 MB video to upload, and an empty directory to download it to."""
    threaded_sandbox.admin.reset()
    video = tmp_path / "big.mp4"
    video.write_bytes(grown_media("video.mp4", 9 * MB))
    out = tmp_path / "out"
    out.mkdir()
    return video, out


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of traced memory within the block, put in the list it gives."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
        peak.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def test_download_memory_does_not_grow_with_the_file(
    threaded_sandbox: Any, tmp_path: Path, grown_media: Callable[[str, int], bytes]
) -> None:
    video, out = big_video(threaded_sandbox, tmp_path, grown_media)
    with WeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=threaded_sandbox.base_url, retry=FAST_RETRY
    ) as client:
        added = client.material.add_video_material(video, "大文件", "九兆")
        with peak_memory() as traced:
            saved = client.material.download_material(added.media_id, out)
    [peak] = traced
    assert saved.stat().st_size == video.stat().st_size
    # Both ends of the transfer run in this process; still far below the 9 MB file.
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB"


def test_get_material_holds_a_file_in_memory_once(
    threaded_sandbox: Any, grown_media: Callable[[str, int], bytes]
) -> None:
    threaded_sandbox.admin.reset()
    image = grown_media("image.jpg", 8 * MB)
    with WeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=threaded_sandbox.base_url, retry=FAST_RETRY
    ) as client:
        added = client.material.add_material("image", image)
        tracemalloc.start()
        try:
            got = client.material.get_material(added.media_id)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert isinstance(got, MediaFile)
    assert got.content == image
    # The sandbox's side of the transfer is in this process too, but streamed;
    # reading the reply into bytes used to copy it (peak twice the file).
    assert peak < 1.5 * len(image), f"peak {peak / MB:.1f} MB for {len(image) / MB:.1f} MB"


VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000


def wechat_with_a_redirecting_cdn(request: httpx.Request) -> httpx.Response:
    """WeChat whose video link answers with a redirect to the file, as a CDN does."""
    if request.url.path == "/cgi-bin/token":
        return httpx.Response(200, json={"access_token": "T" * 40, "expires_in": 7200})
    if request.url.path == GET:
        video = {"title": "t", "description": "d", "down_url": "http://cdn.test/v/abc"}
        return httpx.Response(200, json=video)
    if str(request.url) == "http://cdn.test/v/abc":
        return httpx.Response(302, headers={"location": "http://cdn.test/files/abc.mp4"})
    assert str(request.url) == "http://cdn.test/files/abc.mp4"
    return httpx.Response(200, content=VIDEO_BYTES, headers={"content-type": "video/mp4"})


def test_a_video_link_that_redirects_is_followed(tmp_path: Path) -> None:
    transport = httpx.MockTransport(wechat_with_a_redirecting_cdn)
    with (
        httpx.Client(transport=transport) as http,
        WeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url="http://wechat.test", http_client=http
        ) as client,
    ):
        saved = client.material.download_material("VIDEO", tmp_path)
    assert saved.read_bytes() == VIDEO_BYTES


@pytest.mark.anyio
async def test_a_video_link_that_redirects_is_followed_by_the_async_client_too(
    tmp_path: Path,
) -> None:
    transport = httpx.MockTransport(wechat_with_a_redirecting_cdn)
    async with (
        httpx.AsyncClient(transport=transport) as http,
        AsyncWeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url="http://wechat.test", http_client=http
        ) as client,
    ):
        saved = await client.material.download_material("VIDEO", tmp_path)
    assert saved.read_bytes() == VIDEO_BYTES


@pytest.mark.anyio
async def test_an_async_download_streams_to_disk_too(
    threaded_sandbox: Any, tmp_path: Path, grown_media: Callable[[str, int], bytes]
) -> None:
    video, out = big_video(threaded_sandbox, tmp_path, grown_media)
    async with AsyncWeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=threaded_sandbox.base_url, retry=FAST_RETRY
    ) as client:
        added = await client.material.add_video_material(video, "大文件", "九兆")
        with peak_memory() as traced:
            saved = await client.material.download_material(added.media_id, out)
    [peak] = traced
    assert saved.stat().st_size == video.stat().st_size
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB"
