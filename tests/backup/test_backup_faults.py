"""A large backup through a flaky network completes and verifies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wechat_material.backup import abackup
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.verify import verify_backup

from .conftest import Sandbox, png

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ITEMS = 2000


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def test_2000_items_through_errors_drops_and_502s_complete_and_verify(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    client = sandbox.client()
    sem = asyncio.Semaphore(16)

    async def add(i: int) -> None:
        async with sem:
            await client.material.add_material("image", png(i), f"p{i}.png")

    await asyncio.gather(*(add(i) for i in range(ITEMS)))
    await sandbox.admin.set_faults(
        "*", error_rate=0.10, drop_rate=0.02, http_5xx_rate=0.05, seed=21
    )

    summary = await abackup(client, tmp_path, concurrency=16, sleep=no_wait)

    # One run: the client's retries and the library's own carry it through.
    assert summary.status == "complete", summary.failures[:5]
    assert summary.retries > 0
    with Manifest(tmp_path) as manifest:
        assert len(list(manifest.entries("image"))) == ITEMS
    report = verify_backup(tmp_path)
    assert report.ok
    assert report.checked_files == ITEMS
