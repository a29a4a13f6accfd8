"""The draft box: articles waiting to be published (the successor of add_news).

No limit on how many drafts an account holds [assumed].
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import (
    ArticleListing,
    ArticleRules,
    check_page,
    page_reply,
    prepare_article,
    prepare_articles,
    render_articles,
)
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.links import DRAFT_PAGE, Links
from wechat_material.sandbox.state.storage import Storage

LISTING = ArticleListing(DRAFT_PAGE, "media_id", "articles", "created_at", "update_time")


class Drafts:
    def __init__(self, storage: Storage, clock: SandboxClock, ids: IdMaker, links: Links) -> None:
        self._storage = storage
        self._clock = clock
        self._ids = ids
        self._links = links

    def add(self, appid: str, articles: Any, rules: ArticleRules) -> dict[str, str]:
        prepared = prepare_articles(articles, rules)
        media_id = self._ids.permanent_id()
        now = self._clock.now()
        with self._storage.transaction() as db:
            db.execute(
                "INSERT INTO drafts (media_id, appid, articles, created_at, update_time) "
                "VALUES (?, ?, ?, ?, ?)",
                (media_id, appid, json.dumps(prepared, ensure_ascii=False), now, now),
            )
            self._links.add_pages(db, DRAFT_PAGE, appid, media_id, len(prepared))
        return {"media_id": media_id}

    def articles(self, appid: str, media_id: str) -> list[dict[str, Any]]:
        row = self._storage.row(
            "SELECT articles FROM drafts WHERE media_id = ? AND appid = ?", (media_id, appid)
        )
        if row is None:
            raise SandboxError(40007, "no draft with this media_id")
        articles: list[dict[str, Any]] = json.loads(row["articles"])
        return articles

    def get(self, appid: str, media_id: str) -> dict[str, Any]:
        articles = self.articles(appid, media_id)
        return {"news_item": render_articles(self._links, DRAFT_PAGE, media_id, articles)}

    def update(
        self, appid: str, media_id: str, index: int, article: Any, rules: ArticleRules
    ) -> None:
        """draft/update: replace article ``index`` (0-based; 40097 outside the draft)."""
        articles = self.articles(appid, media_id)
        if not 0 <= index < len(articles):
            raise SandboxError(40097, f"index {index} is outside 0..{len(articles) - 1}")
        articles[index] = prepare_article(article, rules, index, single=len(articles) == 1)
        with self._storage.transaction() as db:
            db.execute(
                "UPDATE drafts SET articles = ?, update_time = ? WHERE media_id = ?",
                (json.dumps(articles, ensure_ascii=False), self._clock.now(), media_id),
            )

    def delete(self, appid: str, media_id: str) -> None:
        with self._storage.transaction() as db:
            self.take(db, appid, media_id)

    def take(self, db: sqlite3.Connection, appid: str, media_id: str) -> list[dict[str, Any]]:
        """Remove a draft inside the caller's transaction and return its articles."""
        row = db.execute(
            "SELECT articles FROM drafts WHERE media_id = ? AND appid = ?", (media_id, appid)
        ).fetchone()
        if row is None:
            raise SandboxError(40007, "no draft with this media_id")
        db.execute("DELETE FROM drafts WHERE media_id = ?", (media_id,))
        self._links.drop(db, media_id)
        articles: list[dict[str, Any]] = json.loads(row["articles"])
        return articles

    def count(self, appid: str) -> dict[str, int]:
        row = self._storage.row("SELECT count(*) AS n FROM drafts WHERE appid = ?", (appid,))
        return {"total_count": row["n"] if row else 0}

    def batchget(self, appid: str, offset: int, count: int, no_content: bool) -> dict[str, Any]:
        check_page(offset, count)
        total = self.count(appid)["total_count"]
        rows = self._storage.rows(
            "SELECT * FROM drafts WHERE appid = ? ORDER BY update_time DESC, seq DESC "
            "LIMIT ? OFFSET ?",
            (appid, count, offset),
        )
        items = [LISTING.item(self._links, row, with_content=not no_content) for row in rows]
        return page_reply(total, items)
