"""Temporary media: uploads that live 3 days, mass-send news and videos, JS-SDK voices."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from wechat_material.limits import TEMPORARY_MEDIA_LIFETIME, MaterialType
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.blobs import StagedBlob, StoredFile
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.links import LinkPath, Links, link_path
from wechat_material.sandbox.state.storage import Storage
from wechat_material.sandbox.state.uploads import AcceptedFile

UPLOAD = "upload"  # media/upload
JSSDK = "jssdk"  # a voice recorded through the JS-SDK (seeded by the admin API)
NEWS = "news"  # media/uploadnews
MPVIDEO = "mpvideo"  # media/uploadvideo


class TemporaryMedia:
    def __init__(self, storage: Storage, clock: SandboxClock, ids: IdMaker, links: Links) -> None:
        self._storage = storage
        self._clock = clock
        self._ids = ids
        self._links = links

    def _insert(
        self,
        db: sqlite3.Connection,
        appid: str,
        type: str,
        kind: str,
        *,
        staged: StagedBlob | None = None,
        fmt: str | None = None,
        body: Any = None,
    ) -> tuple[str, float]:
        media_id = self._ids.temporary_id()
        now = self._clock.now()
        db.execute(
            "INSERT INTO temp_media (media_id, appid, type, kind, sha, size, format, body, "
            "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                media_id,
                appid,
                type,
                kind,
                staged.sha256 if staged else None,
                staged.size if staged else None,
                fmt,
                None if body is None else json.dumps(body, ensure_ascii=False),
                now,
                now + TEMPORARY_MEDIA_LIFETIME,
            ),
        )
        return media_id, now

    def add_file(self, appid: str, type: MaterialType, accepted: AcceptedFile) -> dict[str, Any]:
        """media/upload: store the file; the reply names a thumb's id ``thumb_media_id``."""
        self.purge_expired()
        with self._storage.transaction_storing(accepted.staged) as db:
            media_id, now = self._insert(
                db, appid, type.value, UPLOAD, staged=accepted.staged, fmt=accepted.format.value
            )
            if type is MaterialType.VIDEO:
                self._links.add_file(
                    db,
                    appid,
                    owner=media_id,
                    blob=accepted.staged,
                    fmt=accepted.format.value,
                    expires_at=now + TEMPORARY_MEDIA_LIFETIME,
                    video=True,
                )
        id_key = "thumb_media_id" if type is MaterialType.THUMB else "media_id"
        return {"type": type.value, id_key: media_id, "created_at": int(now)}

    def add_jssdk_voice(self, appid: str, staged: StagedBlob, fmt: str) -> str:
        with self._storage.transaction_storing(staged) as db:
            media_id, _ = self._insert(db, appid, "voice", JSSDK, staged=staged, fmt=fmt)
        return media_id

    def add_news(self, appid: str, articles: list[dict[str, Any]]) -> dict[str, Any]:
        """media/uploadnews: news for a mass send."""
        with self._storage.transaction() as db:
            media_id, now = self._insert(db, appid, "news", NEWS, body=articles)
        return {"type": "news", "media_id": media_id, "created_at": int(now)}

    def add_mpvideo(
        self, appid: str, video_id: str, title: str, description: str
    ) -> dict[str, Any]:
        """media/uploadvideo: a temporary video made ready for a mass send."""
        video = self._row(appid, video_id)
        if video["type"] != "video" or video["kind"] != UPLOAD:
            raise SandboxError(40007, f"{video_id!r} is not a temporary video")
        with self._storage.transaction() as db:
            media_id, now = self._insert(
                db,
                appid,
                "video",
                MPVIDEO,
                body={"media_id": video_id, "title": title, "description": description},
            )
        return {"type": "video", "media_id": media_id, "created_at": int(now)}

    def _row(self, appid: str, media_id: str) -> sqlite3.Row:
        row = self._storage.row(
            "SELECT * FROM temp_media WHERE media_id = ? AND appid = ? AND expires_at > ?",
            (media_id, appid, self._clock.now()),
        )
        if row is None:
            raise SandboxError(40007, "unknown, expired or another account's media_id")
        return row

    def is_cover(self, appid: str, media_id: str) -> bool:
        """A temporary image or thumb (uploadnews accepts them as covers)."""
        row = self._storage.row(
            "SELECT 1 FROM temp_media WHERE media_id = ? AND appid = ? AND expires_at > ? "
            "AND type IN ('image', 'thumb') AND kind = ?",
            (media_id, appid, self._clock.now(), UPLOAD),
        )
        return row is not None

    def fetch(self, appid: str, media_id: str) -> StoredFile | dict[str, LinkPath | str]:
        """media/get: the file, or ``{"video_url"}`` for a video. News and mass-send
        videos have no file: 40007 [assumed]."""
        row = self._row(appid, media_id)
        if row["sha"] is None:
            raise SandboxError(40007, f"{media_id!r} has no file to download")
        if row["type"] == "video":
            return {"video_url": link_path(self._links.file_key(media_id))}
        return StoredFile(media_id, row["sha"], row["size"], row["format"])

    def fetch_jssdk(self, appid: str, media_id: str) -> StoredFile:
        """media/get/jssdk: only voices recorded through the JS-SDK."""
        row = self._row(appid, media_id)
        if row["kind"] != JSSDK:
            raise SandboxError(40007, f"{media_id!r} is not a JS-SDK voice")
        return StoredFile(media_id, row["sha"], row["size"], row["format"])

    def purge_expired(self) -> None:
        """Forget expired media (they already answer 40007) and free their files."""
        now = self._clock.now()
        with self._storage.lock:
            with self._storage.transaction() as db:
                rows = db.execute(
                    "SELECT media_id, sha FROM temp_media WHERE expires_at <= ?", (now,)
                ).fetchall()
                shas = [row["sha"] for row in rows]
                for row in rows:
                    shas += self._links.drop(db, row["media_id"])
                db.execute("DELETE FROM temp_media WHERE expires_at <= ?", (now,))
            self._storage.release(shas)
