"""Backing up a whole account: every list read concurrently, every file kept once.

:func:`backup_library` reads every list the API offers (material of each
type, legacy news, the draft box, published posts), all pages of a list at
once (the account's counts, asked for first, say how many), and downloads what is new
or changed while the lists are still being read. Everything shares one bound
on calls in flight (:class:`~.pacing.Pacer`).

Crash safety comes from the order of things: bytes go to ``.tmp/``, are
hashed, made durable and renamed into ``objects/``; only then is the row
committed to the manifest. A run killed at any instant leaves complete
objects and committed rows; the next run empties ``.tmp/`` and does what is
missing. An incremental run skips an item only when its row is intact, its
``update_time`` unchanged and its file present at the recorded size.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wechat_material import _endpoints as ep
from wechat_material.backup.articles import articles_of, picture_urls, titles
from wechat_material.backup.manifest import (
    ARTICLE_KINDS,
    ASSET,
    FILE_KINDS,
    BackupFormatError,
    Entry,
    Manifest,
)
from wechat_material.backup.pacing import (
    DEFAULT_CONCURRENCY,
    Pacer,
    QuotaExhausted,
    check_account,
)
from wechat_material.backup.pages import prepare_pages, require_cleaner, write_pages
from wechat_material.backup.store import (
    FOLDER_MODE,
    ObjectStore,
    Stored,
    UnsafeFolderError,
    locked,
)
from wechat_material.errors import URLRefusedError, ValidationError, WeChatError
from wechat_material.fetching import FetchPolicy, afetch_to
from wechat_material.limits import LIST_KINDS, PAGE_MAX, MaterialType
from wechat_material.tokens.locking import finish

if TYPE_CHECKING:
    from wechat_material.client import AsyncWeChatClient

T = TypeVar("T")


def check_kinds(kinds: tuple[str, ...]) -> None:
    """Refuse kinds that are not lists of the API, before anything is touched."""
    unknown = [kind for kind in kinds if kind not in LIST_KINDS]
    if unknown or not kinds:
        raise ValidationError(f"unknown kinds {unknown}; choose among {', '.join(LIST_KINDS)}")


# What the API cannot reach, said in every summary so nobody believes otherwise.
UNREACHABLE = (
    "temporary media (media/upload): WeChat offers no way to list it",
    "articles mass-sent with notification (群发): not in freepublish/batchget",
    "comments, reader statistics and menus: outside the material API",
)

# The kinds batchget_material lists (the others have list calls of their own).
MATERIAL_LISTS = tuple(k for k in LIST_KINDS if k in set(MaterialType))


def _pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE_MAX))


def backup_paths(kinds: tuple[str, ...]) -> list[str]:
    """The API paths a backup of ``kinds`` calls: their quotas are asked before it starts."""
    paths: list[str] = []
    if any(kind in MATERIAL_LISTS for kind in kinds):
        paths += [ep.MATERIAL_COUNT.path, ep.MATERIAL_BATCHGET.path]
    if any(kind in FILE_KINDS for kind in kinds):
        paths.append(ep.MATERIAL_GET.path)
    if "draft" in kinds:
        paths += [ep.DRAFT_COUNT.path, ep.DRAFT_BATCHGET.path]
    if "published" in kinds:
        paths.append(ep.PUBLISH_BATCHGET.path)
    return paths


@dataclass
class Progress:
    """Where a run stands; handed to ``on_progress`` after every item."""

    items_total: int = 0
    items_done: int = 0
    bytes_done: int = 0
    external: int = 0  # pictures kept as links: not from WeChat, never fetched
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        elapsed = time.monotonic() - self.started
        return self.bytes_done / elapsed if elapsed > 0 else 0.0


@dataclass
class KindCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    repaired: int = 0
    failed: int = 0
    gone: int = 0


@dataclass
class Failure:
    kind: str
    id: str
    error: str


@dataclass
class ExternalPicture:
    """A picture an article uses that the backup keeps as its address only, and why."""

    url: str
    reason: str


@dataclass
class QuotaPlan:
    """What a run will cost against the day's quotas (known before it starts)."""

    calls: dict[str, int]
    remain: dict[str, int | None]

    @property
    def short(self) -> list[str]:
        """Paths whose remaining quota is below what the run may need."""
        return [
            path
            for path, need in self.calls.items()
            if (left := self.remain.get(path)) is not None and left < need
        ]


@dataclass
class BackupSummary:
    """What a backup run did. ``status``: ``complete``, ``incomplete``, ``quota``
    (a daily quota ran out) or ``interrupted`` (cancelled, Ctrl-C)."""

    directory: str
    appid: str
    status: str = "complete"
    message: str = ""
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    bytes_downloaded: int = 0
    calls: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    seconds: float = 0.0
    account_counts: dict[str, int] = field(default_factory=dict)
    plan: QuotaPlan | None = None
    failures: list[Failure] = field(default_factory=list)
    leftovers_removed: int = 0
    external: list[ExternalPicture] = field(default_factory=list)
    unreachable: tuple[str, ...] = UNREACHABLE

    @property
    def ok(self) -> bool:
        return self.status == "complete"

    def totals(self) -> KindCounts:
        total = KindCounts()
        for counts in self.kinds.values():
            for name, value in asdict(counts).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["unreachable"] = list(self.unreachable)
        return data


def prepare_directory(path: str | Path) -> Path:
    directory = Path(path).expanduser()
    if directory.exists() and not directory.is_dir():
        raise ValidationError(f"{directory} is not a directory")
    try:
        # The account's whole library: readable by its owner only (umask may only narrow it).
        directory.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    except OSError as exc:
        raise ValidationError(f"cannot make {directory}: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ValidationError(
            f"{directory} cannot be written: back up into a folder you can write "
            "(verify, ls and restore read a backup where it is)"
        )
    return directory


def item_id(kind: str, item: dict[str, Any]) -> str:
    return str(item.get("article_id" if kind == "published" else "media_id") or "")


def _update_time(item: dict[str, Any]) -> int | None:
    value = item.get("update_time")
    if value is None and isinstance(item.get("content"), dict):
        value = item["content"].get("update_time")
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None


class _Backup:
    def __init__(
        self,
        client: AsyncWeChatClient,
        directory: Path,
        manifest: Manifest,
        pacer: Pacer,
        kinds: tuple[str, ...],
        on_progress: Callable[[Progress], None] | None,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.directory = directory
        self.store = ObjectStore(directory)
        self.manifest = manifest
        self.pacer = pacer
        self.kinds = kinds
        self.on_progress = on_progress
        self.clock = clock
        self.progress = Progress()
        self.summary = BackupSummary(str(directory), client.appid)
        self.summary.kinds = {kind: KindCounts() for kind in (*kinds, ASSET)}
        self.present: dict[str, set[str]] = {kind: set() for kind in kinds}
        self.incomplete: set[str] = set()
        self.assets_seen: set[str] = set()
        self.unchanged: list[tuple[str, str]] = []
        # Pictures come from WeChat's picture hosts and the API's own host only.
        self.pictures = FetchPolicy.wechat_pictures(client.base_url)

    # the run -------------------------------------------------------------------

    async def plan(self) -> QuotaPlan:
        """Counts and quotas of what the run will read, asked for all at once before it starts."""
        client = self.client
        kinds = self.kinds
        paths = backup_paths(kinds)

        async def quota(path: str) -> int | None:
            try:
                info = await self.pacer.run(lambda: client.get_api_quota(path))
            except QuotaExhausted:
                raise
            except WeChatError:
                return None  # not every account may ask; the run goes on without it
            return info.quota.remain

        async def material_counts() -> dict[str, int]:
            if ep.MATERIAL_COUNT.path not in paths:
                return {}
            counts = await self.pacer.run(client.material.get_material_count)
            return counts.by_type()

        async def draft_count() -> dict[str, int]:
            if ep.DRAFT_COUNT.path not in paths:
                return {}
            return {"draft": await self.pacer.run(client.draft.count)}

        materials, drafts, remains = await asyncio.gather(
            material_counts(), draft_count(), asyncio.gather(*(quota(path) for path in paths))
        )
        account = self.summary.account_counts = {**materials, **drafts}
        needs = {
            ep.MATERIAL_COUNT.path: 1,
            ep.MATERIAL_BATCHGET.path: sum(
                _pages(account[k]) for k in MATERIAL_LISTS if k in kinds
            ),
            ep.MATERIAL_GET.path: sum(account[k] for k in FILE_KINDS if k in kinds),
            ep.DRAFT_COUNT.path: 1,
            ep.DRAFT_BATCHGET.path: _pages(account.get("draft", 0)),
            ep.PUBLISH_BATCHGET.path: 1,
        }
        plan = QuotaPlan(
            {path: needs[path] for path in paths}, dict(zip(paths, remains, strict=True))
        )
        self.summary.plan = plan
        return plan

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for kind in self.kinds:
                group.create_task(self.list_kind(kind, group))
        now = self.clock()
        self.manifest.mark_seen(self.unchanged, now)
        for kind in self.kinds:
            if kind in self.incomplete:
                continue
            self.summary.kinds[kind].gone = self.manifest.mark_gone(kind, self.present[kind], now)

    def tick(self, size: int = 0) -> None:
        self.progress.items_done += 1
        self.progress.bytes_done += size
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def fail(self, kind: str, id_: str, exc: BaseException) -> None:
        self.summary.kinds[kind].failed += 1
        self.summary.failures.append(Failure(kind, id_, str(exc) or type(exc).__name__))

    # lists -------------------------------------------------------------------

    async def list_kind(self, kind: str, group: asyncio.TaskGroup) -> None:
        """Read every page of one list, as many at once as the bound allows.

        The counts asked for by :meth:`plan` say how many pages to expect, so
        they are all asked for together; a list that grew since is read on from
        the ``total_count`` its pages give. Without a count (published posts),
        the first page gives it.
        """
        offsets = range(0, _pages(self.summary.account_counts.get(kind, 0)) * PAGE_MAX, PAGE_MAX)
        totals = await asyncio.gather(*(self.read_page(kind, offset, group) for offset in offsets))
        read = [total for total in totals if total is not None]
        if not read:
            return
        total = max(read)
        later = range(len(offsets) * PAGE_MAX, total, PAGE_MAX)
        await asyncio.gather(*(self.read_page(kind, offset, group) for offset in later))
        if len(self.present[kind]) < total:
            # The list moved while it was read: what is missing is not known to be gone.
            self.incomplete.add(kind)

    async def read_page(self, kind: str, offset: int, group: asyncio.TaskGroup) -> int | None:
        """Read one page and start on its items; returns the list's ``total_count``."""
        try:
            listed = await self.pacer.run(lambda: self.client.list_page(kind, offset, PAGE_MAX))
            items = listed.get("item") or []
            total = int(listed.get("total_count") or 0)
        except QuotaExhausted:
            raise
        except (WeChatError, ValueError, TypeError) as exc:
            self.incomplete.add(kind)
            self.fail(kind, f"page at offset {offset}", exc)
            return None
        if offset == 0:
            self.progress.items_total += total
        for item in items:
            id_ = item_id(kind, item) if isinstance(item, dict) else ""
            if not id_ or id_ in self.present[kind]:
                continue
            self.present[kind].add(id_)
            group.create_task(self.guard(kind, id_, self.item_work(kind, id_, item, group)))
        return total

    def item_work(
        self, kind: str, id_: str, item: dict[str, Any], group: asyncio.TaskGroup
    ) -> Callable[[], Awaitable[int]]:
        if kind in FILE_KINDS:
            return lambda: self.save_file(kind, id_, item)
        return lambda: self.save_article(kind, id_, item, group)

    def asset_work(self, url: str) -> Callable[[], Awaitable[int]]:
        return lambda: self.save_asset(url)

    async def guard(self, kind: str, id_: str, work: Callable[[], Awaitable[int]]) -> None:
        """Run one item's work; a failure is recorded and the rest goes on."""
        try:
            size = await work()
        except QuotaExhausted:
            raise
        except (WeChatError, OSError) as exc:
            self.fail(kind, id_, exc)
            size = 0
        self.tick(size)

    # what is unchanged ------------------------------------------------------------

    async def known(
        self,
        kind: str,
        id_: str,
        old: Entry | None,
        update_time: int | None,
        sha: str | None = None,
    ) -> bool:
        """Whether ``old``, the kept copy, can be trusted as it is (else it is fetched again).

        Trusted means: the row is as the backup wrote it, its digest is one,
        and its file is there, no link, of its size, and hashes to it (each
        file re-hashed once per run, on a worker thread).
        """
        if old is None:
            return False
        counts = self.summary.kinds[kind]
        if not old.intact or not await asyncio.to_thread(self.store.intact, old.sha256, old.size):
            counts.repaired += 1
            return False
        if (sha is not None and old.sha256 != sha) or old.update_time != update_time:
            counts.changed += 1
            return False
        counts.unchanged += 1
        self.unchanged.append((kind, id_))
        return True

    def record(self, entry: Entry, existed: bool) -> None:
        counts = self.summary.kinds[entry.kind]
        if not existed:
            counts.new += 1
        self.manifest.put(entry, self.clock())
        if entry.kind not in ARTICLE_KINDS:
            self.summary.bytes_downloaded += entry.size

    # files -------------------------------------------------------------------

    async def save_file(self, kind: str, media_id: str, item: dict[str, Any]) -> int:
        update_time = _update_time(item)
        old = self.manifest.get(kind, media_id)
        if await self.known(kind, media_id, old, update_time):
            return 0
        stored, extra = await self.fetch_object(lambda part: self.download(media_id, part))
        entry = Entry(
            kind=kind,
            id=media_id,
            size=stored.size,
            sha256=stored.sha256,
            name=str(item.get("name") or ""),
            update_time=update_time,
            url=item.get("url") if isinstance(item.get("url"), str) else None,
            extra=extra,
        )
        self.record(entry, existed=old is not None)
        return stored.size

    async def fetch_object(self, fetch: Callable[[Path], Awaitable[T]]) -> tuple[Stored, T]:
        """Fetch into a staged file, then keep it as an object (hashed, synced, renamed)."""
        part = self.store.staging_path()
        try:
            said = await self.pacer.run(lambda: fetch(part))
            stored = await finish(asyncio.ensure_future(asyncio.to_thread(self.store.admit, part)))
        finally:
            part.unlink(missing_ok=True)
        return stored, said

    async def download(self, media_id: str, part: Path) -> dict[str, Any]:
        """get_material into ``part`` (a video through its ``down_url``); what else it said."""
        extra: dict[str, Any] = {}
        with self.store.create_part(part) as file:
            said = await self.client.fetch_material(media_id, file)
        if said.title is not None:  # a video, fetched through its down_url
            extra = {"title": said.title, "description": said.description or ""}
        extra["content_type"] = said.content_type or ""
        extra["filename"] = said.filename or ""
        return extra

    # articles ----------------------------------------------------------------

    async def save_article(
        self, kind: str, id_: str, item: dict[str, Any], group: asyncio.TaskGroup
    ) -> int:
        data = json.dumps(item, ensure_ascii=False).encode()
        sha = hashlib.sha256(data).hexdigest()
        for url in picture_urls(item):
            if url in self.assets_seen:
                continue
            self.assets_seen.add(url)
            try:
                self.pictures.check_url(url)
            except URLRefusedError as refused:
                self.external(url, refused)
                continue
            self.progress.items_total += 1
            group.create_task(self.guard(ASSET, url, self.asset_work(url)))
        update_time = _update_time(item)
        old = self.manifest.get(kind, id_)
        if await self.known(kind, id_, old, update_time, sha):
            return 0
        # Disk work runs to its end even when the run is stopping (a quota, Ctrl-C), so
        # that the run never returns while a staged file is still being written.
        stored = await finish(
            asyncio.ensure_future(asyncio.to_thread(self.store.admit_bytes, data))
        )
        heads = titles(item)
        entry = Entry(
            kind=kind,
            id=id_,
            size=stored.size,
            sha256=stored.sha256,
            name=heads[0] if heads else "",
            update_time=update_time,
            extra={"titles": heads, "articles": len(articles_of(item))},
        )
        self.record(entry, existed=old is not None)
        return 0

    def external(self, url: str, refused: URLRefusedError) -> None:
        """Keep a picture as its address: not one to fetch (never a failure of the run)."""
        reason = str(refused).removeprefix(f"{url}: ").removeprefix(f"{url} ")
        self.summary.external.append(ExternalPicture(url, reason))
        self.progress.external += 1

    async def save_asset(self, url: str) -> int:
        old = self.manifest.get(ASSET, url)
        if await self.known(ASSET, url, old, None):
            return 0
        started = time.monotonic()
        try:
            stored, content_type = await self.fetch_object(lambda part: self.fetch_url(url, part))
        except URLRefusedError as refused:
            if time.monotonic() - started >= self.pictures.timeout:
                raise  # out of time: a failure a later run may not meet, not a foreign picture
            self.external(url, refused)  # a redirect elsewhere, too big: kept as its address
            return 0
        entry = Entry(
            kind=ASSET,
            id=url,
            size=stored.size,
            sha256=stored.sha256,
            url=url,
            extra={"content_type": content_type},
        )
        self.record(entry, existed=old is not None)
        return stored.size

    async def fetch_url(self, url: str, part: Path) -> str:
        """A picture into ``part``, under :attr:`pictures` (hosts, redirects, size, time)."""
        http = self.client.http_client
        with self.store.create_part(part) as file:
            content_type, _size = await afetch_to(url, self.pictures, http, file)
        return content_type


async def backup_library(
    client: AsyncWeChatClient,
    directory: str | Path,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    kinds: tuple[str, ...] = LIST_KINDS,
    on_plan: Callable[[QuotaPlan], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
) -> BackupSummary:
    """Back up the account of ``client`` into ``directory`` (made if missing).

    Run it again to bring the backup up to date: only what is new or changed
    is downloaded. A daily quota running out (45009) ends the run with
    ``status == "quota"``; everything finished before is kept.

        >>> summary = await backup_library(client, "backup/", concurrency=16)
        >>> summary.ok, summary.totals().new
    """
    check_kinds(kinds)
    require_cleaner()
    await check_account(client)  # before anything is written
    target = prepare_directory(directory)
    started = time.monotonic()
    with locked(target), Manifest(target) as manifest:
        meta = manifest.meta()
        if meta.get("appid", client.appid) != client.appid:
            raise BackupFormatError(
                f"{target} is a backup of {meta['appid']}, not {client.appid}: "
                "use another directory for another account"
            )
        manifest.set_meta({"appid": client.appid, "backup_id": manifest.backup_id()})
        job = _Backup(
            client, target, manifest, Pacer(concurrency, sleep=sleep), kinds, on_progress, clock
        )
        job.summary.leftovers_removed = job.store.prepare()
        prepare_pages(target, kinds)
        run_id = manifest.start_run(clock())
        summary = job.summary
        # Until the run ends on its own: a Ctrl-C or a crash is recorded as such.
        summary.status = "interrupted"
        try:
            plan = await job.plan()
            if on_plan is not None:
                on_plan(plan)
            await job.run()
            summary.status = "complete"
        except* QuotaExhausted as group:
            summary.status = "quota"
            summary.message = str(group.exceptions[0])
        except* WeChatError as group:
            # A refusal of the whole run (frozen account, API not granted, no network).
            summary.status = "incomplete"
            summary.message = str(group.exceptions[0])
        finally:
            summary.calls = job.pacer.calls
            summary.retries = job.pacer.retries
            summary.rate_limit_waits = job.pacer.rate_limit_waits
            summary.seconds = time.monotonic() - started
            if summary.status == "complete" and (summary.failures or job.incomplete):
                summary.status = "incomplete"
                summary.message = (
                    f"{len(summary.failures)} item(s) could not be read; "
                    "run the backup again to fetch them"
                )
            try:
                write_pages(target, list(manifest.entries()))
            except UnsafeFolderError as exc:  # a link made while the run went on
                summary.status = "incomplete"
                summary.message = str(exc)
            manifest.finish_run(run_id, clock(), summary.status, summary.to_dict())
    return summary
