"""The manifest of a backup: one SQLite database in WAL mode, ``DIR/manifest.sqlite3``.

SQLite's write-ahead log makes every commit all-or-nothing, whenever the
process dies: after a ``kill -9`` the database holds exactly the rows
committed before it. A row is only written once the file it names is
complete on disk, so a row never points at a partial file.

Each row also carries ``checksum``, a digest of its own fields: a row edited
by hand (or by a damaged disk) no longer matches it, and is neither trusted
by an incremental run nor passed by ``verify``. The format is described in
``docs/backup-format.en.md``; :data:`FORMAT_VERSION` changes with it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wechat_material.backup.store import CLOEXEC, FILE_MODE, NOFOLLOW
from wechat_material.errors import ValidationError
from wechat_material.limits import LIST_KINDS, MaterialType

FORMAT_NAME = "wechat-material-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.sqlite3"

# What a row is a copy of. Files: image (thumbs are listed with them), voice,
# video. Articles (their JSON as WeChat gave it): news (legacy news
# material), draft, published. Pictures the articles use, by URL: asset.
FILE_KINDS = tuple(k for k in LIST_KINDS if k in set(MaterialType) and k != MaterialType.NEWS)
ARTICLE_KINDS = tuple(k for k in LIST_KINDS if k not in FILE_KINDS)
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
    """The manifest database of one backup directory (one writer at a time).

    ``readonly``: for looking only (``verify``, ``ls``, a restore). The file is
    opened read-only, so a backup on read-only media or in a folder the user
    cannot write is read all the same; nothing is written, not even SQLite's
    side files when the folder would not take them.
    """

    def __init__(self, directory: Path, *, create: bool = True, readonly: bool = False) -> None:
        path = directory / MANIFEST_NAME
        if (readonly or not create) and not path.exists():
            raise BackupFormatError(
                f"{directory} is not a backup: it has no {MANIFEST_NAME} "
                "(make one with `wxm backup DIR`)"
            )
        self.path = path
        self.readonly = readonly
        self._lock: int | None = None
        try:
            if readonly:
                self._db, self._lock = open_readonly(path, path.parent / ".lock")
            else:
                self._db = _open_writable(path)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise BackupFormatError(f"{path} is not a readable manifest: {_why(exc)}") from None
        try:
            if not readonly:
                # NORMAL in WAL mode: a commit survives the process being killed at
                # any instant; only a power cut may lose the last commits, never
                # the database's consistency.
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
            self._check_format()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise BackupFormatError(f"{path} is not a readable manifest: {_why(exc)}") from None
        except BaseException:
            self.close()
            raise

    def _check_format(self) -> None:
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not meta and not self.readonly:
            with self.transaction():
                self._db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("format", FORMAT_NAME),
                        ("format_version", str(FORMAT_VERSION)),
                        ("backup_id", uuid.uuid4().hex),
                    ],
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
        if self._lock is not None:
            os.close(self._lock)  # the shared hold of the folder's lock goes with it
            self._lock = None

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

    def backup_id(self) -> str:
        """What names this backup (and its copies) wherever it is: made with the manifest.

        A backup made before the id existed is named by its account and the
        start of its first run, which its copies share too.
        """
        meta = self.meta()
        if meta.get("backup_id"):
            return meta["backup_id"]
        first = self._db.execute("SELECT MIN(started_at) FROM runs").fetchone()[0]
        seed = f"{meta.get('appid', '')}:{first}"
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

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
        """Every run; a summary that is not a JSON object reads as ``{"damaged": True}``."""
        rows = self._db.execute(
            "SELECT id, started_at, finished_at, status, summary FROM runs ORDER BY id"
        ).fetchall()
        return [
            {
                "id": id_,
                "started_at": started,
                "finished_at": finished,
                "status": status,
                "summary": _summary(summary),
            }
            for id_, started, finished, status, summary in rows
        ]


def _summary(text: object) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str | bytes) else None
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"damaged": True}


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


def _refuse_links(path: Path) -> None:
    """The manifest and SQLite's side files are written in place: never through a link."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        if (path.parent / name).is_symlink():
            raise BackupFormatError(
                f"{path.parent / name} is a symbolic link; a backup writes nothing through "
                "links: remove it"
            )


def _open_writable(path: Path) -> sqlite3.Connection:
    _refuse_links(path)
    if not path.exists():
        # Made owner-only before SQLite opens it: its side files take the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | NOFOLLOW, FILE_MODE))
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
    return sqlite3.connect(path, isolation_level=None, timeout=30.0)


def open_readonly(path: Path, lock: Path) -> tuple[sqlite3.Connection, int | None]:
    """A database of a backup opened for reading only, and the lock held meanwhile (an fd).

    When no write-ahead log is left to read (a run that ended cleanly leaves
    none) and no run holds ``lock`` (it is taken shared here, so none starts
    meanwhile), the file is opened immutable: SQLite
    then writes nothing at all, not even its side files, and needs no write
    access. Otherwise the log is read in read-only mode (its index file,
    ``-shm``, must be there already where the folder cannot be written).
    """
    where = urllib.parse.quote(str(path.resolve()))
    wal = path.with_name(f"{path.name}-wal")
    has_log = wal.exists() and wal.stat().st_size > 0
    held = None if has_log else _shared_lock(lock)
    if held is not None:
        db = sqlite3.connect(f"file:{where}?immutable=1", uri=True, isolation_level=None)
        return db, (held if held >= 0 else None)
    db = sqlite3.connect(f"file:{where}?mode=ro", uri=True, isolation_level=None, timeout=30.0)
    try:
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError as exc:
        db.close()
        raise BackupFormatError(
            f"{path} cannot be read where it is ({exc}): its last run left changes in "
            f"{wal.name} that only a writable folder can apply; copy the backup to a "
            "writable place and use the copy"
        ) from None
    return db, None


def _shared_lock(lock: Path) -> int | None:
    """A shared hold of a backup's lock file: -1 if none can be held, None if a run holds it."""
    try:
        fd = os.open(lock, os.O_RDONLY | NOFOLLOW | CLOEXEC)
    except FileNotFoundError:
        return -1
    except PermissionError:
        # Someone else's lock: read-only mode needs to write where we cannot, so the
        # best to be had is immutable; where we can write, read-only mode is safe.
        return None if os.access(lock.parent, os.W_OK) else -1
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
