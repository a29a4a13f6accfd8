"""Where the sandbox's state lives: one SQLite database and a blob store.

Layout of a data directory::

    lock              held by the sandbox using the directory (see data_dir_lock)
    sandbox.sqlite3   accounts, tokens, quotas, media rows, drafts, publishing, links, clock
    blobs/ab/ab12…    file contents by sha256
    tmp/              uploads being copied (emptied at start)

The directory and the database are private to the user (0700 / 0600): they
hold app secrets and access tokens. Only one sandbox at a time may use a
directory (:class:`~wechat_material.sandbox.state.data_dir_lock.SandboxInUseError`
otherwise). Within it, one lock serialises every access, so the state can be
shared by the event loop and uvicorn's thread pool.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wechat_material.sandbox.state.blobs import (
    BlobStore,
    FileBlobStore,
    MemoryBlobStore,
    StagedBlob,
)
from wechat_material.sandbox.state.data_dir_lock import DataDirLock

DB_NAME = "sandbox.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    appid TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    whitelist TEXT,
    status TEXT,
    clear_month TEXT NOT NULL DEFAULT '',
    clear_count INTEGER NOT NULL DEFAULT 0,
    force_day INTEGER NOT NULL DEFAULT -1,
    force_count INTEGER NOT NULL DEFAULT 0,
    force_last REAL
);
CREATE TABLE IF NOT EXISTS tokens (
    value TEXT PRIMARY KEY,
    appid TEXT NOT NULL,
    kind TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL
);
-- Live tokens of an account are found by ended_at (NULL or in the future). Tokens long
-- dead are purged by expires_at with a scan, at most once a minute: an index on it
-- would cost every /token call its upkeep for a query that runs that seldom.
CREATE INDEX IF NOT EXISTS tokens_live ON tokens (appid, kind, ended_at);
CREATE TABLE IF NOT EXISTS quota_limits (
    appid TEXT NOT NULL,
    cgi_path TEXT NOT NULL,
    daily_limit INTEGER NOT NULL,
    minute_limit INTEGER,
    PRIMARY KEY (appid, cgi_path)
);
CREATE TABLE IF NOT EXISTS quota_usage (
    appid TEXT NOT NULL,
    cgi_path TEXT NOT NULL,
    day INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (appid, cgi_path, day)
);
CREATE TABLE IF NOT EXISTS temp_media (
    media_id TEXT PRIMARY KEY,
    appid TEXT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha TEXT,
    size INTEGER,
    format TEXT,
    body TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS temp_media_expiry ON temp_media (expires_at);
CREATE INDEX IF NOT EXISTS temp_media_sha ON temp_media (sha);
CREATE TABLE IF NOT EXISTS materials (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    media_id TEXT NOT NULL UNIQUE,
    appid TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    sha TEXT,
    size INTEGER,
    format TEXT,
    body TEXT,
    protected INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    update_time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS materials_listing ON materials (appid, type, update_time, seq);
CREATE INDEX IF NOT EXISTS materials_sha ON materials (sha);
CREATE TABLE IF NOT EXISTS drafts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    media_id TEXT NOT NULL UNIQUE,
    appid TEXT NOT NULL,
    articles TEXT NOT NULL,
    created_at REAL NOT NULL,
    update_time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS drafts_listing ON drafts (appid, update_time, seq);
CREATE TABLE IF NOT EXISTS publishes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    publish_id TEXT NOT NULL UNIQUE,
    appid TEXT NOT NULL,
    msg_data_id INTEGER NOT NULL,
    article_id TEXT NOT NULL UNIQUE,
    articles TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    done_at REAL NOT NULL,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS publishes_listing ON publishes (appid, done_at, seq);
CREATE TABLE IF NOT EXISTS links (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    appid TEXT NOT NULL,
    owner TEXT,
    idx INTEGER,
    sha TEXT,
    size INTEGER,
    format TEXT,
    expires_at REAL
);
CREATE INDEX IF NOT EXISTS links_owner ON links (owner);
CREATE INDEX IF NOT EXISTS links_sha ON links (sha);
"""

_TABLES = (
    "meta",
    "accounts",
    "tokens",
    "quota_limits",
    "quota_usage",
    "temp_media",
    "materials",
    "drafts",
    "publishes",
    "links",
)
# Columns added after a table was first shipped: (table, column, declaration). A data
# directory made by an older version gets them at start, so it keeps working.
_ADDED_COLUMNS = (("accounts", "status", "TEXT"), ("publishes", "outcome", "TEXT"))
# Indexes older data directories have and this schema no longer keeps.
_DROPPED_INDEXES = ("tokens_expiry",)
_BLOB_TABLES = ("temp_media", "materials", "links")
_REFERENCED = {t: f"SELECT 1 FROM {t} WHERE sha = ? LIMIT 1" for t in _BLOB_TABLES}  # noqa: S608


class Storage:
    """The database connection, the blob store and the lock that guards both."""

    def __init__(self, data_dir: Path | None) -> None:
        """Open the state; ``SandboxInUseError`` when another sandbox holds ``data_dir``."""
        self.lock = threading.RLock()
        self.version = 0
        """Changes whenever a transaction begins or ends: a read made under the lock
        and remembered with it holds while it is unchanged (:meth:`transaction`)."""
        self.data_dir = data_dir
        self._dir_lock: DataDirLock | None = None
        self._closed = False
        if data_dir is not None:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Before anything else: nothing below (clearing tmp/ above all) may touch a
            # directory another sandbox is using.
            self._dir_lock = DataDirLock(data_dir)
        try:
            self.db = _connect(data_dir)
        except BaseException:
            self._release_dir()
            raise
        try:
            self.db.row_factory = sqlite3.Row
            self.db.executescript(SCHEMA)
            self._migrate()
            self.blobs: BlobStore = (
                MemoryBlobStore() if data_dir is None else FileBlobStore(data_dir)
            )
        except BaseException:
            self.close()
            raise

    def _migrate(self) -> None:
        """Bring a data directory of an earlier version to this schema."""
        for index in _DROPPED_INDEXES:
            self.db.execute(f"DROP INDEX IF EXISTS {index}")
        for table, column, declaration in _ADDED_COLUMNS:
            present = {row["name"] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block as one transaction (rolled back on error).

        Every write to what is remembered of the state goes through here, and
        :attr:`version` changes on the way in and on the way out (a read made inside
        the block, then rolled back, is not taken for the state's).
        """
        with self.lock:
            self.version += 1
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self.version += 1
            self.db.execute("COMMIT")

    @contextmanager
    def transaction_storing(self, staged: StagedBlob) -> Iterator[sqlite3.Connection]:
        """A transaction whose rows refer to ``staged``: the file becomes visible with
        them or not at all (no file is left behind that no row refers to)."""
        with self.lock:
            try:
                with self.transaction() as db:
                    yield db
                    # Last, so that a refused row never leaves the file behind.
                    self.blobs.commit(staged)
            except BaseException:
                # The rows are rolled back; if the file got in (the database's own
                # commit failed), it goes unless an older row shares its content.
                self.release([staged.sha256])
                raise

    def row(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self.lock:
            row: sqlite3.Row | None = self.db.execute(sql, tuple(params)).fetchone()
            return row

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, tuple(params)).fetchall()

    def get_meta(self, key: str) -> Any:
        row = self.row("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def release(self, shas: Iterable[str | None]) -> None:
        """Delete the blobs that no row refers to any more (call after the commit)."""
        with self.lock:
            for sha in {s for s in shas if s}:
                used = any(
                    self.db.execute(_REFERENCED[table], (sha,)).fetchone() for table in _BLOB_TABLES
                )
                if not used:
                    self.blobs.delete(sha)

    def wipe(self) -> None:
        """Forget everything: every row and every blob."""
        with self.transaction() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self.blobs.clear()

    def _release_dir(self) -> None:
        if self._dir_lock is not None:
            self._dir_lock.release()

    def close(self) -> None:
        """Close the database and let another sandbox use the directory (idempotent)."""
        with self.lock:
            if self._closed:
                return
            self._closed = True
            try:
                self.db.close()
            finally:
                self._release_dir()


def _connect(data_dir: Path | None) -> sqlite3.Connection:
    if data_dir is None:
        return sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    path = data_dir / DB_NAME
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)  # secrets inside: never world-readable
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        # WAL + NORMAL: a commit costs no fsync, and a crash loses at most the last few
        # calls, never the database.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        db.close()
        raise
    return db
