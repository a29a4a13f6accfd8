"""A file is stored together with the row that refers to it, or not at all;
a refused upload form leaves no temporary file open.

The database is made to refuse a row (a trigger, as a full disk or a broken
constraint would): the upload fails with ``-1`` and leaves no file behind,
neither in ``blobs/`` nor in ``tmp/``.
"""

from __future__ import annotations

import gc
import sqlite3
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend, SandboxConfig

from ..wechat_wire import START, WeChat, errcode, media, padded

pytestmark = pytest.mark.anyio


@pytest.fixture
def config(tmp_path: Path) -> SandboxConfig:
    return SandboxConfig(data_dir=tmp_path, seed=5, start_time=START)


def refuse_rows(backend: SandboxBackend, table: str) -> None:
    backend.storage.db.execute(
        f"CREATE TEMP TRIGGER refuse_{table} BEFORE INSERT ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    )


def stored_files(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for d in ("blobs", "tmp")
        for p in (root / d).rglob("*")
        if p.is_file()
    )


@pytest.mark.parametrize(
    ("table", "path", "type"),
    [
        ("temp_media", "/cgi-bin/media/upload", "image"),
        ("links", "/cgi-bin/media/upload", "video"),  # a temporary video's URL
        ("materials", "/cgi-bin/material/add_material", "image"),
        ("links", "/cgi-bin/material/add_material", "image"),
        ("links", "/cgi-bin/media/uploadimg", None),
    ],
)
async def test_a_refused_row_leaves_no_file(
    wx: WeChat, backend: SandboxBackend, tmp_path: Path, table: str, path: str, type: str | None
) -> None:
    name = "video.mp4" if type == "video" else "image.jpg"
    refuse_rows(backend, table)
    reply = await wx.upload(path, name, media(name), type)
    assert errcode(reply) == -1
    assert stored_files(tmp_path) == []


async def test_a_refused_row_keeps_a_file_another_row_uses(
    wx: WeChat, backend: SandboxBackend, tmp_path: Path
) -> None:
    kept = await wx.add_image()
    before = stored_files(tmp_path)
    refuse_rows(backend, "temp_media")
    reply = await wx.upload("/cgi-bin/media/upload", "same.jpg", media("image.jpg"), "image")
    assert errcode(reply) == -1
    assert stored_files(tmp_path) == before
    got = await wx.post("/cgi-bin/material/get_material", {"media_id": kept})
    assert got.content == media("image.jpg")


def test_a_refused_jssdk_voice_leaves_no_file(backend: SandboxBackend, tmp_path: Path) -> None:
    refuse_rows(backend, "temp_media")
    with pytest.raises(sqlite3.IntegrityError):
        backend.add_jssdk_voice(DEMO_APPID, media("voice-2s.amr"))
    assert stored_files(tmp_path) == []


BOUNDARY = "b0undary"
UPLOAD_PARAMS = {"type": "image"}


def form_body(data: bytes, *, broken: bool = False) -> bytes:
    """A multipart form with ``data`` as its ``media`` file; ``broken`` adds a part
    without a name after it, so the form cannot be read."""
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body += data + b"\r\n"
    if broken:
        body += f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n".encode()
    return body + f"--{BOUNDARY}--\r\n".encode()


async def post_in_chunks(wx: WeChat, body: bytes) -> httpx.Response:
    """POST an upload form the way a network delivers it: 64 KB at a time."""

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    return await wx.http.post(
        "/cgi-bin/media/upload",
        params={"access_token": wx.token, **UPLOAD_PARAMS},
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


async def unclosed_files_after(wx: WeChat, body: bytes) -> tuple[httpx.Response, list[str]]:
    """The reply to an upload, and the files it left for the garbage collector to close."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        reply = await post_in_chunks(wx, body)
        gc.collect()
    return reply, [str(w.message) for w in caught if w.category is ResourceWarning]


class TestRefusedFormsCloseTheirFiles:
    @pytest.fixture
    def config(self) -> SandboxConfig:
        return SandboxConfig(seed=5, start_time=START, max_request_bytes=3 * 1024 * 1024 // 2)

    async def test_an_upload_over_the_limit(self, wx: WeChat) -> None:
        # Past 1 MB the upload is spooled to a file on disk, then cut off at 1.5 MB.
        reply, unclosed = await unclosed_files_after(
            wx, form_body(padded("image.jpg", 3 * 1024 * 1024))
        )
        assert errcode(reply) == 45001
        assert unclosed == []

    async def test_a_form_broken_after_a_big_file(self, wx: WeChat) -> None:
        reply, unclosed = await unclosed_files_after(
            wx, form_body(padded("image.jpg", 1200 * 1024), broken=True)
        )
        assert errcode(reply) == 41005
        assert unclosed == []

    async def test_an_accepted_big_upload(
        self, wx: WeChat, grown_media: Callable[[str, int], bytes]
    ) -> None:
        reply, unclosed = await unclosed_files_after(
            wx, form_body(grown_media("image.jpg", 1200 * 1024))
        )
        assert "media_id" in reply.json()
        assert unclosed == []
