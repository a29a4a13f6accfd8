"""Restoring a backup into another account (migration), idempotently.

Three steps, each bounded by one :class:`~.pacing.Pacer`:

1. files become permanent material of the target (``add_material``), each
   uploaded under a name that carries a marker of its old id;
2. pictures inside article HTML are uploaded with ``uploadimg``;
3. every article item (legacy news, draft, published post) becomes a draft
   of the target, its covers and pictures pointing at the new ones
   (``add_news`` is retired, so news and posts come back as drafts too).

The :class:`~.journal.Journal` records each creation before and after the
call. A run that finds ``pending`` rows first reconciles them against the
target's lists (a material whose name holds the marker; a draft whose titles
and covers match), so a crash at any point never yields a second copy.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wechat_material import _endpoints as ep
from wechat_material.errors import MediaValidationError, ValidationError, WeChatError
from wechat_material.library.articles import articles_of, content_images, replace_images
from wechat_material.library.backup_job import LIST_KINDS, check_kinds
from wechat_material.library.journal import Journal, journal_lock, open_journal
from wechat_material.library.manifest import ARTICLE_KINDS, ASSET, FILE_KINDS, Entry, Manifest
from wechat_material.library.pacing import DEFAULT_CONCURRENCY, Pacer, QuotaExhausted
from wechat_material.library.store import ObjectStore, edited_row
from wechat_material.models import MaterialItem

if TYPE_CHECKING:
    from wechat_material.client import AsyncWeChatClient

T = TypeVar("T")

MATERIAL = "material"
PICTURE = "image"
ARTICLE = "article"

# What an article keeps when it is written into another account.
_ARTICLE_FIELDS = (
    "title",
    "author",
    "digest",
    "content",
    "content_source_url",
    "thumb_media_id",
    "need_open_comment",
    "only_fans_can_comment",
    "show_cover_pic",
    "article_type",
    "image_info",
)
RESTORE_PATHS = (ep.MATERIAL_ADD.path, ep.MEDIA_UPLOAD_IMAGE.path, ep.DRAFT_ADD.path)


@dataclass
class RestoreCounts:
    created: int = 0
    already: int = 0
    adopted: int = 0
    failed: int = 0


@dataclass
class RestoreSummary:
    """What a restore did (or, with ``dry_run``, would do). ``status`` as for a backup."""

    directory: str
    source: str
    target: str
    dry_run: bool = False
    status: str = "complete"
    message: str = ""
    steps: dict[str, RestoreCounts] = field(default_factory=dict)
    needed: dict[str, int] = field(default_factory=dict)
    remain: dict[str, int | None] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0
    journal: str = ""  # where the journal is ("" for a dry run without one)

    @property
    def ok(self) -> bool:
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def marker(source: str, old: str) -> str:
    """A short tag of an item of the source account, put in its new name."""
    return "wxm" + hashlib.sha256(f"{source}:{old}".encode()).hexdigest()[:12]


def marked_name(name: str, tag: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name or "file", ""
    return f"{stem}.{tag}.{ext}" if ext else f"{stem}.{tag}"


def fingerprint(articles: list[dict[str, Any]]) -> str:
    """What identifies a draft made by a restore: its titles and covers, in order."""
    key = [[str(a.get("title") or ""), str(a.get("thumb_media_id") or "")] for a in articles]
    return "wxm" + hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]


class _Restore:
    def __init__(
        self,
        client: AsyncWeChatClient,
        directory: Path,
        entries: list[Entry],
        source: str,
        journal: Journal,
        pacer: Pacer,
        summary: RestoreSummary,
    ) -> None:
        self.client = client
        self.store = ObjectStore(directory)
        self.source = source
        self.journal = journal
        self.pacer = pacer
        self.summary = summary
        self.by_key = {(e.kind, e.id): e for e in entries}
        self.images = {e.id: e for e in entries if e.kind in FILE_KINDS}
        self.assets = {e.id: e for e in entries if e.kind == ASSET}
        self.material_names: dict[str, tuple[str, str | None]] | None = None
        self.draft_marks: dict[str, str] | None = None
        self.materials_fresh = self.drafts_fresh = False
        self.locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.seen: set[tuple[str, str]] = set()
        for step in (MATERIAL, PICTURE, ARTICLE):
            summary.steps[step] = RestoreCounts()

    def lock(self, step: str, old: str) -> asyncio.Lock:
        """One lock per item: several articles may want the same picture at once."""
        return self.locks.setdefault((step, old), asyncio.Lock())

    def already(self, step: str, old: str) -> None:
        if (step, old) not in self.seen:
            self.seen.add((step, old))
            self.summary.steps[step].already += 1

    def fail(self, step: str, old: str, exc: BaseException) -> None:
        self.summary.steps[step].failed += 1
        self.summary.failures.append({"step": step, "id": old, "error": str(exc)})

    # reconciliation ------------------------------------------------------------
    #
    # A pending row means a creating call went out and its answer never made it
    # into the journal. Before creating the item again, the target's own list is
    # searched for it; the list is read again only if it may have changed since
    # (a creating call failed after it was read).

    async def find_material(self, tag: str) -> tuple[str, str | None] | None:
        if self.material_names is None or not self.materials_fresh:
            names: dict[str, tuple[str, str | None]] = {}
            for kind in FILE_KINDS:
                async for item in self.client.material.stream_get_material(kind):
                    if isinstance(item, MaterialItem):
                        names[item.name] = (item.media_id, item.url)
            self.material_names, self.materials_fresh = names, True
        return next((ids for name, ids in self.material_names.items() if tag in name), None)

    async def find_draft(self, tag: str) -> str | None:
        if self.draft_marks is None or not self.drafts_fresh:
            marks: dict[str, str] = {}
            async for draft in self.client.draft.stream(no_content=True):
                plain = [a.model_dump() for a in draft.content.articles]
                marks[fingerprint(plain)] = draft.media_id
            self.draft_marks, self.drafts_fresh = marks, True
        return self.draft_marks.get(tag)

    async def adopted(self, step: str, old: str) -> tuple[str, str | None] | None:
        """The target's copy of a pending item, recorded as done; None if it has none."""
        row = self.journal.get(step, old)
        if row is None or row.state != "pending":
            return None
        if step == MATERIAL:
            found = await self.find_material(row.marker)
        else:
            draft = await self.find_draft(row.marker)
            found = (draft, None) if draft is not None else None
        if found is not None:
            self.journal.finish(step, old, found[0], found[1])
            self.seen.add((step, old))
            self.summary.steps[step].adopted += 1
        return found

    async def creating(self, make: Callable[[], Awaitable[T]]) -> T:
        try:
            return await self.pacer.run(make, creates=True)
        except BaseException:
            # WeChat may hold it now: the lists must be read again before relying on them.
            self.materials_fresh = self.drafts_fresh = False
            raise

    # step 1: files -----------------------------------------------------------

    async def material(self, old: str, entry: Entry) -> tuple[str, str | None]:
        """The target's media_id (and url) for a backed-up file, uploading it once."""
        async with self.lock(MATERIAL, old):
            done = self.journal.get(MATERIAL, old)
            if done is not None and done.state == "done" and done.new:
                self.already(MATERIAL, old)
                return done.new, done.url
            if (found := await self.adopted(MATERIAL, old)) is not None:
                return found
            tag = marker(self.source, old)
            name = marked_name(entry.name or str(entry.extra.get("filename") or "file"), tag)
            kind = entry.kind if entry.kind in FILE_KINDS else "image"
            # Checked (inside objects/, no link, hashed) before anything is sent.
            path = await asyncio.to_thread(self.store.open_object, entry.sha256, entry.size)
            with path:
                self.journal.begin(MATERIAL, old, tag)
                material = self.client.material
                if kind == "video":
                    title = str(entry.extra.get("title") or entry.name or "video")
                    intro = str(entry.extra.get("description") or title)
                    uploaded = await self.creating(
                        lambda: material.add_video_material(path, title, intro, name)
                    )
                else:
                    uploaded = await self.creating(lambda: material.add_material(kind, path, name))
            self.journal.finish(MATERIAL, old, uploaded.media_id, uploaded.url)
            self.seen.add((MATERIAL, old))
            self.summary.steps[MATERIAL].created += 1
            return uploaded.media_id, uploaded.url

    async def guarded(self, step: str, old: str, work: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await work()
        except QuotaExhausted:
            raise
        except (WeChatError, OSError) as exc:
            self.fail(step, old, exc)
            return None

    # step 2: pictures in articles ------------------------------------------------

    async def picture(self, url: str) -> str | None:
        """The target's URL for a picture in article HTML (uploadimg; duplicates are free)."""
        async with self.lock(PICTURE, url):
            return await self._picture(url)

    async def _picture(self, url: str) -> str | None:
        done = self.journal.get(PICTURE, url)
        if done is not None and done.state == "done":
            self.already(PICTURE, url)
            return done.url
        asset = self.assets.get(url)
        if asset is None:
            return None  # never backed up: the article keeps the old link
        path = await asyncio.to_thread(self.store.open_object, asset.sha256, asset.size)
        self.journal.begin(PICTURE, url, "")
        new_url: str | None
        try:
            with path:
                image = await self.pacer.run(lambda: self.client.material.upload_image(path))
            new_url = image.url
        except MediaValidationError:
            # uploadimg takes JPG/PNG under 1 MB only; anything else goes in as material.
            _, new_url = await self.material(f"asset:{url}", asset)
            if new_url is None:
                raise
        self.journal.finish(PICTURE, url, new_url, new_url)
        self.seen.add((PICTURE, url))
        self.summary.steps[PICTURE].created += 1
        return new_url

    # step 3: articles --------------------------------------------------------

    async def cover(self, article: dict[str, Any]) -> str | None:
        old = str(article.get("thumb_media_id") or "")
        entry = self.images.get(old)
        if entry is not None:
            return (await self.material(old, entry))[0]
        thumb_url = article.get("thumb_url")
        if isinstance(thumb_url, str) and thumb_url in self.assets:
            return (await self.material(f"asset:{thumb_url}", self.assets[thumb_url]))[0]
        return None

    async def rewritten(self, raw: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        articles = []
        for article in articles_of(raw):
            if kind == "published" and article.get("is_deleted"):
                continue
            content = str(article.get("content") or "")
            urls = content_images(content)
            new_urls = await asyncio.gather(*(self.picture(url) for url in urls))
            replaced = {old: new for old, new in zip(urls, new_urls, strict=True) if new}
            copy = {k: article[k] for k in _ARTICLE_FIELDS if article.get(k) is not None}
            copy["content"] = replace_images(content, replaced)
            thumb = await self.cover(article)
            if thumb is not None:
                copy["thumb_media_id"] = thumb
            image_info = copy.get("image_info")
            if isinstance(image_info, dict):
                copy["image_info"] = await self.newspic_images(image_info)
            articles.append(copy)
        return articles

    async def newspic_images(self, image_info: dict[str, Any]) -> dict[str, Any]:
        images = []
        for ref in image_info.get("image_list") or []:
            old = str(ref.get("image_media_id") or "") if isinstance(ref, dict) else ""
            if old in self.images:
                images.append({"image_media_id": (await self.material(old, self.images[old]))[0]})
        return {"image_list": images}

    async def article(self, entry: Entry) -> None:
        key = f"{entry.kind}:{entry.id}"
        done = self.journal.get(ARTICLE, key)
        if done is not None and done.state == "done":
            self.already(ARTICLE, key)
            return
        if await self.adopted(ARTICLE, key) is not None:
            return
        data = await asyncio.to_thread(self.store.read_object, entry.sha256, entry.size)
        raw = json.loads(data.decode("utf-8"))
        articles = await self.rewritten(raw, entry.kind)
        if not articles:
            return
        self.journal.begin(ARTICLE, key, fingerprint(articles))
        draft = self.client.draft
        media_id = await self.creating(lambda: draft.add(articles))
        self.journal.finish(ARTICLE, key, media_id)
        self.summary.steps[ARTICLE].created += 1


def _plan(
    entries: list[Entry], kinds: tuple[str, ...], journal: Journal, store: ObjectStore
) -> dict[str, int]:
    """Calls a restore still needs (covers not among the files add a few more)."""
    files = [e for e in entries if e.kind in kinds and e.kind in FILE_KINDS]
    articles = [e for e in entries if e.kind in kinds and e.kind in ARTICLE_KINDS]
    assets = {e.id for e in entries if e.kind == ASSET}
    pictures: set[str] = set()
    for entry in articles:
        try:
            raw = json.loads(store.read_object(entry.sha256, entry.size).decode("utf-8"))
        except (OSError, ValueError):  # DamagedObject too: the restore reports it
            continue
        for article in articles_of(raw):
            pictures.update(u for u in content_images(str(article.get("content") or "")))

    def todo(kind: str, old: str) -> bool:
        done = journal.get(kind, old)
        return done is None or done.state != "done"

    pictures &= assets
    return {
        ep.MATERIAL_ADD.path: sum(todo(MATERIAL, e.id) for e in files),
        ep.MEDIA_UPLOAD_IMAGE.path: sum(todo(PICTURE, url) for url in pictures),
        ep.DRAFT_ADD.path: sum(todo(ARTICLE, f"{e.kind}:{e.id}") for e in articles),
    }


async def restore_library(
    client: AsyncWeChatClient,
    directory: str | Path,
    *,
    kinds: tuple[str, ...] = LIST_KINDS,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RestoreSummary:
    """Restore the backup in ``directory`` into the account of ``client``.

    Run it again after any interruption: nothing is created twice.

        >>> plan = await restore_library(target, "backup/", dry_run=True)
        >>> plan.needed
        >>> summary = await restore_library(target, "backup/")
    """
    check_kinds(kinds)
    path = Path(directory).expanduser()  # noqa: ASYNC240 - no I/O: expands ~ only
    started = time.monotonic()
    with Manifest(path, readonly=True) as manifest:
        source = manifest.meta().get("appid", "")
        backup_id = manifest.backup_id()
        rows = [e for e in manifest.entries() if e.gone_at is None]
    entries = [e for e in rows if e.intact]
    edited = [e for e in rows if not e.intact and e.kind in kinds]  # never used: reported
    if source == client.appid:
        raise ValidationError(
            f"{path} is a backup of {source} itself; restore it into another account "
            "(restoring into the same one would copy everything a second time)"
        )
    summary = RestoreSummary(str(path), source, client.appid, dry_run=dry_run)
    pacer = Pacer(concurrency, sleep=sleep)
    journal = open_journal(path, backup_id, client.appid, dry_run=dry_run)
    summary.journal = str(journal.path or "")
    with journal_lock(journal, path):
        try:
            summary.needed = _plan(entries, kinds, journal, ObjectStore(path))
            job = _Restore(client, path, entries, source, journal, pacer, summary)
            for cgi_path in RESTORE_PATHS:
                summary.remain[cgi_path] = await _remaining(pacer, client, cgi_path)
            if not dry_run:
                for row in (e for e in edited if e.kind in kinds):  # never used: reported
                    job.fail(
                        ARTICLE if row.kind in ARTICLE_KINDS else MATERIAL, row.id, edited_row(row)
                    )
                await _run(job, entries, kinds)
        except* QuotaExhausted as group:
            summary.status = "quota"
            summary.message = str(group.exceptions[0])
        finally:
            journal.close()
            summary.calls = pacer.calls
            summary.seconds = time.monotonic() - started
    if summary.status == "complete" and summary.failures:
        summary.status = "incomplete"
        summary.message = (
            f"{len(summary.failures)} item(s) could not be restored; run the restore again"
        )
    return summary


async def _remaining(pacer: Pacer, client: AsyncWeChatClient, cgi_path: str) -> int | None:
    try:
        info = await pacer.run(lambda: client.get_api_quota(cgi_path))
    except QuotaExhausted:
        raise
    except WeChatError:
        return None  # not every account may ask; the restore goes on without it
    return info.quota.remain


async def _run(job: _Restore, entries: list[Entry], kinds: tuple[str, ...]) -> None:
    files = [e for e in entries if e.kind in kinds and e.kind in FILE_KINDS]
    await asyncio.gather(
        *(
            job.guarded(MATERIAL, e.id, lambda e=e: job.material(e.id, e))  # type: ignore[misc]
            for e in files
        )
    )
    articles = [e for e in entries if e.kind in kinds and e.kind in ARTICLE_KINDS]
    await asyncio.gather(
        *(job.guarded(ARTICLE, e.id, lambda e=e: job.article(e)) for e in articles)  # type: ignore[misc]
    )
