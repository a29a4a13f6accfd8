"""Permanent material: images, voices, videos, thumbs and news, kept until deleted.

Thumbs are listed and counted with the images (get_materialcount has no
thumb count; batchget_material has no thumb type) [assumed]. Lists are newest
first: by update time, then by order of creation [assumed].
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from wechat_material.limits import MaterialType
from wechat_material.sandbox.blobs import StoredFile
from wechat_material.sandbox.clock import SandboxClock
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.ids import IdMaker
from wechat_material.sandbox.links import NEWS_PAGE, URL_PREFIX, Links, link_url
from wechat_material.sandbox.storage import Storage
from wechat_material.sandbox.uploads import AcceptedFile
from wechat_material.sandbox.views import check_page, render_articles
from wechat_material.sandbox.wire import RawJson

# batchget_material `type` → the stored types it lists.
LISTED_TYPES: dict[str, tuple[str, ...]] = {
    "image": ("image", "thumb"),
    "voice": ("voice",),
    "video": ("video",),
    "news": ("news",),
}


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
        base: str,
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
            reply["url"] = link_url(base, key)
        return reply

    def add_article_image(self, appid: str, accepted: AcceptedFile, base: str) -> str:
        """uploadimg: host an image for article HTML; returns its URL."""
        with self._storage.transaction_storing(accepted.staged) as db:
            key = self._links.add_file(
                db, appid, owner=None, blob=accepted.staged, fmt=accepted.format.value
            )
        return link_url(base, key)

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

    def get(self, appid: str, media_id: str, base: str) -> StoredFile | dict[str, Any]:
        """get_material: news and video as JSON, the other types as the file."""
        row = self._row(appid, media_id)
        if row["type"] == "news":
            articles = json.loads(row["body"])
            items = render_articles(
                self._links, NEWS_PAGE, media_id, articles, base, thumb_urls=False
            )
            return {"news_item": items}
        if row["type"] == "video":
            described = json.loads(row["body"] or "{}")
            key = self._links.file_key(media_id)
            return {
                "title": described.get("title", ""),
                "description": described.get("introduction", ""),
                "down_url": link_url(base, key) if key else "",
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

    def batchget(
        self, appid: str, type: str, offset: int, count: int, base: str
    ) -> dict[str, Any] | RawJson:
        """batchget_material: one page, newest first; past the end, an empty page."""
        types = LISTED_TYPES.get(type)
        if types is None:
            raise SandboxError(40004, f"type must be one of {', '.join(LISTED_TYPES)}")
        check_page(offset, count)
        marks = ",".join("?" * len(types))
        with self._storage.lock:
            total = self._storage.row(
                f"SELECT count(*) AS n FROM materials WHERE appid = ? AND type IN ({marks})",  # noqa: S608 - placeholders only
                (appid, *types),
            )
            total_count = total["n"] if total else 0
            if type == "news":
                return self._news_page(appid, total_count, offset, count, base)
            # Files: SQLite writes each item's JSON itself (in C), in the order of the
            # listing; the items are only joined here. A material has at most one file
            # link, and a video's is never shown in a listing.
            items = self._storage.rows(
                "SELECT json_object('media_id', media_id, 'name', name, "  # noqa: S608 - placeholders only
                "'update_time', CAST(update_time AS INTEGER), 'url', CASE WHEN type = 'video' "
                "THEN '' ELSE coalesce((SELECT ? || l.key FROM links AS l "
                "WHERE l.owner = m.media_id AND l.kind = 'file'), '') END) "
                f"FROM materials AS m WHERE appid = ? AND type IN ({marks}) "
                "ORDER BY update_time DESC, seq DESC LIMIT ? OFFSET ?",
                (base + URL_PREFIX, appid, *types, count, offset),
            )
        listed = ",".join(item[0] for item in items)
        return RawJson(
            f'{{"total_count":{total_count},"item_count":{len(items)},"item":[{listed}]}}'.encode()
        )

    def _news_page(
        self, appid: str, total_count: int, offset: int, count: int, base: str
    ) -> dict[str, Any]:
        rows = self._storage.rows(
            "SELECT media_id, body, created_at, update_time FROM materials "
            "WHERE appid = ? AND type = 'news' "
            "ORDER BY update_time DESC, seq DESC LIMIT ? OFFSET ?",
            (appid, count, offset),
        )
        items = [self._listed_news(row, base) for row in rows]
        return {"total_count": total_count, "item_count": len(items), "item": items}

    def _listed_news(self, row: sqlite3.Row, base: str) -> dict[str, Any]:
        """One news item of a listing: its articles, with their URLs for this request."""
        media_id, body, created_at, update_time = row
        articles = json.loads(body)
        return {
            "media_id": media_id,
            "content": {
                "news_item": render_articles(self._links, NEWS_PAGE, media_id, articles, base),
                "create_time": int(created_at),
                "update_time": int(update_time),
            },
            "update_time": int(update_time),
        }
