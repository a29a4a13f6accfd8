"""Restoring a backup into another account (migration), idempotently.

Before anything is created, the account's token is fetched once: an account
that cannot get one stops the run at once (:class:`~.pacing.AccountUnavailable`).
Then the target's lists (material of the kinds needed, drafts) are read once,
through the same :class:`~.pacing.Pacer` as every other call. Three steps follow:

1. files become permanent material of the target (``add_material``), under
   the very name they had in the source; a target item of the same kind and
   name is downloaded and, when its sha256 is the backed-up one, adopted
   instead of uploading a second copy;
2. pictures inside article HTML are uploaded with ``uploadimg``;
3. every article item (legacy news, draft, published post) becomes a draft
   of the target, its covers and pictures pointing at the new ones
   (``add_news`` is retired, so news and posts come back as drafts too); a
   target draft with the same titles and covers is adopted instead.

The :class:`~.journal.Journal` is the fast path of a rerun: what it holds as
done is not looked at again. A row is marked ``sent`` just before its creating
call goes out; a run killed after that, or whose answer was lost, leaves the
row ``sent``, and the next run finds the item in the target's lists by name and
content, so a crash at any point never yields a second copy.

The result tells the truth: ``complete`` only when every item of the plan is
in the target; every item that is not is listed with its reason, and whether
running again can help (``permanent`` failures come with what will).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from wechat_material import _endpoints as ep
from wechat_material.backup.articles import articles_of, content_images, replace_images
from wechat_material.backup.backup_job import check_kinds
from wechat_material.backup.journal import Journal, journal_lock, open_journal
from wechat_material.backup.manifest import (
    ARTICLE_KINDS,
    ASSET,
    FILE_KINDS,
    Entry,
    Manifest,
)
from wechat_material.backup.pacing import (
    DEFAULT_CONCURRENCY,
    CallMeter,
    Pacer,
    QuotaExhausted,
    check_account,
)
from wechat_material.backup.store import DamagedObject, ObjectStore, edited_row
from wechat_material.errors import (
    BadRequestError,
    ContentLimitError,
    InvalidMediaError,
    MediaValidationError,
    TransportError,
    UnexpectedReplyError,
    ValidationError,
    WeChatError,
)
from wechat_material.limits import ARTICLE_FIELDS_BY_NAME, LIST_KINDS, PAGE_MAX
from wechat_material.models import MaterialItem

if TYPE_CHECKING:
    from wechat_material.client import AsyncWeChatClient

T = TypeVar("T")

MATERIAL = "material"
PICTURE = "image"
ARTICLE = "article"

# The draft box's bound on a title (legacy news allowed more).
TITLE_LIMIT = ARTICLE_FIELDS_BY_NAME["title"].max_chars or 32

RUN_AGAIN = "run the same command again to finish"
BACKUP_AGAIN = (
    "back up the source account again into the same folder (`wxm backup DIR`): "
    "a damaged or missing item is fetched anew; then run the restore again"
)
SHORTEN = f"pass --shorten-titles to cut such titles at {TITLE_LIMIT} characters"
NOT_TAKEN = "WeChat will not take it as it is: running again cannot help"

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


class NotRestorable(WeChatError):
    """An item that running the restore again cannot bring over; ``hint`` says what can."""

    permanent = True

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.reason = message
        self.hint = hint


class AnswerLost(WeChatError):
    """A creating call went out in this run and its answer never came: WeChat may hold it."""

    permanent = False


@dataclass
class RestoreCounts:
    created: int = 0
    already: int = 0
    adopted: int = 0
    failed: int = 0


@dataclass
class RestoreSummary:
    """What a restore did (or, with ``dry_run``, would do). ``status`` as for a backup.

    ``failures`` lists each item not restored: ``step``, ``id``, ``name``,
    ``error``, ``permanent`` (running again cannot help) and ``hint`` (what
    will). ``shortened`` lists the titles ``shorten_titles`` cut. ``calls``
    counts every request the run sent, listings and token fetches included.
    """

    directory: str
    source: str
    target: str
    dry_run: bool = False
    status: str = "complete"
    message: str = ""
    hint: str = ""
    steps: dict[str, RestoreCounts] = field(default_factory=dict)
    needed: dict[str, int] = field(default_factory=dict)
    remain: dict[str, int | None] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    shortened: list[dict[str, str]] = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0
    journal: str = ""  # where the journal is ("" for a dry run without one)

    @property
    def ok(self) -> bool:
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def fingerprint(articles: list[dict[str, Any]]) -> str:
    """What identifies a draft made by a restore: its titles and covers, in order."""
    key = [[str(a.get("title") or ""), str(a.get("thumb_media_id") or "")] for a in articles]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


def shorten(title: str, limit: int = TITLE_LIMIT) -> str:
    """``title`` cut to at most ``limit`` characters, never inside a character.

    A character here is what a reader sees as one: a base with its combining
    marks, or an emoji joined with ZWJ, stays whole or goes whole.
    """
    if len(title) <= limit:
        return title
    cut = limit
    while cut > 0 and (
        unicodedata.combining(title[cut])
        or title[cut] in _JOINERS
        or title[cut - 1] in _JOINERS
        or 0xDC00 <= ord(title[cut]) <= 0xDFFF
    ):
        cut -= 1
    return title[:cut].rstrip()


def _permanent(exc: BaseException) -> bool:
    if getattr(exc, "permanent", False):
        return True
    return isinstance(
        exc, ValidationError | InvalidMediaError | ContentLimitError | BadRequestError
    )


def _hint(exc: BaseException) -> str:
    """What will bring the item over: its own hint, a fresh backup of a damaged file,
    nothing for what WeChat will not take, or simply another run."""
    if isinstance(exc, NotRestorable):
        return exc.hint
    if getattr(exc, "permanent", False):
        return BACKUP_AGAIN  # a kept file found damaged as it was read
    if _permanent(exc):
        return NOT_TAKEN
    return RUN_AGAIN


class _Hasher(io.RawIOBase):
    """A write-only file that keeps the sha256 of what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return len(data)


class _Restore:
    def __init__(
        self,
        client: AsyncWeChatClient,
        directory: Path,
        entries: list[Entry],
        journal: Journal,
        pacer: Pacer,
        summary: RestoreSummary,
        shorten_titles: bool,
    ) -> None:
        self.client = client
        self.store = ObjectStore(directory)
        self.journal = journal
        self.pacer = pacer
        self.summary = summary
        self.shorten_titles = shorten_titles
        self.images = {e.id: e for e in entries if e.kind in FILE_KINDS}
        self.assets = {e.id: e for e in entries if e.kind == ASSET}
        # The target as read once at the start: (kind, name) -> media_ids, and drafts.
        self.target_files: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        self.target_drafts: dict[str, list[str]] = {}
        self.claimed = journal.created()
        self.digests: dict[str, str] = {}
        self.uncertain: set[tuple[str, str]] = set()
        self.locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.seen: set[tuple[str, str]] = set()
        for step in (MATERIAL, PICTURE, ARTICLE):
            summary.steps[step] = RestoreCounts()

    def lock(self, step: str, key: str) -> asyncio.Lock:
        """One lock per item: several articles may want the same picture at once."""
        return self.locks.setdefault((step, key), asyncio.Lock())

    def already(self, step: str, old: str) -> None:
        if (step, old) not in self.seen:
            self.seen.add((step, old))
            self.summary.steps[step].already += 1

    def fail(self, step: str, old: str, name: str, exc: BaseException) -> None:
        self.summary.steps[step].failed += 1
        error = str(exc)
        if isinstance(exc, DamagedObject):
            error = f"its backup is damaged: {error}"
        self.summary.failures.append(
            {
                "step": step,
                "id": old,
                "name": name,
                "error": error,
                "permanent": _permanent(exc),
                "hint": _hint(exc),
            }
        )

    # the target, read once ---------------------------------------------------------

    async def survey(self, material_kinds: list[str], drafts: bool) -> None:
        """Read the target's lists once: every page of each kind, under the pacer."""
        jobs = [self.survey_files(kind) for kind in material_kinds]
        if drafts:
            jobs.append(self.survey_drafts())
        await _each(jobs)

    async def pages(self, read: Callable[[int], Awaitable[tuple[int, list[T]]]]) -> list[T]:
        """Every item of a list: the first page says how many more to read at once."""
        total, items = await read(0)
        offsets = range(PAGE_MAX, total, PAGE_MAX)
        for _, more in await _each(read(offset) for offset in offsets):
            items.extend(more)
        return items

    async def survey_files(self, kind: str) -> None:
        material = self.client.material

        async def read(offset: int) -> tuple[int, list[tuple[str, str, str | None]]]:
            page = await self.pacer.run(lambda: material.batch_get_material(kind, offset))
            found = [(i.name, i.media_id, i.url) for i in page.items if isinstance(i, MaterialItem)]
            return page.total_count, found

        for name, media_id, url in await self.pages(read):
            if media_id not in self.claimed:
                self.target_files.setdefault((kind, name), []).append((media_id, url))

    async def survey_drafts(self) -> None:
        draft = self.client.draft

        async def read(offset: int) -> tuple[int, list[tuple[str, str]]]:
            page = await self.pacer.run(lambda: draft.batch_get(offset, no_content=True))
            found = [
                (fingerprint([a.model_dump() for a in item.content.articles]), item.media_id)
                for item in page.items
            ]
            return page.total_count, found

        for mark, media_id in await self.pages(read):
            if media_id not in self.claimed:
                self.target_drafts.setdefault(mark, []).append(media_id)

    async def digest_of(self, media_id: str) -> str:
        """The sha256 of a target material, downloaded (once per run) to compare."""
        if media_id not in self.digests:
            sink = _Hasher()
            material = self.client.material
            await self.pacer.run(lambda: material.download_material(media_id, cast(BinaryIO, sink)))
            self.digests[media_id] = sink.digest.hexdigest()
        return self.digests[media_id]

    async def match(self, kind: str, name: str, sha256: str) -> tuple[str, str | None] | None:
        """A target material of this kind and name with the same bytes, claimed; or None."""
        async with self.lock("match", f"{kind}:{name}"):
            candidates = self.target_files.get((kind, name), [])
            for found in candidates:
                if found[0] in self.claimed:
                    continue
                try:
                    same = await self.digest_of(found[0]) == sha256
                except QuotaExhausted:
                    raise
                except WeChatError:
                    continue  # not readable: not known to be the same
                if same:
                    self.claimed.add(found[0])
                    return found
        return None

    async def creating(self, step: str, old: str, make: Callable[[], Awaitable[T]]) -> T:
        """Make the call once; the journal says ``sent`` only once it is going out."""

        async def send() -> T:
            self.journal.sent(step, old)
            return await make()

        try:
            return await self.pacer.run(send, creates=True)
        except ValidationError:
            self.journal.unsent(step, old)  # refused here: nothing went out
            raise
        except (TransportError, UnexpectedReplyError) as exc:
            # No answer to go by: WeChat may hold it now. Not again in this run;
            # the next one looks it up. (An errcode is an answer: nothing was made.)
            self.uncertain.add((step, old))
            raise AnswerLost(
                f"{exc}; it may have been created all the same: the next run finds it "
                "in the target instead of creating it twice"
            ) from exc

    async def opened(self, entry: Entry) -> BinaryIO:
        """The backed-up file of ``entry``, open and checked (:meth:`.ObjectStore.open_object`).

        A row whose checksum no longer matches, or a file missing, linked, cut
        or changed, is a :class:`~.store.DamagedObject`: permanent, nothing of
        it is sent.
        """
        if not entry.intact:
            raise edited_row(entry.sha256)
        return await asyncio.to_thread(self.store.open_object, entry.sha256, entry.size)

    def check_uncertain(self, step: str, old: str) -> None:
        if (step, old) in self.uncertain:
            raise AnswerLost(
                "its creating call went out earlier in this run and its answer was lost"
            )

    # step 1: files -----------------------------------------------------------

    async def material(self, old: str, entry: Entry) -> tuple[str, str | None]:
        """The target's media_id (and url) for a backed-up file, uploading it once."""
        async with self.lock(MATERIAL, old):
            done = self.journal.get(MATERIAL, old)
            if done is not None and done.state == "done" and done.new:
                self.already(MATERIAL, old)
                return done.new, done.url
            self.check_uncertain(MATERIAL, old)
            name = entry.name or str(entry.extra.get("filename") or "") or "file"
            kind = entry.kind if entry.kind in FILE_KINDS else "image"
            # Checked (inside objects/, no link, hashed) before anything is compared or sent.
            with await self.opened(entry) as file:
                if (found := await self.match(kind, name, entry.sha256)) is not None:
                    self.journal.finish(MATERIAL, old, found[0], found[1])
                    self.seen.add((MATERIAL, old))
                    self.summary.steps[MATERIAL].adopted += 1
                    return found
                material = self.client.material
                if kind == "video":
                    title = str(entry.extra.get("title") or entry.name or "video")
                    intro = str(entry.extra.get("description") or title)
                    uploaded = await self.creating(
                        MATERIAL, old, lambda: material.add_video_material(file, title, intro, name)
                    )
                else:
                    uploaded = await self.creating(
                        MATERIAL, old, lambda: material.add_material(kind, file, name)
                    )
            self.claimed.add(uploaded.media_id)
            self.journal.finish(MATERIAL, old, uploaded.media_id, uploaded.url)
            self.seen.add((MATERIAL, old))
            self.summary.steps[MATERIAL].created += 1
            return uploaded.media_id, uploaded.url

    async def guarded(
        self, step: str, old: str, name: str, work: Callable[[], Awaitable[Any]]
    ) -> Any:
        try:
            return await work()
        except QuotaExhausted:
            raise
        except (WeChatError, OSError) as exc:
            self.fail(step, old, name, exc)
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
        new_url: str | None
        try:
            with await self.opened(asset) as file:
                material = self.client.material
                image = await self.creating(PICTURE, url, lambda: material.upload_image(file))
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

    def titled(self, key: str, article: dict[str, Any]) -> str:
        """The article's title as the draft box will take it, or :class:`NotRestorable`."""
        title = str(article.get("title") or "")
        if len(title) <= TITLE_LIMIT:
            return title
        if not self.shorten_titles:
            raise NotRestorable(
                f'the title "{title}" has {len(title)} characters; '
                f"the draft box takes at most {TITLE_LIMIT}",
                hint=SHORTEN,
            )
        short = shorten(title)
        self.summary.shortened.append({"id": key, "title": title, "shortened": short})
        return short

    async def outline(self, key: str, raw: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        """The articles to write, with titles fit and covers in the target; pictures not yet."""
        articles = []
        for article in articles_of(raw):
            if kind == "published" and article.get("is_deleted"):
                continue
            copy = {k: article[k] for k in _ARTICLE_FIELDS if article.get(k) is not None}
            copy["title"] = self.titled(key, article)
            articles.append((article, copy))
        for article, copy in articles:
            thumb = await self.cover(article)
            if thumb is not None:
                copy["thumb_media_id"] = thumb
        return [copy for _, copy in articles]

    async def filled(self, articles: list[dict[str, Any]]) -> None:
        """Point the articles' pictures at the target's copies (uploading them once)."""
        for copy in articles:
            content = str(copy.get("content") or "")
            urls = content_images(content)
            new_urls = await _each(self.picture(url) for url in urls)
            replaced = {old: new for old, new in zip(urls, new_urls, strict=True) if new}
            copy["content"] = replace_images(content, replaced)
            image_info = copy.get("image_info")
            if isinstance(image_info, dict):
                copy["image_info"] = await self.newspic_images(image_info)

    async def newspic_images(self, image_info: dict[str, Any]) -> dict[str, Any]:
        images = []
        for ref in image_info.get("image_list") or []:
            old = str(ref.get("image_media_id") or "") if isinstance(ref, dict) else ""
            if old in self.images:
                images.append({"image_media_id": (await self.material(old, self.images[old]))[0]})
        return {"image_list": images}

    async def load(self, entry: Entry) -> dict[str, Any]:
        with await self.opened(entry) as file:
            text = await asyncio.to_thread(file.read)
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise NotRestorable(
                f"the backed-up {entry.kind} {entry.name or entry.id} is not readable JSON",
                hint=BACKUP_AGAIN,
            ) from exc
        if not isinstance(raw, dict):
            raise NotRestorable(
                f"the backed-up {entry.kind} {entry.name or entry.id} is not an article item",
                hint=BACKUP_AGAIN,
            )
        return raw

    async def article(self, entry: Entry) -> None:
        key = f"{entry.kind}:{entry.id}"
        done = self.journal.get(ARTICLE, key)
        if done is not None and done.state == "done":
            self.already(ARTICLE, key)
            return
        self.check_uncertain(ARTICLE, key)
        articles = await self.outline(key, await self.load(entry), entry.kind)
        if not articles:
            return
        same = self.target_drafts.get(fingerprint(articles), [])
        if free := [m for m in same if m not in self.claimed]:
            self.claimed.add(free[0])
            self.journal.finish(ARTICLE, key, free[0])
            self.seen.add((ARTICLE, key))
            self.summary.steps[ARTICLE].adopted += 1
            return
        await self.filled(articles)
        draft = self.client.draft
        media_id = await self.creating(ARTICLE, key, lambda: draft.add(articles))
        self.claimed.add(media_id)
        self.journal.finish(ARTICLE, key, media_id)
        self.seen.add((ARTICLE, key))
        self.summary.steps[ARTICLE].created += 1


def _chosen(entries: list[Entry], kinds: tuple[str, ...], group: tuple[str, ...]) -> list[Entry]:
    """The items of ``group`` a run restores: of the kinds asked for, not gone upstream."""
    return [e for e in entries if e.gone_at is None and e.kind in kinds and e.kind in group]


def _plan(
    entries: list[Entry], kinds: tuple[str, ...], journal: Journal, store: ObjectStore
) -> dict[str, int]:
    """Calls a restore still needs (covers not among the files add a few more)."""
    files = _chosen(entries, kinds, FILE_KINDS)
    articles = _chosen(entries, kinds, ARTICLE_KINDS)
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
        return not journal.is_done(kind, old)

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
    shorten_titles: bool = False,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RestoreSummary:
    """Restore the backup in ``directory`` into the account of ``client``.

    Run it again after any interruption: nothing is created twice. An account
    that cannot get a token raises :class:`~.pacing.AccountUnavailable` before
    anything is done. A legacy news title longer than the draft box takes is
    not restorable unless ``shorten_titles`` (then it is cut, and reported in
    ``summary.shortened``).

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
        # Items deleted upstream are not restored, but an article may still use one as
        # its cover or picture: they stay known, and go in only as such.
        kept = list(manifest.entries())
    if source == client.appid:
        raise ValidationError(
            f"{path} is a backup of {source} itself; restore it into another account "
            "(restoring into the same one would copy everything a second time)"
        )
    summary = RestoreSummary(str(path), source, client.appid, dry_run=dry_run)
    pacer = Pacer(concurrency, sleep=sleep)
    with CallMeter(client) as meter:
        await check_account(client)  # before anything is written or planned
        await _restore(
            client, path, backup_id, kept, kinds, summary, pacer, dry_run, shorten_titles
        )
        summary.calls = meter.calls
    summary.seconds = time.monotonic() - started
    if summary.status == "complete" and summary.failures:
        _incomplete(summary)
    return summary


async def _restore(
    client: AsyncWeChatClient,
    path: Path,
    backup_id: str,
    entries: list[Entry],
    kinds: tuple[str, ...],
    summary: RestoreSummary,
    pacer: Pacer,
    dry_run: bool,
    shorten_titles: bool,
) -> None:
    journal = open_journal(path, backup_id, client.appid, dry_run=dry_run)
    summary.journal = str(journal.path or "")
    with journal_lock(journal, path):
        try:
            summary.needed = _plan(entries, kinds, journal, ObjectStore(path))
            job = _Restore(client, path, entries, journal, pacer, summary, shorten_titles)
            # The quotas left and the target's lists, asked for at once.
            asked = [_remaining(pacer, client, p) for p in RESTORE_PATHS]
            if not dry_run:
                asked.append(_survey(job, entries, kinds))
            left = await _each(asked)
            summary.remain = dict(zip(RESTORE_PATHS, left[: len(RESTORE_PATHS)], strict=True))
            if not dry_run:
                await _run(job, entries, kinds)
        except* QuotaExhausted as group:
            summary.status = "quota"
            summary.message = str(_first(group))
            summary.hint = RUN_AGAIN
        except* WeChatError as group:
            # The target's lists could not be read: nothing may be created blind.
            summary.status = "incomplete"
            summary.message = f"the target could not be read: {_first(group)}"
            summary.hint = RUN_AGAIN
        finally:
            journal.close()


def _incomplete(summary: RestoreSummary) -> None:
    """Say how many items are missing and what will bring them over."""
    summary.status = "incomplete"
    failures = summary.failures
    permanent = sum(1 for f in failures if f["permanent"])
    summary.message = f"{len(failures)} item(s) were not restored"
    if permanent:
        summary.message += f"; running it again cannot restore {permanent} of them"
    hints = dict.fromkeys(str(f["hint"]) for f in failures)
    summary.hint = "; ".join(hints)


async def _remaining(pacer: Pacer, client: AsyncWeChatClient, cgi_path: str) -> int | None:
    try:
        info = await pacer.run(lambda: client.get_api_quota(cgi_path))
    except QuotaExhausted:
        raise
    except WeChatError:
        return None  # not every account may ask; the restore goes on without it
    return info.quota.remain


def _label(entry: Entry) -> str:
    return entry.name or str(entry.extra.get("filename") or "")


async def _survey(job: _Restore, entries: list[Entry], kinds: tuple[str, ...]) -> None:
    """Read the target's lists that the items still to restore could be found in.

    What the journal holds as done is not looked for: a rerun after a finished
    restore reads no list at all.
    """
    done = job.journal.is_done
    files = {e.kind for e in _chosen(entries, kinds, FILE_KINDS) if not done(MATERIAL, e.id)}
    articles = not all(
        done(ARTICLE, f"{e.kind}:{e.id}") for e in _chosen(entries, kinds, ARTICLE_KINDS)
    )
    listed = sorted(files | ({"image"} if articles else set()))  # covers are images
    await job.survey(listed, drafts=articles)


async def _run(job: _Restore, entries: list[Entry], kinds: tuple[str, ...]) -> None:
    """Files first, then articles; what ends the run (a spent quota) stops every call."""
    async with asyncio.TaskGroup() as group:
        for e in _chosen(entries, kinds, FILE_KINDS):
            work = job.guarded(MATERIAL, e.id, _label(e), lambda e=e: job.material(e.id, e))  # type: ignore[misc]
            group.create_task(work)
    async with asyncio.TaskGroup() as group:
        for e in _chosen(entries, kinds, ARTICLE_KINDS):
            key = f"{e.kind}:{e.id}"
            group.create_task(job.guarded(ARTICLE, key, _label(e), lambda e=e: job.article(e)))  # type: ignore[misc]


async def _each(works: Iterable[Awaitable[T]]) -> list[T]:
    """Await them all at once; the first failure is raised once every one has ended,
    so that no call outlives the step that made it."""
    results = await asyncio.gather(*works, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return cast(list[T], results)


def _first(group: BaseExceptionGroup[Any]) -> BaseException:
    """The first exception in a (possibly nested) group."""
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first
