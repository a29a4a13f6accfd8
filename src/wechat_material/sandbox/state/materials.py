"""Permanent material: images, voices, videos, thumbs and news, kept until deleted.

Thumbs are listed and counted with the images (get_materialcount has no
thumb count; batchget_material has no thumb type) [assumed]. Lists are newest
first: by update time, then by order of creation [assumed].

News material is add_news / update_news the way WeChat handled them before
2022-02-28 (:class:`LegacyNews`). In ``legacy`` mode they work as documented;
in ``retired`` mode both answer 45106 "This API has been unsupported", as
WeChat does today. The routes ask :meth:`LegacyNews.check_open` before
anything else, even before reading the body: a retired API refuses whatever
is sent.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from wechat_material.limits import LIST_KINDS, MaterialType
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import (
    COMMENT_FLAGS,
    ArticleListing,
    ArticleRules,
    check_page,
    page_reply,
    prepare_article,
    prepare_articles,
    render_articles,
)
from wechat_material.sandbox.state.blobs import StoredFile
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.links import NEWS_PAGE, LinkPath, Links, link_path
from wechat_material.sandbox.state.storage import Storage
from wechat_material.sandbox.state.uploads import AcceptedFile

# batchget_material `type` (the listable kinds that are material) → the stored types it
# lists: thumbs with the images.
LISTED_TYPES: dict[str, tuple[str, ...]] = {
    kind: (kind, MaterialType.THUMB.value) if kind == MaterialType.IMAGE else (kind,)
    for kind in LIST_KINDS
    if kind in set(MaterialType)
}
# A page of a listing, as read: (storage version, total count, rows of (media_id, name,
# type, update_time, link key)). Listings are read far more often than material changes.
_Page = tuple[int, int, tuple[tuple[Any, ...], ...]]
_MAX_PAGES = 256
NEWS_LISTING = ArticleListing(NEWS_PAGE, "media_id", "body", "created_at", "update_time")


class Materials:
    def __init__(
        self,
        storage: Storage,
        clock: SandboxClock,
        ids: IdMaker,
        links: Links,
        caps: dict[frozenset[MaterialType], int],
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._ids = ids
        self._links = links
        self._caps = caps
        # (appid, type, offset, count) → the page read at a storage version.
        self._pages: dict[tuple[str, str, int, int], _Page] = {}

    def _check_cap(self, db: sqlite3.Connection, appid: str, type: MaterialType) -> None:
        for group, cap in self._caps.items():
            if type in group:
                names = sorted(t.value for t in group)
                marks = ",".join("?" * len(names))
                held = db.execute(
                    f"SELECT count(*) FROM materials WHERE appid = ? AND type IN ({marks})",  # noqa: S608 - placeholders only
                    (appid, *names),
                ).fetchone()[0]
                if held >= cap:
                    raise SandboxError(45001, f"the account already holds {held} {'/'.join(names)}")

    def add_file(
        self,
        appid: str,
        type: MaterialType,
        accepted: AcceptedFile,
        video: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """add_material: ``{"media_id", "url"}``, the url for images only."""
        now = self._clock.now()
        media_id = self._ids.permanent_id()
        staged = accepted.staged
        body = None if video is None else json.dumps({"title": video[0], "introduction": video[1]})
        with self._storage.transaction_storing(staged) as db:
            self._check_cap(db, appid, type)
            db.execute(
                "INSERT INTO materials (media_id, appid, type, name, sha, size, format, body, "
                "created_at, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (media_id, appid, type.value, accepted.name, staged.sha256, staged.size,
                 accepted.format.value, body, now, now),
            )  # fmt: skip
            key = None
            if type in (MaterialType.IMAGE, MaterialType.THUMB, MaterialType.VIDEO):
                key = self._links.add_file(
                    db,
                    appid,
                    owner=media_id,
                    blob=staged,
                    fmt=accepted.format.value,
                    video=type is MaterialType.VIDEO,
                )
        reply: dict[str, Any] = {"media_id": media_id}
        if type is MaterialType.IMAGE and key is not None:
            reply["url"] = link_path(key)
        return reply

    def add_article_image(self, appid: str, accepted: AcceptedFile) -> LinkPath | str:
        """uploadimg: host an image for article HTML; returns where it is served."""
        with self._storage.transaction_storing(accepted.staged) as db:
            key = self._links.add_file(
                db, appid, owner=None, blob=accepted.staged, fmt=accepted.format.value
            )
        return link_path(key)

    def add_news(self, appid: str, articles: list[dict[str, Any]]) -> str:
        now = self._clock.now()
        media_id = self._ids.permanent_id()
        with self._storage.transaction() as db:
            self._check_cap(db, appid, MaterialType.NEWS)
            db.execute(
                "INSERT INTO materials (media_id, appid, type, body, created_at, update_time) "
                "VALUES (?, ?, 'news', ?, ?, ?)",
                (media_id, appid, json.dumps(articles, ensure_ascii=False), now, now),
            )
            self._links.add_pages(db, NEWS_PAGE, appid, media_id, len(articles))
        return media_id

    def news_articles(self, appid: str, media_id: str) -> list[dict[str, Any]]:
        row = self._row(appid, media_id)
        if row["type"] != "news":
            raise SandboxError(40007, f"{media_id!r} is not news")
        articles: list[dict[str, Any]] = json.loads(row["body"])
        return articles

    def replace_news(self, appid: str, media_id: str, articles: list[dict[str, Any]]) -> None:
        with self._storage.transaction() as db:
            db.execute(
                "UPDATE materials SET body = ?, update_time = ? WHERE media_id = ? AND appid = ?",
                (json.dumps(articles, ensure_ascii=False), self._clock.now(), media_id, appid),
            )

    def _row(self, appid: str, media_id: str) -> sqlite3.Row:
        row = self._storage.row(
            "SELECT * FROM materials WHERE media_id = ? AND appid = ?", (media_id, appid)
        )
        if row is None:
            raise SandboxError(40007, "no permanent material with this media_id")
        return row

    def is_type(self, appid: str, media_id: str, *types: str) -> bool:
        row = self._storage.row(
            "SELECT type FROM materials WHERE media_id = ? AND appid = ?", (media_id, appid)
        )
        return row is not None and row["type"] in types

    def get(self, appid: str, media_id: str) -> StoredFile | dict[str, Any]:
        """get_material: news and video as JSON, the other types as the file."""
        row = self._row(appid, media_id)
        if row["type"] == "news":
            articles = json.loads(row["body"])
            items = render_articles(self._links, NEWS_PAGE, media_id, articles, thumb_urls=False)
            return {"news_item": items}
        if row["type"] == "video":
            described = json.loads(row["body"] or "{}")
            return {
                "title": described.get("title", ""),
                "description": described.get("introduction", ""),
                "down_url": link_path(self._links.file_key(media_id)),
            }
        return StoredFile(media_id, row["sha"], row["size"], row["format"])

    def delete(self, appid: str, media_id: str) -> None:
        """del_material: 40007 unknown, 48005 when used by auto-reply or the menu."""
        with self._storage.lock:
            with self._storage.transaction() as db:
                row = db.execute(
                    "SELECT sha, protected FROM materials WHERE media_id = ? AND appid = ?",
                    (media_id, appid),
                ).fetchone()
                if row is None:
                    raise SandboxError(40007, "no permanent material with this media_id")
                if row["protected"]:
                    raise SandboxError(48005, "the material is marked as used by a menu")
                shas = [row["sha"], *self._links.drop(db, media_id)]
                db.execute("DELETE FROM materials WHERE media_id = ?", (media_id,))
            self._storage.release(shas)

    def protect(self, appid: str, media_id: str) -> None:
        """Mark as used by auto-reply or the menu, so deleting it answers 48005."""
        self._row(appid, media_id)
        with self._storage.transaction() as db:
            db.execute("UPDATE materials SET protected = 1 WHERE media_id = ?", (media_id,))

    def count(self, appid: str) -> dict[str, int]:
        rows = self._storage.rows(
            "SELECT type, count(*) AS n FROM materials WHERE appid = ? GROUP BY type", (appid,)
        )
        held = {row["type"]: row["n"] for row in rows}
        return {
            "voice_count": held.get("voice", 0),
            "video_count": held.get("video", 0),
            "image_count": held.get("image", 0) + held.get("thumb", 0),
            "news_count": held.get("news", 0),
        }

    def batchget(self, appid: str, type: str, offset: int, count: int) -> dict[str, Any]:
        """batchget_material: one page, newest first; past the end, an empty page."""
        types = LISTED_TYPES.get(type)
        if types is None:
            raise SandboxError(40004, f"type must be one of {', '.join(LISTED_TYPES)}")
        check_page(offset, count)
        if type == "news":
            return self._news_page(appid, types, offset, count)
        total_count, rows = self._file_page(appid, type, types, offset, count)
        items = [
            {
                "media_id": media_id,
                "name": name,
                "update_time": int(update_time),
                "url": "" if kind == "video" else link_path(link),
            }
            for media_id, name, kind, update_time, link in rows
        ]
        return page_reply(total_count, items)

    def _total(self, appid: str, types: tuple[str, ...]) -> int:
        marks = ",".join("?" * len(types))
        total = self._storage.row(
            f"SELECT count(*) AS n FROM materials WHERE appid = ? AND type IN ({marks})",  # noqa: S608 - placeholders only
            (appid, *types),
        )
        return total["n"] if total else 0

    def _file_page(
        self, appid: str, type: str, types: tuple[str, ...], offset: int, count: int
    ) -> tuple[int, tuple[tuple[Any, ...], ...]]:
        """(total count, rows) of a page of files, remembered until the state changes."""
        key = (appid, type, offset, count)
        with self._storage.lock:
            version = self._storage.version
            kept = self._pages.get(key)
            if kept is not None and kept[0] == version:
                return kept[1], kept[2]
            total_count = self._total(appid, types)
            marks = ",".join("?" * len(types))
            # A material has at most one file link; a video's is never shown in a listing.
            rows = tuple(
                tuple(row)
                for row in self._storage.rows(
                    "SELECT media_id, name, type, update_time, (SELECT l.key FROM links AS l "  # noqa: S608 - placeholders only
                    "WHERE l.owner = m.media_id AND l.kind = 'file') AS link "
                    f"FROM materials AS m WHERE appid = ? AND type IN ({marks}) "
                    "ORDER BY update_time DESC, seq DESC LIMIT ? OFFSET ?",
                    (appid, *types, count, offset),
                )
            )
            if len(self._pages) >= _MAX_PAGES:
                self._pages.clear()
            self._pages[key] = (version, total_count, rows)
            return total_count, rows

    def _news_page(
        self, appid: str, types: tuple[str, ...], offset: int, count: int
    ) -> dict[str, Any]:
        with self._storage.lock:
            total_count = self._total(appid, types)
            rows = self._storage.rows(
                "SELECT media_id, body, created_at, update_time FROM materials "
                "WHERE appid = ? AND type = 'news' "
                "ORDER BY update_time DESC, seq DESC LIMIT ? OFFSET ?",
                (appid, count, offset),
            )
        return page_reply(total_count, [NEWS_LISTING.item(self._links, row) for row in rows])


class LegacyNews:
    def __init__(self, materials: Materials) -> None:
        self._materials = materials
        self.retired = False

    def check_open(self) -> None:
        """45106 when the sandbox mimics today's WeChat."""
        if self.retired:
            raise SandboxError(45106, "add_news/update_news are retired; use the draft box")

    def add(self, appid: str, articles: Any, rules: ArticleRules) -> dict[str, str]:
        """add_news: 1 to 8 articles whose covers are permanent material."""
        prepared = prepare_articles(articles, rules)
        return {"media_id": self._materials.add_news(appid, prepared)}

    def update(
        self, appid: str, media_id: str, index: int, article: Any, rules: ArticleRules
    ) -> None:
        """update_news: replace article ``index`` (0-based); the comment flags stay as they were."""
        articles = self._materials.news_articles(appid, media_id)
        if not 0 <= index < len(articles):
            raise SandboxError(40097, f"index {index} is outside 0..{len(articles) - 1}")
        updated = prepare_article(article, rules, index, single=len(articles) == 1)
        for flag in COMMENT_FLAGS:
            updated[flag] = articles[index][flag]
        articles[index] = updated
        self._materials.replace_news(appid, media_id, articles)
