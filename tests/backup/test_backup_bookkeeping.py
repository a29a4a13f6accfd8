"""What a backup records when part of a run fails: the failures, the kinds left incomplete,
and what it may (and may not) call gone.

In-process, against the sandbox: a list that cannot be read, and an item deleted
between the listing and its download (a real race, made to happen every time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material.backup import abackup
from wechat_material.backup.backup_job import Failure

from .conftest import Library, Sandbox
from .test_backup import entries

pytestmark = pytest.mark.anyio

LIST = "/cgi-bin/material/batchget_material"
GET = "/cgi-bin/material/get_material"


async def test_a_list_that_cannot_be_read_leaves_its_kind_incomplete_and_nothing_gone(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    client = sandbox.client()
    first = await abackup(client, tmp_path, concurrency=4)
    assert first.status == "complete", first.failures
    await sandbox.admin.set_faults(LIST, error_rate=1.0, errcode=48001)

    summary = await abackup(client, tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    # Each material list failed at its first page, by kind; nothing else failed.
    assert sorted((f.kind, f.id) for f in summary.failures) == [
        (kind, "page at offset 0") for kind in ("image", "news", "video", "voice")
    ]
    assert all("48001" in f.error for f in summary.failures)
    for kind in ("image", "news", "video", "voice"):
        assert (summary.kinds[kind].failed, summary.kinds[kind].gone) == (1, 0), kind
        # Unlisted is not gone: every item kept from the first run is still current.
        kept: Any = entries(tmp_path, kind).values()
        assert all(entry.gone_at is None for entry in kept), kind
    # The lists that could be read were: drafts and posts stay complete and counted.
    assert (summary.kinds["draft"].failed, summary.kinds["draft"].unchanged) == (0, 2)


class DeleteBeforeDownload(httpx.AsyncBaseTransport):
    """Deletes items just before their download is sent: the race with a user's rm."""

    def __init__(self, inner: httpx.AsyncBaseTransport, media_ids: set[str]):
        self.inner, self.media_ids = inner, media_ids

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == GET and json.loads(request.content)["media_id"] in self.media_ids:
            delete = httpx.Request(
                "POST",
                request.url.copy_with(path="/cgi-bin/material/del_material"),
                content=request.content,
            )
            assert (await self.inner.handle_async_request(delete)).status_code == 200
        return await self.inner.handle_async_request(request)


async def test_an_item_deleted_before_its_download_is_a_failure_named_by_kind_and_id(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    victims = {library.images[3], library.images[4]}  # no article uses these two
    race = DeleteBeforeDownload(sandbox.transport, victims)

    summary = await abackup(sandbox.client(transport=race), tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    assert sorted((f.kind, f.id) for f in summary.failures) == [
        ("image", v) for v in sorted(victims)
    ]
    for failure in summary.failures:
        assert isinstance(failure, Failure)
        assert failure.error.startswith("/cgi-bin/material/get_material: [40007] invalid media_id")
    assert summary.kinds["image"].failed == 2
    assert summary.kinds["image"].new == len(library.images) - 2
    assert set(entries(tmp_path, "image")) == set(library.images) - victims
