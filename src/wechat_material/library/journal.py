"""The restore journal: what a restore made in a target account (``DIR/restore/<appid>.sqlite3``).

A row goes ``pending`` just before the call that creates something in the
target, and ``done`` (with the new id) once its answer is in. A crash between
the two leaves a ``pending`` row: the next run looks the item up in the
target's own lists by its ``marker`` before creating anything, so a restore
never creates one item twice however it is interrupted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

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


class Journal:
    """One target account's journal (one writer at a time: the backup directory's lock)."""

    def __init__(self, directory: Path, appid: str) -> None:
        folder = directory / "restore"
        folder.mkdir(exist_ok=True)
        self._db = sqlite3.connect(folder / f"{appid}.sqlite3", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get(self, kind: str, old: str) -> Mapping | None:
        row = self._db.execute(
            "SELECT kind, old, new, url, marker, state FROM done WHERE kind = ? AND old = ?",
            (kind, old),
        ).fetchone()
        return Mapping(*row) if row else None

    def pending(self, kind: str) -> list[Mapping]:
        rows = self._db.execute(
            "SELECT kind, old, new, url, marker, state FROM done "
            "WHERE kind = ? AND state = 'pending'",
            (kind,),
        ).fetchall()
        return [Mapping(*row) for row in rows]

    def begin(self, kind: str, old: str, marker: str) -> None:
        """Record that the item is about to be created (committed before the call)."""
        self._db.execute(
            "INSERT INTO done (kind, old, marker, state) VALUES (?, ?, ?, 'pending') "
            "ON CONFLICT(kind, old) DO UPDATE SET marker = excluded.marker, state = 'pending'",
            (kind, old, marker),
        )

    def finish(self, kind: str, old: str, new: str, url: str | None = None) -> None:
        self._db.execute(
            "UPDATE done SET new = ?, url = ?, state = 'done' WHERE kind = ? AND old = ?",
            (new, url, kind, old),
        )
