"""A sandbox account with a small library of every kind, and clients for it in-process."""

from __future__ import annotations

import random
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from wechat_material import AsyncWeChatClient
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    SandboxConfig,
    create_app,
)
from wechat_material.tokens import MemoryTokenStore

MEDIA = Path(__file__).parent.parent / "media"
BASE = "http://sandbox.test"
TARGET_APPID = "wxfedcba9876543210"
TARGET_SECRET = "fedcba9876543210fedcba9876543210"


def png(seed: int) -> bytes:
    """A small PNG of pixels drawn from ``seed``: different seeds, different bytes."""
    rng = random.Random(seed)
    width, height = rng.randint(2, 8), rng.randint(2, 8)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Sandbox:
    """One in-process sandbox: clients for its accounts, and its admin."""

    app: object
    admin: AsyncSandboxAdmin
    transport: httpx.ASGITransport
    _open: list[httpx.AsyncClient] = field(default_factory=list)

    def client(
        self,
        appid: str = DEMO_APPID,
        secret: str = DEMO_SECRET,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncWeChatClient:
        """A client of an account; ``transport`` wraps the way to the sandbox if given."""
        http = httpx.AsyncClient(transport=transport or self.transport)
        self._open.append(http)
        return AsyncWeChatClient(
            appid, secret, base_url=BASE, http_client=http, token_store=MemoryTokenStore()
        )

    async def close(self) -> None:
        for http in self._open:
            await http.aclose()


@pytest.fixture
async def sandbox(anyio_backend: str) -> AsyncIterator[Sandbox]:
    # "legacy": the library holds news materials made before WeChat retired add_news.
    app = create_app(SandboxConfig(seed=5, accounts=[(DEMO_APPID, DEMO_SECRET)], news_api="legacy"))
    transport = httpx.ASGITransport(app=app)
    admin_http = httpx.AsyncClient(transport=transport, base_url=BASE)
    box = Sandbox(app, AsyncSandboxAdmin(client=admin_http), transport)
    await box.admin.add_account(TARGET_APPID, TARGET_SECRET)
    try:
        yield box
    finally:
        await box.close()
        await admin_http.aclose()
        app.state.sandbox.close()  # type: ignore[attr-defined]


@dataclass
class Library:
    images: list[str]
    voice: str
    video: str
    news: str
    drafts: list[str]
    published: str
    figure_url: str


async def seed_library(client: AsyncWeChatClient, images: int = 5) -> Library:
    """Material of every kind, a news material, drafts and a published post, all linked."""
    material = client.material
    ids = [
        (await material.add_material("image", png(i), f"pic{i}.png")).media_id
        for i in range(images)
    ]
    voice = await material.add_material("voice", (MEDIA / "voice-2s.mp3").read_bytes(), "hello.mp3")
    video = await material.add_video_material(
        (MEDIA / "video.mp4").read_bytes(), "Launch", "Day one", "launch.mp4"
    )
    figure = await material.upload_image(png(1000), "figure.png")
    body = f'<p>Hello</p><img src="{figure.url}"><p>bye</p>'
    article = {"title": "First", "thumb_media_id": ids[0], "content": body}
    news = await material.add_news([article, {**article, "title": "Second"}])
    drafts = [
        await client.draft.add([{**article, "title": f"Draft {i}", "thumb_media_id": ids[i]}])
        for i in range(2)
    ]
    to_publish = await client.draft.add([{**article, "title": "Posted"}])
    submitted = await client.publish.submit(to_publish)
    return Library(
        ids, voice.media_id, video.media_id, news.media_id, drafts, submitted.publish_id, figure.url
    )


@pytest.fixture
async def library(sandbox: Sandbox) -> Library:
    client = sandbox.client()
    seeded = await seed_library(client)
    await sandbox.admin.advance(120)  # the post is published
    return seeded


# A library job in another Python, for the kill -9 tests: {job} is backup or restore.
JOB = """
import sys
from wechat_material import WeChatClient
from wechat_material.backup import {job}
with WeChatClient(sys.argv[1], sys.argv[2], base_url=sys.argv[3]) as client:
    summary = {job}(client, sys.argv[4], concurrency=3)
print(summary.status)
"""


def start_job(
    job: str, appid: str, secret: str, base_url: str, directory: Path
) -> subprocess.Popen[str]:
    """``backup`` or ``restore`` of ``directory`` in another process, in the background."""
    return subprocess.Popen(
        [sys.executable, "-c", JOB.format(job=job), appid, secret, base_url, str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rows_in(database: Path, query: str) -> int:
    """A count from a database another process is writing (0 until it exists)."""
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:  # not made yet: no table
        return 0


def kill_when(process: subprocess.Popen[str], progress: Callable[[], int], target: int) -> bool:
    """SIGKILL ``process`` once ``progress()`` reaches ``target``; False if it ended first."""
    while process.poll() is None:
        if progress() >= target:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
            return True
        time.sleep(0.005)
    process.communicate(timeout=60)
    return False
