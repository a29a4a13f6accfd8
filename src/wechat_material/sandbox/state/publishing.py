"""Publishing drafts (freepublish): asynchronous, finished by the sandbox clock.

``submit`` moves the draft out of the draft box at once [assumed] and the
publish job reports ``publish_status`` 1 (publishing) until the clock has
passed ``publish_seconds`` (3 s by default), then its outcome: 0 with the
article id and URLs, unless a test planned another one for the next
publication (:class:`PublishOutcome`): 2 (originality check failed) and 3
(failed) with the 1-based ``fail_idx`` of the articles at fault, 4 (rejected
by review), 6 (banned after success). Only a success can be read, listed,
deleted or opened. Deleting every article of a published message turns its
status to 5.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from wechat_material.limits import ARTICLES_MAX
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import (
    ArticleListing,
    check_page,
    page_reply,
    render_articles,
)
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.drafts import Drafts
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.links import ARTICLE_PAGE, Links, link_path
from wechat_material.sandbox.state.storage import Storage

LISTING = ArticleListing(ARTICLE_PAGE, "article_id", "articles", "submitted_at", "done_at")
PUBLISHED = 0
PUBLISHING = 1
ORIGINALITY_FAILED = 2
FAILED = 3
REJECTED = 4
ALL_DELETED = 5
BANNED = 6
# What a test can make the next publication end in; 1 and 5 are not outcomes.
OUTCOMES = (PUBLISHED, ORIGINALITY_FAILED, FAILED, REJECTED, BANNED)
# The statuses whose replies name the articles at fault (freepublish/get, and the
# PUBLISHJOBFINISH event's example for 2).
WITH_FAIL_IDX = (ORIGINALITY_FAILED, FAILED)


@dataclass(frozen=True)
class PublishOutcome:
    """How the next publication ends: ``status`` (0, 2, 3, 4 or 6) and, for 2 and 3,
    ``fail_idx``: the 1-based positions of the failing articles (empty: all of them),
    kept in order.

    ``ValueError`` for anything else, saying what is allowed.
    """

    status: int = PUBLISHED
    fail_idx: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or self.status not in OUTCOMES:
            allowed = ", ".join(map(str, OUTCOMES))
            raise ValueError(f"'status' must be one of {allowed}, not {self.status!r}")
        if self.fail_idx and self.status not in WITH_FAIL_IDX:
            raise ValueError("'fail_idx' is for status 2 or 3 only")
        for idx in self.fail_idx:
            if isinstance(idx, bool) or not isinstance(idx, int) or not 1 <= idx <= ARTICLES_MAX:
                raise ValueError(f"'fail_idx' holds article positions 1 to {ARTICLES_MAX}")
        if len(set(self.fail_idx)) != len(self.fail_idx):
            raise ValueError("'fail_idx' names an article twice")
        object.__setattr__(self, "fail_idx", tuple(sorted(self.fail_idx)))

    @classmethod
    def from_json(cls, data: Any) -> PublishOutcome:
        if not isinstance(data, dict):
            raise ValueError("the outcome must be a JSON object")
        unknown = set(data) - {"status", "fail_idx"}
        if unknown:
            raise ValueError(f"unknown outcome fields: {', '.join(sorted(unknown))}")
        fail_idx = data.get("fail_idx") or []
        if not isinstance(fail_idx, list):
            raise ValueError("'fail_idx' must be a list of article positions")
        return cls(data.get("status", PUBLISHED), tuple(fail_idx))

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "fail_idx": list(self.fail_idx)}

    def failing(self, count: int) -> list[int]:
        """The ``fail_idx`` of a publication of ``count`` articles: the positions named
        that exist, or every article when none is named (or none exists)."""
        if self.status not in WITH_FAIL_IDX:
            return []
        named = [idx for idx in self.fail_idx if idx <= count]
        return named or list(range(1, count + 1))


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
        self.next_outcome: PublishOutcome | None = None
        """How the next publication ends (None: in success); used once."""

    def plan(self, outcome: PublishOutcome | None) -> None:
        """Make the next submitted publication end in ``outcome`` (None: success)."""
        self.next_outcome = None if outcome == PublishOutcome() else outcome

    def submit(self, appid: str, media_id: str) -> dict[str, Any]:
        now = self._clock.now()
        publish_id = str(self._ids.number())
        msg_data_id = self._ids.number()
        article_id = self._ids.permanent_id()
        with self._storage.transaction() as db:
            articles = self._drafts.take(db, appid, media_id)
            for article in articles:
                article["is_deleted"] = False
            outcome, self.next_outcome = self.next_outcome, None
            ending = None
            if outcome is not None:
                ending = json.dumps(
                    {"status": outcome.status, "fail_idx": outcome.failing(len(articles))}
                )
            db.execute(
                "INSERT INTO publishes (publish_id, appid, msg_data_id, article_id, articles, "
                "submitted_at, done_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (publish_id, appid, msg_data_id, article_id,
                 json.dumps(articles, ensure_ascii=False), now, now + self.publish_seconds,
                 ending),
            )  # fmt: skip
            self._links.add_pages(db, ARTICLE_PAGE, appid, article_id, len(articles))
        return {"publish_id": publish_id, "msg_data_id": msg_data_id}

    def _live(self, row: sqlite3.Row) -> bool:
        """Published and not failed: readable, listed, deletable, its pages served."""
        return self._done(row) and row["outcome"] is None

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
        if row["outcome"] is not None:
            return self._ending(row, json.loads(row["outcome"]))
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

    def _ending(self, row: sqlite3.Row, ending: dict[str, Any]) -> dict[str, Any]:
        """freepublish/get for a publication that did not end in success: 2, 3 and 4
        carry no article [documented: article_id and article_detail are for success];
        6 keeps its article_id with no live article, as 5 does [assumed]."""
        reply: dict[str, Any] = {
            "publish_id": row["publish_id"],
            "publish_status": ending["status"],
        }
        if ending["status"] == BANNED:
            reply["article_id"] = row["article_id"]
            reply["article_detail"] = {"count": 0, "item": []}
        reply["fail_idx"] = ending["fail_idx"]
        return reply

    def _published(self, appid: str, article_id: str) -> sqlite3.Row:
        row = self._storage.row(
            "SELECT * FROM publishes WHERE article_id = ? AND appid = ?", (article_id, appid)
        )
        if row is None or not self._live(row):
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
                "AND outcome IS NULL ORDER BY done_at DESC, seq DESC",
                (appid, now),
            )
            if not all(a["is_deleted"] for a in json.loads(row["articles"]))
        ]
        items = [
            LISTING.item(self._links, row, with_content=not no_content)
            for row in rows[offset : offset + count]
        ]
        return page_reply(len(rows), items)

    def page_article(self, article_id: str, idx: int) -> dict[str, Any] | None:
        """A published article for its page, or None before publishing completes."""
        row = self._storage.row("SELECT * FROM publishes WHERE article_id = ?", (article_id,))
        if row is None or not self._live(row):
            return None
        article: dict[str, Any] = json.loads(row["articles"])[idx]
        return article
