"""The URLs the sandbox hands out, all served under ``/mmbiz/<key>``.

A link is a row: its opaque key, what it shows (a stored file, or an article
page of a news material, a draft or a published article) and, for temporary
media, when it stops working. Links die with what they point at.

The state hands out a link as a :class:`LinkPath` (``/mmbiz/<key>``); the HTTP
layer turns it into an absolute URL on the host the request was made to (or
the configured public URL).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from wechat_material.sandbox.state.blobs import StagedBlob
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.storage import Storage

URL_PREFIX = "/mmbiz/"
FILE = "file"
# Page links name the table their articles live in.
NEWS_PAGE = "news"
DRAFT_PAGE = "draft"
ARTICLE_PAGE = "article"


@dataclass(frozen=True)
class Link:
    key: str
    kind: str
    appid: str
    owner: str | None
    idx: int | None
    sha: str | None
    size: int | None
    format: str | None
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class LinkPath:
    """Where a link is served on the sandbox's host, e.g. ``/mmbiz/mmbiz_jpg/Xy…/0``.

    A reply holding one gets the base URL in front of it on its way out
    (``http://127.0.0.1:8900/mmbiz/mmbiz_jpg/Xy…/0``).
    """

    path: str

    def __str__(self) -> str:
        return self.path


def link_path(key: str | None) -> LinkPath | str:
    """The path of the link ``key``; ``""`` for no link (WeChat's empty url)."""
    return LinkPath(URL_PREFIX + key) if key else ""


class Links:
    def __init__(self, storage: Storage, ids: IdMaker) -> None:
        self._storage = storage
        self._ids = ids

    def add_file(
        self,
        db: sqlite3.Connection,
        appid: str,
        *,
        owner: str | None,
        blob: StagedBlob,
        fmt: str,
        expires_at: float | None = None,
        video: bool = False,
    ) -> str:
        # Shaped like WeChat's CDN paths: mmbiz_jpg/<id>/0 for images.
        key = (
            f"mmbiz_video/{self._ids.link_key()}"
            if video
            else f"mmbiz_{fmt}/{self._ids.link_key()}/0"
        )
        db.execute(
            "INSERT INTO links (key, kind, appid, owner, sha, size, format, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, FILE, appid, owner, blob.sha256, blob.size, fmt, expires_at),
        )
        return key

    def add_pages(
        self, db: sqlite3.Connection, kind: str, appid: str, owner: str, count: int
    ) -> None:
        """One page link per article of ``owner``, for indexes it does not have yet."""
        have = {
            row["idx"]
            for row in db.execute(
                "SELECT idx FROM links WHERE owner = ? AND kind = ?", (owner, kind)
            )
        }
        for idx in range(count):
            if idx not in have:
                db.execute(
                    "INSERT INTO links (key, kind, appid, owner, idx) VALUES (?, ?, ?, ?, ?)",
                    (f"s/{self._ids.link_key()}", kind, appid, owner, idx),
                )

    def file_key(self, owner: str) -> str | None:
        row = self._storage.row("SELECT key FROM links WHERE owner = ? AND kind = ?", (owner, FILE))
        return None if row is None else str(row["key"])

    def page_keys(self, kind: str, owner: str) -> dict[int, str]:
        rows = self._storage.rows(
            "SELECT idx, key FROM links WHERE owner = ? AND kind = ?", (owner, kind)
        )
        return {int(row["idx"]): str(row["key"]) for row in rows}

    def resolve(self, key: str, now: float) -> Link | None:
        row = self._storage.row("SELECT * FROM links WHERE key = ?", (key,))
        if row is None or (row["expires_at"] is not None and now >= row["expires_at"]):
            return None
        return Link(**{name: row[name] for name in row.keys()})  # noqa: SIM118 - sqlite3.Row

    def is_image_url(self, url: str) -> bool:
        """True when ``url`` (on any host) is an image the sandbox serves."""
        _, sep, key = url.partition(URL_PREFIX)
        if not sep or not key.startswith("mmbiz_"):
            return False
        row = self._storage.row("SELECT format FROM links WHERE key = ?", (key.split("?")[0],))
        return row is not None and row["format"] in {"jpg", "png", "gif", "bmp"}

    def drop(self, db: sqlite3.Connection, owner: str) -> list[str]:
        """Delete an owner's links; returns the blobs they held."""
        shas = [
            row["sha"]
            for row in db.execute(
                "SELECT sha FROM links WHERE owner = ? AND sha IS NOT NULL", (owner,)
            )
        ]
        db.execute("DELETE FROM links WHERE owner = ?", (owner,))
        return shas
