"""The restore journal: what a restore made in a target account (``DIR/restore/<appid>.sqlite3``).

Where it is (:func:`open_journal`): in the backup folder when that can be
written; else (a mounted archive, a read-only copy) in the user's state
directory, ``<state>/restore/<backup id>/<appid>.sqlite3`` (platformdirs'
``user_state_dir``, or ``WECHAT_MATERIAL_STATE_DIR``), keyed by the backup's
id so that every copy of one backup shares it. A dry run opens an existing
journal read-only and otherwise none at all: it writes nothing anywhere.

A row goes ``sent`` just as the call that creates something in the target
goes out, and ``done`` (with the new id) once its answer is in. A crash between
the two leaves a ``sent`` row (``pending`` in journals of older versions): the
next run looks the item up in the target's own lists, by name and content,
before creating anything, so a restore never creates one item twice however it
is interrupted. The journal is the fast path: a ``done`` row is not looked at
again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from wechat_material.backup.manifest import open_readonly
from wechat_material.backup.store import CLOEXEC, FILE_MODE, NOFOLLOW, locked, real_folder
from wechat_material.errors import ValidationError

STATE_DIR_ENV = "WECHAT_MATERIAL_STATE_DIR"
APP_NAME = "wechat-material"
_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS done (
    kind TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT,
    url TEXT,
    marker TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (kind, old)
);
"""


@dataclass(frozen=True)
class Mapping:
    kind: str
    old: str
    new: str | None
    url: str | None
    marker: str
    state: str


def state_dir() -> Path:
    """``WECHAT_MATERIAL_STATE_DIR``, else the platform's state directory for this package."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # the command line's extra; only needed for read-only backups

    return platformdirs.user_state_path(APP_NAME)


def _file_name(value: str) -> str:
    """``value`` as a file name: itself when plain, else a digest of it (never a path)."""
    if _PLAIN.fullmatch(value):
        return value
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK | os.X_OK)


def journal_path(directory: Path, backup_id: str, appid: str) -> Path:
    """Where the journal of restoring the backup in ``directory`` into ``appid`` is kept."""
    name = f"{_file_name(appid)}.sqlite3"
    if writable(directory):
        return directory / "restore" / name
    return state_dir() / "restore" / _file_name(backup_id) / name


def open_journal(directory: Path, backup_id: str, appid: str, *, dry_run: bool = False) -> Journal:
    """The journal for a restore of ``directory`` into ``appid`` (see the module's notes).

    A journal the backup folder holds from when it was writable is carried
    over (copied) to the state directory the first time, so no work is lost.
    """
    path = journal_path(directory, backup_id, appid)
    inside = directory / "restore" / path.name
    if dry_run:
        for found in (path, inside):
            if found.exists():
                held = directory / ".lock" if found == inside else found.parent / ".lock"
                return Journal(found, readonly=True, lock=held)
        return Journal(None)
    try:
        if path != inside and inside.exists() and not path.exists():
            _carry_over(inside, path)
        return Journal(path)
    except (OSError, sqlite3.Error) as exc:
        why = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        raise ValidationError(
            f"cannot keep the restore journal in {path.parent}: {why}; "
            f"set {STATE_DIR_ENV} to a folder you can write"
        ) from None


def _carry_over(old: Path, path: Path) -> None:
    """Copy the journal ``old`` to ``path``, whole or not at all."""
    real_folder(_made(path.parent))
    part = path.with_name(f".{path.name}.part")
    part.unlink(missing_ok=True)
    with Journal(old, readonly=True, lock=old.parent.parent / ".lock") as source:
        copy = _connect(part)
        try:
            source._db.backup(copy)
        finally:
            copy.close()
    os.replace(part, path)


def _made(folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | NOFOLLOW | CLOEXEC, FILE_MODE))
    return sqlite3.connect(path, isolation_level=None)


def journal_lock(journal: Journal, directory: Path) -> contextlib.AbstractContextManager[None]:
    """What a restore holds while it writes ``journal``.

    The backup folder when the journal is in it (a backup and a restore of
    one folder exclude each other); the journal's folder in the state
    directory otherwise; nothing for a journal that is only looked at.
    """
    if journal.path is None or journal.readonly:
        return contextlib.nullcontext()
    if journal.path.parent == directory / "restore":
        return locked(directory)
    return locked(journal.path.parent)


class Journal:
    """One target account's journal (one writer at a time: the backup directory's lock).

    ``path`` None: an empty journal in memory (a dry run with no journal yet);
    ``readonly``: one that is looked at, never written (``lock``: the lock file
    a restore that writes it holds, taken shared meanwhile).
    """

    def __init__(
        self, path: Path | None, *, readonly: bool = False, lock: Path | None = None
    ) -> None:
        self.path = path
        self.readonly = readonly
        self._lock: int | None = None
        if path is None:
            self._db = sqlite3.connect(":memory:", isolation_level=None)
        elif readonly:
            # ``lock``: what a restore writing this journal holds (see journal_lock).
            self._db, self._lock = open_readonly(path, lock or path.parent / ".lock")
        else:
            real_folder(_made(path.parent))
            if path.is_symlink():
                raise ValidationError(
                    f"{path} is a symbolic link; a journal is never written through one: remove it"
                )
            self._db = _connect(path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        if not readonly:
            self._db.executescript(_SCHEMA)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def get(self, kind: str, old: str) -> Mapping | None:
        row = self._db.execute(
            "SELECT kind, old, new, url, marker, state FROM done WHERE kind = ? AND old = ?",
            (kind, old),
        ).fetchone()
        return Mapping(*row) if row else None

    def is_done(self, kind: str, old: str) -> bool:
        row = self.get(kind, old)
        return row is not None and row.state == "done"

    def created(self) -> set[str]:
        """Every id this journal holds as made (or adopted) in the target."""
        rows = self._db.execute("SELECT new FROM done WHERE state = 'done' AND new IS NOT NULL")
        return {row[0] for row in rows}

    def sent(self, kind: str, old: str) -> None:
        """Record that the creating call is going out now (committed before it does)."""
        self._db.execute(
            "INSERT INTO done (kind, old, marker, state) VALUES (?, ?, '', 'sent') "
            "ON CONFLICT(kind, old) DO UPDATE SET state = 'sent'",
            (kind, old),
        )

    def unsent(self, kind: str, old: str) -> None:
        """The call was refused before anything went out: forget the ``sent`` row."""
        self._db.execute(
            "DELETE FROM done WHERE kind = ? AND old = ? AND state != 'done'", (kind, old)
        )

    def finish(self, kind: str, old: str, new: str, url: str | None = None) -> None:
        self._db.execute(
            "INSERT INTO done (kind, old, new, url, marker, state) VALUES (?, ?, ?, ?, '', 'done') "
            "ON CONFLICT(kind, old) DO UPDATE SET new = excluded.new, url = excluded.url, "
            "state = 'done'",
            (kind, old, new, url),
        )
