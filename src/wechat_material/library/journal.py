"""The restore journal: what a restore made in a target account (``DIR/restore/<appid>.sqlite3``).

A row goes ``sent`` just as the call that creates something in the target
goes out, and ``done`` (with the new id) once its answer is in. A crash between
the two leaves a ``sent`` row (``pending`` in journals of older versions): the
next run looks the item up in the target's own lists, by name and content,
before creating anything, so a restore never creates one item twice however it
is interrupted. The journal is the fast path: a ``done`` row is not looked at
again.
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
