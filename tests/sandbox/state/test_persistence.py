"""State in a data directory: it survives a restart, and its files are laid out safely."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from wechat_material.limits import ACCESS_TOKEN_LIFETIME
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    SandboxBackend,
    SandboxClock,
    SandboxConfig,
    SandboxError,
    create_app,
)
from wechat_material.sandbox.state.tokens import FORGET_AFTER, SWEEP_EVERY

from ..wechat_wire import BASE, START, WeChat, article, errcode, media

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def running(data_dir: Path, **options: object) -> AsyncIterator[tuple[WeChat, Starlette]]:
    """A sandbox on ``data_dir``, closed (as if the process ended) on exit."""
    app = create_app(SandboxConfig(data_dir=data_dir, start_time=START, **options))  # type: ignore[arg-type]
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield WeChat(http), app
    finally:
        app.state.sandbox.close()


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    async with running(tmp_path) as (wx, _):
        token = await wx.fetch_token()
        image = await wx.add_image()
        temp = (
            await wx.upload("/cgi-bin/media/upload", "a.amr", media("voice-2s.amr"), "voice")
        ).json()["media_id"]
        draft = (await wx.call("/cgi-bin/draft/add", {"articles": [article(image)]}))["media_id"]
        await AsyncSandboxAdmin(client=wx.http).advance(3600)

    async with running(tmp_path) as (wx, _):
        wx.token = token  # the token issued before the restart still works
        admin = AsyncSandboxAdmin(client=wx.http)
        assert await admin.now() == START + 3600  # and the clock kept its place
        assert (await wx.post("/cgi-bin/material/get_material", {"media_id": image})).content == (
            media("image.jpg")
        )
        assert (await wx.get("/cgi-bin/media/get", media_id=temp)).content == media("voice-2s.amr")
        assert (await wx.call("/cgi-bin/draft/get", {"media_id": draft}))["news_item"]
        await admin.advance(3600)
        assert errcode(await wx.get("/cgi-bin/draft/count")) == 42001


def disk_layout(root: Path) -> dict[str, object]:
    return {
        "blobs": sorted(
            str(p.relative_to(root / "blobs")) for p in (root / "blobs").rglob("*") if p.is_file()
        ),
        "tmp": list((root / "tmp").iterdir()),
        "database mode": stat.S_IMODE((root / "sandbox.sqlite3").stat().st_mode),
        "directory mode": stat.S_IMODE(root.stat().st_mode),
    }


async def test_files_are_content_addressed_and_private(tmp_path: Path) -> None:
    data = media("image.gif")
    async with running(tmp_path) as (wx, _):
        await wx.fetch_token()
        first = await wx.add_material("image", "a.gif", data)
        second = await wx.add_material("image", "b.gif", data)
        sha = hashlib.sha256(data).hexdigest()
        blob = tmp_path / "blobs" / sha[:2] / sha
        assert disk_layout(tmp_path) == {
            "blobs": [f"{sha[:2]}/{sha}"],  # one copy for both, named by its hash
            "tmp": [],  # no half-written uploads left
            "database mode": 0o600,
            "directory mode": 0o700,
        }
        assert blob.read_bytes() == data
        # the copy goes when the last material using it goes
        await wx.call("/cgi-bin/material/del_material", {"media_id": first})
        assert blob.exists()
        await wx.call("/cgi-bin/material/del_material", {"media_id": second})
        assert not blob.exists()


async def test_leftover_partial_uploads_are_cleared_at_start(tmp_path: Path) -> None:
    async with running(tmp_path):
        pass
    (tmp_path / "tmp" / "upload-crashed").write_bytes(b"half a file")
    async with running(tmp_path):
        assert list((tmp_path / "tmp").iterdir()) == []


async def test_a_seeded_sandbox_never_repeats_ids_after_a_restart(tmp_path: Path) -> None:
    ids = []
    for _ in range(2):
        async with running(tmp_path, seed=3) as (wx, _):
            await wx.fetch_token()
            ids.append(await wx.add_image())
    assert ids[0] != ids[1]


async def test_reset_wipes_the_data_directory(tmp_path: Path) -> None:
    async with running(tmp_path) as (wx, _):
        await wx.fetch_token()
        await wx.add_image()
        admin = AsyncSandboxAdmin(client=wx.http)
        await admin.advance(100)
        await admin.reset()
        assert await admin.now() == START
        assert list((tmp_path / "blobs").rglob("*")) == []
        assert errcode(await wx.get("/cgi-bin/material/get_materialcount")) == 40014
        await wx.fetch_token()
        counts = (await wx.get("/cgi-bin/material/get_materialcount")).json()
        assert counts["image_count"] == 0


def test_frozen_clock_moves_only_when_told() -> None:
    clock = SandboxClock(START)
    assert clock.now() == START
    assert clock.advance(7200) == START + 7200
    assert clock.set_time(START - 10) == START - 10
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_running_clock_follows_real_time_from_its_start() -> None:
    clock = SandboxClock(START, running=True)
    assert clock.running
    assert START <= clock.now() < START + 3600
    clock.advance(86400)
    assert clock.now() >= START + 86400


def _token_indexes(backend: SandboxBackend) -> set[str]:
    rows = backend.storage.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tokens'"
    )
    return {row[0] for row in rows}


def test_a_data_directory_of_an_earlier_version_opens_without_its_token_expiry_index(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(data_dir=tmp_path, seed=1, start_time=START)
    with SandboxBackend(config) as backend:
        grant = backend.grant_token("client_credential", DEMO_APPID, DEMO_SECRET, "127.0.0.1")
        # What earlier versions made: an index every new token had to be written into.
        backend.storage.db.execute("CREATE INDEX tokens_expiry ON tokens (expires_at)")
    with SandboxBackend(config) as backend:
        assert "tokens_expiry" not in _token_indexes(backend)
        assert "tokens_live" in _token_indexes(backend)
        assert backend.tokens.check(grant.access_token) == DEMO_APPID


def test_tokens_long_dead_are_still_forgotten(tmp_path: Path) -> None:
    """Without an index on expires_at, the sweep still deletes tokens a week past expiry:
    they then answer 40014, as WeChat does for a token it never issued."""
    with SandboxBackend(SandboxConfig(data_dir=tmp_path, seed=1, start_time=START)) as backend:
        old = backend.grant_token("client_credential", DEMO_APPID, DEMO_SECRET, "127.0.0.1")
        backend.clock.advance(ACCESS_TOKEN_LIFETIME + FORGET_AFTER - 1)
        backend.grant_token("client_credential", DEMO_APPID, DEMO_SECRET, "127.0.0.1")
        with pytest.raises(SandboxError) as expired:
            backend.tokens.check(old.access_token)
        assert expired.value.code == 42001  # not yet forgotten
        backend.clock.advance(SWEEP_EVERY + 2)
        backend.grant_token("client_credential", DEMO_APPID, DEMO_SECRET, "127.0.0.1")
        with pytest.raises(SandboxError) as forgotten:
            backend.tokens.check(old.access_token)
        assert forgotten.value.code == 40014
