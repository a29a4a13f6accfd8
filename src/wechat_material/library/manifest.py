"""The manifest of a backup: one SQLite database in WAL mode, ``DIR/manifest.sqlite3``.

SQLite's write-ahead log makes every commit all-or-nothing, whenever the
process dies: after a ``kill -9`` the database holds exactly the rows
committed before it. A row is only written once the file it names is
complete on disk, so a row never points at a partial file.

Each row also carries ``checksum``, a digest of its own fields: a row edited
by hand (or by a damaged disk) no longer matches it, and is neither trusted
by an incremental run nor passed by ``verify``. The format is described in
``docs/backup-format.md``; :data:`FORMAT_VERSION` changes with it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wechat_material.errors import ValidationError

FORMAT_NAME = "wechat-material-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.sqlite3"

# What a row is a copy of. Files: image (thumbs are listed with them), voice,
# video. Articles (their JSON as WeChat gave it): news (legacy news
# material), draft, published. Pictures the articles use, by URL: asset.
FILE_KINDS = ("image", "voice", "video")
ARTICLE_KINDS = ("news", "draft", "published")
ASSET = "asset"
KINDS = (*FILE_KINDS, *ARTICLE_KINDS, ASSET)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    update_time INTEGER,
    url TEXT,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    first_seen REAL NOT NULL,
    seen_at REAL NOT NULL,
    gone_at REAL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '{}'
);
"""


class BackupFormatError(ValidationError):
    """The directory is not a backup this version can read (or not a backup at all)."""


@dataclass(frozen=True)
class Entry:
    """One row of the manifest: a file or an article's JSON, by its content's sha256."""

    kind: str
    id: str
    size: int
    sha256: str
    name: str = ""
    update_time: int | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    first_seen: float = 0.0
    seen_at: float = 0.0
    gone_at: float | None = None
    checksum: str = ""

    def expected_checksum(self) -> str:
        """The digest of the fields that describe the content (not of when it was seen)."""
        fields = [
            self.kind,
            self.id,
            self.name,
            "" if self.update_time is None else str(self.update_time),
            self.url or "",
            str(self.size),
            self.sha256,
            json.dumps(self.extra, sort_keys=True, ensure_ascii=False),
        ]
        return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()

    @property
    def intact(self) -> bool:
        """Whether the row is as the backup wrote it."""
        return self.checksum == self.expected_checksum()

    def sealed(self) -> Entry:
        return replace(self, checksum=self.expected_checksum())


_COLUMNS = (
    "kind, id, name, update_time, url, size, sha256, extra, first_seen, seen_at, gone_at, checksum"
)


def _entry(row: tuple[Any, ...]) -> Entry:
    kind, id_, name, update_time, url, size, sha, extra, first, seen, gone, checksum = row
    try:
        extra_value = json.loads(extra)
    except ValueError:
        extra_value = {"unreadable": extra}
    return Entry(
        kind=kind,
        id=id_,
        size=size,
        sha256=sha,
        name=name,
        update_time=update_time,
        url=url,
        extra=extra_value if isinstance(extra_value, dict) else {"unreadable": extra},
        first_seen=first,
        seen_at=seen,
        gone_at=gone,
        checksum=checksum,
    )


class Manifest:
    """The manifest database of one backup directory (one writer at a time)."""

    def __init__(self, directory: Path, *, create: bool = True) -> None:
        path = directory / MANIFEST_NAME
        if not create and not path.exists():
            raise BackupFormatError(
                f"{directory} is not a backup: it has no {MANIFEST_NAME} "
                "(make one with `wxm backup DIR`)"
            )
        self.path = path
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives the process being killed at
            # any instant; only a power cut may lose the last commits, never
            # the database's consistency.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_format()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise BackupFormatError(f"{path} is not a readable manifest: {exc}") from None

    def _check_format(self) -> None:
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            with self.transaction():
                self._db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("format", FORMAT_NAME), ("format_version", str(FORMAT_VERSION))],
                )
            return
        if meta.get("format") != FORMAT_NAME:
            raise BackupFormatError(f"{self.path} is not a {FORMAT_NAME} manifest")
        version = meta.get("format_version", "")
        if not version.isdigit() or int(version) > FORMAT_VERSION:
            raise BackupFormatError(
                f"{self.path} has format version {version}; this wechat-material reads "
                f"up to {FORMAT_VERSION}: upgrade wechat-material to read it"
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # transactions ------------------------------------------------------------

    class _Transaction:
        def __init__(self, db: sqlite3.Connection) -> None:
            self._db = db

        def __enter__(self) -> None:
            self._db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")

    def transaction(self) -> Manifest._Transaction:
        return Manifest._Transaction(self._db)

    # meta --------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, values: dict[str, str]) -> None:
        with self.transaction():
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    # items -------------------------------------------------------------------

    def get(self, kind: str, id_: str) -> Entry | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE kind = ? AND id = ?",  # noqa: S608 - constant
            (kind, id_),
        ).fetchone()
        return _entry(row) if row else None

    def entries(self, kind: str | None = None) -> Iterator[Entry]:
        if kind is None:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM items ORDER BY kind, id")  # noqa: S608
        else:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE kind = ? ORDER BY id",  # noqa: S608
                (kind,),
            )
        for row in rows.fetchall():
            yield _entry(row)

    def put(self, entry: Entry, now: float) -> None:
        """Record (or replace) an entry seen now, sealed with its checksum."""
        old = self.get(entry.kind, entry.id)
        first = old.first_seen if old is not None else now
        sealed = replace(entry, first_seen=first, seen_at=now, gone_at=None).sealed()
        with self.transaction():
            self._db.execute(
                f"INSERT OR REPLACE INTO items ({_COLUMNS}) "  # noqa: S608 - constant
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sealed.kind,
                    sealed.id,
                    sealed.name,
                    sealed.update_time,
                    sealed.url,
                    sealed.size,
                    sealed.sha256,
                    json.dumps(sealed.extra, sort_keys=True, ensure_ascii=False),
                    sealed.first_seen,
                    sealed.seen_at,
                    sealed.gone_at,
                    sealed.checksum,
                ),
            )

    def mark_seen(self, keys: list[tuple[str, str]], now: float) -> None:
        """Note that these entries are still upstream, unchanged."""
        with self.transaction():
            self._db.executemany(
                "UPDATE items SET seen_at = ?, gone_at = NULL WHERE kind = ? AND id = ?",
                [(now, kind, id_) for kind, id_ in keys],
            )

    def mark_gone(self, kind: str, present: set[str], now: float) -> int:
        """Mark the entries of ``kind`` that are no longer upstream; they are kept."""
        gone = [
            (now, kind, entry.id)
            for entry in self.entries(kind)
            if entry.id not in present and entry.gone_at is None
        ]
        with self.transaction():
            self._db.executemany("UPDATE items SET gone_at = ? WHERE kind = ? AND id = ?", gone)
        return len(gone)

    # runs --------------------------------------------------------------------

    def start_run(self, now: float) -> int:
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, status) VALUES (?, 'running')", (now,)
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, now: float, status: str, summary: dict[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (now, status, json.dumps(summary, ensure_ascii=False), run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, started_at, finished_at, status, summary FROM runs ORDER BY id"
        ).fetchall()
        return [
            {
                "id": id_,
                "started_at": started,
                "finished_at": finished,
                "status": status,
                "summary": json.loads(summary),
            }
            for id_, started, finished, status, summary in rows
        ]
