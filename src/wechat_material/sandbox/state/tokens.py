"""Access tokens: how /token and /stable_token hand them out and how calls check them.

``/token`` issues a new token on every call. The one it replaces keeps working
for min(5 minutes, its own expiry); a third call ends the first at once
[assumed], so at most two /token tokens of an account work at any moment.

``/stable_token`` returns the same token while more than 5 minutes of it are
left. In its last 5 minutes a call issues a new one and the old one runs out
on its own. ``force_refresh`` issues a new token and ends the old one at once,
at most 20 times a (UTC+8) day and 30 s apart; otherwise it acts like a
normal call. Tokens of the two endpoints never affect each other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from wechat_material.limits import ACCESS_TOKEN_LIFETIME, TOKEN_OVERLAP
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.quotas import china_day
from wechat_material.sandbox.state.storage import Storage
from wechat_material.tokens.base import mask

TOKEN = "token"  # noqa: S105 - a kind of token, not a secret
STABLE = "stable"
FORCE_REFRESH_PER_DAY = 20
FORCE_REFRESH_GAP = 30.0
# Tokens are forgotten a week after they expire; until then they answer 40001/42001
# rather than 40014, as WeChat does for tokens it once issued.
FORGET_AFTER = 7 * 86400
SWEEP_EVERY = 60.0
"""Tokens past FORGET_AFTER are deleted at most this often (sandbox seconds), not per grant."""
# Every API call looks its token up (twice: to count the call, then to admit it), so
# known tokens are kept in memory; any change to the tokens table empties this.
_MAX_REMEMBERED = 4096


@dataclass(frozen=True)
class Grant:
    """A token as the endpoint returns it."""

    access_token: str = field(repr=False)
    expires_in: int

    def __repr__(self) -> str:
        return f"Grant(access_token={mask(self.access_token)}, expires_in={self.expires_in})"


class Tokens:
    def __init__(self, storage: Storage, clock: SandboxClock, ids: IdMaker) -> None:
        self._storage = storage
        self._clock = clock
        self._ids = ids
        # value → (appid, expires_at, ended_at), as in the database.
        self._remembered: dict[str, tuple[str, float, float | None]] = {}
        self._swept_at: float | None = None

    def _lookup(self, value: str) -> tuple[str, float, float | None] | None:
        found = self._remembered.get(value)
        if found is not None:
            return found
        # Under the lock, so that a change made meanwhile cannot be undone by a stale row.
        with self._storage.lock:
            row = self._storage.row(
                "SELECT appid, expires_at, ended_at FROM tokens WHERE value = ?", (value,)
            )
            if row is None:
                return None  # not remembered: anyone can send made-up tokens
            if len(self._remembered) >= _MAX_REMEMBERED:
                self._remembered.clear()
            found = self._remembered[value] = (row["appid"], row["expires_at"], row["ended_at"])
            return found

    def forget_cache(self) -> None:
        """Drop what is remembered of the tokens table (after it changed)."""
        with self._storage.lock:
            self._remembered.clear()

    def _insert(self, db: sqlite3.Connection, appid: str, kind: str, now: float) -> Grant:
        value = self._ids.access_token()
        db.execute(
            "INSERT INTO tokens (value, appid, kind, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (value, appid, kind, now, now + ACCESS_TOKEN_LIFETIME),
        )
        if self._swept_at is None or abs(now - self._swept_at) >= SWEEP_EVERY:
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (now - FORGET_AFTER,))
            self._swept_at = now
        return Grant(value, ACCESS_TOKEN_LIFETIME)

    def issue(self, appid: str, db: sqlite3.Connection | None = None) -> Grant:
        """The token endpoint: a new token; the previous one gets its 5-minute overlap.

        Written in ``db``'s transaction when given (the caller holds the storage
        lock), else in one of its own.
        """
        if db is None:
            with self._storage.transaction() as own:
                return self.issue(appid, own)
        now = self._clock.now()
        self._remembered.clear()
        # One statement, two kinds of rows: the current token gets its overlap, and a
        # token still in its overlap is ended by this rotation. Each side of the OR is a
        # search of tokens_live (SQLite's multi-index OR), never a scan of the table.
        db.execute(
            "UPDATE tokens SET ended_at = "
            "CASE WHEN ended_at IS NULL THEN min(expires_at, ?) ELSE ? END "
            "WHERE (appid = ? AND kind = ? AND ended_at IS NULL AND expires_at > ?) "
            "OR (appid = ? AND kind = ? AND ended_at > ?)",
            (now + TOKEN_OVERLAP, now, appid, TOKEN, now, appid, TOKEN, now),
        )
        return self._insert(db, appid, TOKEN, now)

    def stable(
        self, appid: str, force_refresh: bool = False, db: sqlite3.Connection | None = None
    ) -> Grant:
        """The stable_token endpoint in normal or force_refresh mode.

        Written in ``db``'s transaction when given (the caller holds the storage
        lock), else in one of its own.
        """
        if db is None:
            with self._storage.transaction() as own:
                return self.stable(appid, force_refresh, own)
        now = self._clock.now()
        self._remembered.clear()
        current = db.execute(
            "SELECT value, expires_at FROM tokens WHERE appid = ? AND kind = ? "
            "AND ended_at IS NULL AND expires_at > ? ORDER BY issued_at DESC LIMIT 1",
            (appid, STABLE, now),
        ).fetchone()
        if force_refresh and self._may_force(db, appid, now):
            db.execute(
                "UPDATE tokens SET ended_at = ? WHERE appid = ? AND kind = ? "
                "AND (ended_at IS NULL OR ended_at > ?)",
                (now, appid, STABLE, now),
            )
            return self._insert(db, appid, STABLE, now)
        if current is not None and current["expires_at"] - now > TOKEN_OVERLAP:
            return Grant(current["value"], int(current["expires_at"] - now))
        # Last 5 minutes (or none yet): a new token; the old one runs out on its own.
        return self._insert(db, appid, STABLE, now)

    def _may_force(self, db: sqlite3.Connection, appid: str, now: float) -> bool:
        row = db.execute(
            "SELECT force_day, force_count, force_last FROM accounts WHERE appid = ?", (appid,)
        ).fetchone()
        day = china_day(now)
        count = row["force_count"] if row["force_day"] == day else 0
        last = row["force_last"]
        if count >= FORCE_REFRESH_PER_DAY or (last is not None and now - last < FORCE_REFRESH_GAP):
            return False
        db.execute(
            "UPDATE accounts SET force_day = ?, force_count = ?, force_last = ? WHERE appid = ?",
            (day, count + 1, now, appid),
        )
        return True

    def check(self, value: str | None) -> str:
        """The appid a token belongs to, or the errcode WeChat gives for it."""
        if not value:
            raise SandboxError(41001)
        found = self._lookup(value)
        if found is None:
            raise SandboxError(40014, "no such token")
        appid, expires_at, ended = found
        now = self._clock.now()
        if ended is not None and ended < expires_at and now >= ended:
            raise SandboxError(40001, "the token was replaced or revoked")
        if now >= expires_at:
            raise SandboxError(42001)
        return str(appid)

    def owner(self, value: str) -> str | None:
        """The appid a token was issued to, whether or not it still works."""
        found = self._lookup(value)
        return None if found is None else str(found[0])

    def revoke(self, appid: str) -> None:
        """End every token of the account now (calls then get 40001)."""
        now = self._clock.now()
        with self._storage.transaction() as db:
            self._remembered.clear()
            db.execute(
                "UPDATE tokens SET ended_at = ? WHERE appid = ? "
                "AND (ended_at IS NULL OR ended_at > ?) AND expires_at > ?",
                (now, appid, now, now),
            )
