"""A backup holds the whole library, once, and a second run fetches only what changed."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material import AsyncWeChatClient
from wechat_material.backup import BackupSummary, abackup
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.pacing import AccountUnavailable
from wechat_material.backup.store import ObjectStore
from wechat_material.models import NewsContent
from wechat_material.sandbox import DEMO_APPID

from .conftest import Library, Sandbox, png

pytestmark = pytest.mark.anyio

GET = "/cgi-bin/material/get_material"


def entries(directory: Path, kind: str) -> dict[str, object]:
    with Manifest(directory) as manifest:
        return {e.id: e for e in manifest.entries(kind)}


async def test_a_backup_holds_every_kind_with_its_bytes(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    client = sandbox.client()
    summary = await abackup(client, tmp_path / "bk", concurrency=4)

    assert summary.status == "complete", summary.failures
    store = ObjectStore(tmp_path / "bk")
    # Every file the account holds, by kind, with the bytes the account serves for it
    # (read here through the API, not from what the test uploaded).
    for kind in ("image", "voice", "video"):
        kept = entries(tmp_path / "bk", kind)
        held = [item async for item in client.material.stream_get_material(kind)]
        assert set(kept) == {item.media_id for item in held}, kind
        assert held, kind
        for item in held:
            served = io.BytesIO()
            await client.material.download_material(item.media_id, served)
            entry: Any = kept[item.media_id]
            assert store.path_of(entry.sha256).read_bytes() == served.getvalue(), kind
            assert entry.sha256 == hashlib.sha256(served.getvalue()).hexdigest()
            assert entry.size == len(served.getvalue())
            assert entry.name == item.name
    video: Any = entries(tmp_path / "bk", "video")[library.video]
    assert video.extra["title"] == "Launch"
    # Every article the account holds, as the account lists it.
    news = [item async for item in client.material.stream_get_material("news")]
    drafts = [item async for item in client.draft.stream()]
    published = [item async for item in client.publish.stream()]
    listed: list[tuple[str, str, NewsContent]] = [
        *(("news", item.media_id, item.content) for item in news),
        *(("draft", item.media_id, item.content) for item in drafts),
        *(("published", item.article_id, item.content) for item in published),
    ]
    for kind in ("news", "draft", "published"):
        ids = {id_ for listed_kind, id_, _ in listed if listed_kind == kind}
        assert set(entries(tmp_path / "bk", kind)) == ids, kind
        assert ids, kind
    for kind, id_, content in listed:
        entry = entries(tmp_path / "bk", kind)[id_]
        raw = json.loads(store.path_of(entry.sha256).read_bytes())  # type: ignore[attr-defined]
        titles = [article["title"] for article in raw["content"]["news_item"]]
        assert titles == [article.title for article in content.articles], kind
    # The figure used by every article is kept once, whoever uses it.
    assets = entries(tmp_path / "bk", "asset")
    assert library.figure_url in assets
    figure: Any = assets[library.figure_url]
    assert store.path_of(figure.sha256).read_bytes() == png(1000)
    counts = await client.material.get_material_count()
    assert summary.account_counts == {
        "image": counts.image_count,
        "voice": counts.voice_count,
        "video": counts.video_count,
        "news": counts.news_count,
        "draft": await client.draft.count(),
    }  # what the account's counts said (published posts have no count to ask)
    assert summary.unreachable
    assert "temporary media" in summary.unreachable[0]


async def test_articles_keep_their_json_and_render_with_local_pictures(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await abackup(sandbox.client(), tmp_path, concurrency=4)

    news = entries(tmp_path, "news")[library.news]
    raw = json.loads(ObjectStore(tmp_path).path_of(news.sha256).read_text())  # type: ignore[attr-defined]
    assert raw["media_id"] == library.news
    assert [a["title"] for a in raw["content"]["news_item"]] == ["First", "Second"]
    page = (tmp_path / "articles" / "news" / f"{library.news}.html").read_text()
    figure = entries(tmp_path, "asset")[library.figure_url]
    assert f"../../objects/{figure.sha256[:2]}/{figure.sha256}" in page  # type: ignore[attr-defined]
    assert library.figure_url not in page
    index = (tmp_path / "index.html").read_text()
    assert "<audio" in index
    assert "<video" in index
    assert library.images[0] in index


async def test_a_second_run_downloads_nothing_that_did_not_change(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await abackup(sandbox.client(), tmp_path, concurrency=4)
    await sandbox.admin.reset_counters()

    summary = await abackup(sandbox.client(), tmp_path, concurrency=4)

    assert summary.status == "complete"
    totals = summary.totals()
    assert (totals.new, totals.changed, totals.repaired) == (0, 0, 0)
    assert totals.unchanged > 0
    assert (await sandbox.admin.counters(DEMO_APPID)).get(GET, 0) == 0


async def test_new_changed_and_deleted_items_are_seen_and_nothing_is_deleted(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    client = sandbox.client()
    await abackup(client, tmp_path, concurrency=4)
    gone_sha = entries(tmp_path, "image")[library.images[3]].sha256  # type: ignore[attr-defined]
    added = await client.material.add_material("image", png(77), "new.png")
    await client.material.del_material(library.images[3])
    await sandbox.admin.advance(10)
    await client.draft.update(
        library.drafts[0],
        0,
        {"title": "Edited", "thumb_media_id": library.images[0], "content": "x"},
    )
    await sandbox.admin.reset_counters()

    summary = await abackup(client, tmp_path, concurrency=4)

    image = summary.kinds["image"]
    assert (image.new, image.gone) == (1, 1)
    assert summary.kinds["draft"].changed == 1
    assert (await sandbox.admin.counters(DEMO_APPID)).get(GET, 0) == 1
    kept = entries(tmp_path, "image")
    assert added.media_id in kept
    assert kept[library.images[3]].gone_at is not None  # type: ignore[attr-defined]
    assert ObjectStore(tmp_path).path_of(gone_sha).exists()


async def test_a_backup_of_another_account_is_refused(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    from wechat_material.backup import BackupFormatError

    from .conftest import TARGET_APPID, TARGET_SECRET

    await abackup(sandbox.client(), tmp_path, concurrency=4)
    with pytest.raises(BackupFormatError, match="another account"):
        await abackup(sandbox.client(TARGET_APPID, TARGET_SECRET), tmp_path)


async def test_unknown_kinds_are_refused_before_anything_is_written(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from wechat_material.errors import ValidationError

    with pytest.raises(ValidationError, match="unknown kinds"):
        await abackup(sandbox.client(), tmp_path / "bk", kinds=("images",))
    assert not (tmp_path / "bk").exists()


async def test_an_account_that_gets_no_token_stops_the_run_before_it_writes(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await sandbox.admin.set_account_status(DEMO_APPID, frozen=True)

    with pytest.raises(AccountUnavailable, match="50007") as raised:
        await abackup(sandbox.client(), tmp_path / "bk", concurrency=4)

    assert DEMO_APPID in str(raised.value)
    assert not (tmp_path / "bk").exists()


async def test_a_cancelled_run_is_recorded_as_interrupted(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    import asyncio

    def cancel_soon(progress: object) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()  # as Ctrl-C does, from within the run

    run = asyncio.ensure_future(
        abackup(sandbox.client(), tmp_path, concurrency=2, on_plan=cancel_soon)
    )
    with pytest.raises(asyncio.CancelledError):
        await run

    with Manifest(tmp_path) as manifest:
        assert manifest.runs()[-1]["status"] == "interrupted"
    assert not list((tmp_path / ".tmp").iterdir())


class _PageWatch(httpx.AsyncBaseTransport):
    """Counts the image-list pages in flight at once; may run ``before_first`` first."""

    def __init__(self, inner: httpx.AsyncBaseTransport, before_first: Any = None) -> None:
        self.inner = inner
        self.before_first = before_first
        self.in_flight = 0
        self.most = 0
        self.offsets: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/cgi-bin/material/batchget_material":
            return await self.inner.handle_async_request(request)
        body = json.loads(request.content)
        if body["type"] != "image":
            return await self.inner.handle_async_request(request)
        if self.before_first is not None:
            action, self.before_first = self.before_first, None
            await action()
        self.offsets.append(body["offset"])
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)  # long enough for every page asked together to be here
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


async def _add_images(client: AsyncWeChatClient, numbers: range) -> None:
    for i in numbers:
        await client.material.add_material("image", png(i), f"p{i}.png")


async def _watched_backup(sandbox: Sandbox, watch: _PageWatch, directory: Path) -> BackupSummary:
    return await abackup(sandbox.client(transport=watch), directory, kinds=("image",))


async def test_the_pages_of_a_counted_list_are_asked_for_together(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    await _add_images(sandbox.client(), range(45))
    watch = _PageWatch(sandbox.transport)

    summary = await _watched_backup(sandbox, watch, tmp_path / "bk")

    assert summary.status == "complete", summary.failures
    assert sorted(watch.offsets) == [0, 20, 40]
    assert watch.most == 3  # the count said three pages: none waited for the first
    assert len(entries(tmp_path / "bk", "image")) == 45


async def test_a_list_that_grew_after_it_was_counted_is_read_to_its_end(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    client = sandbox.client()
    await _add_images(client, range(15))

    async def add_more() -> None:  # between the count and the first page
        await _add_images(client, range(15, 50))

    watch = _PageWatch(sandbox.transport, before_first=add_more)
    summary = await _watched_backup(sandbox, watch, tmp_path / "bk")

    assert summary.status == "complete", summary.failures
    assert summary.account_counts["image"] == 15
    assert sorted(watch.offsets) == [0, 20, 40]
    assert len(entries(tmp_path / "bk", "image")) == 50
