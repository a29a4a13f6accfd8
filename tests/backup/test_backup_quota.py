"""Quotas: a spent day stops the run cleanly; a spent minute makes it wait, not spin."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest

from wechat_material.backup import abackup
from wechat_material.backup.manifest import Manifest
from wechat_material.sandbox import DEMO_APPID

from .conftest import Library, Sandbox

pytestmark = pytest.mark.anyio

GET = "/cgi-bin/material/get_material"


def rows(directory: Path, kind: str) -> int:
    with Manifest(directory) as manifest:
        return len(list(manifest.entries(kind)))


async def test_a_spent_daily_quota_stops_cleanly_and_the_next_day_resumes(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await sandbox.admin.set_quota(DEMO_APPID, GET, daily_limit=3)

    summary = await abackup(sandbox.client(), tmp_path, concurrency=2)

    assert summary.status == "quota"
    assert "00:00 China time" in summary.message
    assert summary.plan is not None
    assert GET in summary.plan.short
    assert rows(tmp_path, "image") + rows(tmp_path, "voice") + rows(tmp_path, "video") <= 3
    assert not list((tmp_path / ".tmp").iterdir())

    await sandbox.admin.advance(86400)
    await sandbox.admin.set_quota(DEMO_APPID, GET, daily_limit=100)
    again = await abackup(sandbox.client(), tmp_path, concurrency=2)

    assert again.status == "complete"
    assert rows(tmp_path, "image") == len(library.images)


async def test_a_spent_minute_quota_pauses_every_call_then_goes_on(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await sandbox.admin.set_quota(DEMO_APPID, GET, daily_limit=1000, minute_limit=3)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await sandbox.admin.advance(seconds)  # the sandbox's minute passes
        await asyncio.sleep(0)

    summary = await abackup(sandbox.client(), tmp_path, concurrency=4, sleep=sleep)

    assert summary.status == "complete", summary.failures
    assert rows(tmp_path, "image") == len(library.images)
    assert summary.rate_limit_waits >= 2
    assert all(p >= 60 for p in pauses)
    # Never a spin: every refused call waited for a pause.
    refused = (await sandbox.admin.counters(DEMO_APPID))[GET] - 7
    assert refused <= 4 * summary.rate_limit_waits


async def test_no_more_calls_are_in_flight_than_the_concurrency(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    in_flight = 0
    most = 0

    class Watching(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            try:
                await asyncio.sleep(0.001)
                return await sandbox.transport.handle_async_request(request)
            finally:
                in_flight -= 1

    client = sandbox.client(transport=Watching())
    summary = await abackup(client, tmp_path, concurrency=3)

    assert summary.status == "complete"
    assert 2 <= most <= 3


async def test_the_plan_counts_and_asks_quotas_only_for_the_chosen_kinds(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    summary = await abackup(sandbox.client(), tmp_path / "images", kinds=("image",))

    assert summary.plan is not None
    assert summary.plan.calls == {
        "/cgi-bin/material/get_materialcount": 1,
        "/cgi-bin/material/batchget_material": 1,
        GET: len(library.images),
    }
    assert set(summary.plan.remain) == set(summary.plan.calls)
    assert summary.account_counts["image"] == len(library.images)
    assert "draft" not in summary.account_counts

    drafts = await abackup(sandbox.client(), tmp_path / "drafts", kinds=("draft", "published"))

    assert drafts.plan is not None
    assert drafts.plan.calls == {
        "/cgi-bin/draft/count": 1,
        "/cgi-bin/draft/batchget": 1,
        "/cgi-bin/freepublish/batchget": 1,
    }
    assert drafts.account_counts == {"draft": len(library.drafts)}


async def test_a_stopped_run_returns_only_once_its_disk_work_has_ended(
    sandbox: Sandbox, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An article being written into the backup when the run stops (here, every other
    # call refused for the day): the run must not return while its staged file is
    # still being written, or it leaves a .part behind.
    from wechat_material.backup.store import ObjectStore

    writing, stopped, written = threading.Event(), threading.Event(), threading.Event()
    keep = ObjectStore.admit_bytes

    def slow_admit(store: ObjectStore, data: bytes) -> object:
        writing.set()
        stopped.wait(10)  # held until the run has been told to stop
        try:
            return keep(store, data)
        finally:
            written.set()

    monkeypatch.setattr(ObjectStore, "admit_bytes", slow_admit)
    run = asyncio.ensure_future(abackup(sandbox.client(), tmp_path, concurrency=2))
    assert await asyncio.to_thread(writing.wait, 10)
    run.cancel()
    for _ in range(50):  # let the cancellation reach every task of the run
        await asyncio.sleep(0)
    assert not run.done()  # it waits for the article being written
    stopped.set()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert written.is_set()
    assert not list((tmp_path / ".tmp").iterdir())
