"""Publishing drafts (freepublish): asynchronous, finished by the sandbox clock.

``submit`` moves the draft out of the draft box at once [assumed] and the
publish job reports ``publish_status`` 1 (publishing) until the clock has
passed ``publish_seconds`` (60 s by default), then 0 with the article id and
URLs. Deleting every article of a published message turns its status to 5.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import check_page, render_articles
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.drafts import Drafts
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.links import ARTICLE_PAGE, Links, link_path
from wechat_material.sandbox.state.storage import Storage

PUBLISHED = 0
PUBLISHING = 1
ALL_DELETED = 5


class Publishing:
    def __init__(
        self,
        storage: Storage,
        clock: SandboxClock,
        ids: IdMaker,
        links: Links,
        drafts: Drafts,
        publish_seconds: float,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._ids = ids
        self._links = links
        self._drafts = drafts
        self.publish_seconds = publish_seconds

    def submit(self, appid: str, media_id: str) -> dict[str, Any]:
        now = self._clock.now()
        publish_id = str(self._ids.number())
        msg_data_id = self._ids.number()
        article_id = self._ids.permanent_id()
        with self._storage.transaction() as db:
            articles = self._drafts.take(db, appid, media_id)
            for article in articles:
                article["is_deleted"] = False
            db.execute(
                "INSERT INTO publishes (publish_id, appid, msg_data_id, article_id, articles, "
                "submitted_at, done_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (publish_id, appid, msg_data_id, article_id,
                 json.dumps(articles, ensure_ascii=False), now, now + self.publish_seconds),
            )  # fmt: skip
            self._links.add_pages(db, ARTICLE_PAGE, appid, article_id, len(articles))
        return {"publish_id": publish_id, "msg_data_id": msg_data_id}

    def _done(self, row: sqlite3.Row) -> bool:
        return self._clock.now() >= float(row["done_at"])

    def status(self, appid: str, publish_id: str) -> dict[str, Any]:
        """freepublish/get; an unknown publish_id answers 40097 [assumed]."""
        row = self._storage.row(
            "SELECT * FROM publishes WHERE publish_id = ? AND appid = ?", (publish_id, appid)
        )
        if row is None:
            raise SandboxError(40097, "no publish job with this publish_id")
        if not self._done(row):
            return {"publish_id": publish_id, "publish_status": PUBLISHING, "fail_idx": []}
        articles = json.loads(row["articles"])
        pages = self._links.page_keys(ARTICLE_PAGE, row["article_id"])
        live = [
            {"idx": idx + 1, "article_url": link_path(pages[idx])}
            for idx, article in enumerate(articles)
            if not article["is_deleted"]
        ]
        return {
            "publish_id": publish_id,
            "publish_status": PUBLISHED if live else ALL_DELETED,
            "article_id": row["article_id"],
            "article_detail": {"count": len(live), "item": live},
            "fail_idx": [],
        }

    def _published(self, appid: str, article_id: str) -> sqlite3.Row:
        row = self._storage.row(
            "SELECT * FROM publishes WHERE article_id = ? AND appid = ?", (article_id, appid)
        )
        if row is None or not self._done(row):
            raise SandboxError(53600, "no published article with this article_id")
        return row

    def get_article(self, appid: str, article_id: str) -> dict[str, Any]:
        row = self._published(appid, article_id)
        articles = json.loads(row["articles"])
        return {"news_item": render_articles(self._links, ARTICLE_PAGE, article_id, articles)}

    def delete(self, appid: str, article_id: str, index: int) -> None:
        """freepublish/delete: ``index`` 1-based, 0 for every article."""
        row = self._published(appid, article_id)
        articles = json.loads(row["articles"])
        if not 0 <= index <= len(articles):
            raise SandboxError(40097, f"index {index} is outside 0..{len(articles)}")
        for idx, article in enumerate(articles, start=1):
            if index in (0, idx):
                article["is_deleted"] = True
        with self._storage.transaction() as db:
            db.execute(
                "UPDATE publishes SET articles = ? WHERE article_id = ?",
                (json.dumps(articles, ensure_ascii=False), article_id),
            )

    def batchget(self, appid: str, offset: int, count: int, no_content: bool) -> dict[str, Any]:
        """Published messages that still have an article, newest first."""
        check_page(offset, count)
        now = self._clock.now()
        rows = [
            row
            for row in self._storage.rows(
                "SELECT * FROM publishes WHERE appid = ? AND done_at <= ? "
                "ORDER BY done_at DESC, seq DESC",
                (appid, now),
            )
            if not all(a["is_deleted"] for a in json.loads(row["articles"]))
        ]
        items = [
            {
                "article_id": row["article_id"],
                "content": {
                    "news_item": render_articles(
                        self._links,
                        ARTICLE_PAGE,
                        row["article_id"],
                        json.loads(row["articles"]),
                        with_content=not no_content,
                    ),
                    "create_time": int(row["submitted_at"]),
                    "update_time": int(row["done_at"]),
                },
                "update_time": int(row["done_at"]),
            }
            for row in rows[offset : offset + count]
        ]
        return {"total_count": len(rows), "item_count": len(items), "item": items}

    def page_article(self, article_id: str, idx: int) -> dict[str, Any] | None:
        """A published article for its page, or None before publishing completes."""
        row = self._storage.row("SELECT * FROM publishes WHERE article_id = ?", (article_id,))
        if row is None or not self._done(row):
            return None
        article: dict[str, Any] = json.loads(row["articles"])[idx]
        return article
