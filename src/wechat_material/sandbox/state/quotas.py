"""Call quotas and call counters, by account and API path.

WeChat counts calls per account and API path; a day runs from 00:00 to
24:00 China time (UTC+8) and the daily counters reset then. Past the daily
limit a call gets 45009, past a per-minute limit 45011. ``clear_quota``
zeroes the day's counters, 10 times a calendar month (48006 after that).

Only calls that get past authentication use quota; refused calls do not.

The call counters (:class:`CallCounters`, kept in memory) count every call on
arrival, before faults and checks, so a failed or faulted call counts too.
Calls whose account cannot be told (an unknown access_token, an appid the
sandbox does not have) are counted under the appid ``""``, calls to paths
that are not API endpoints under ``"(other)"``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from wechat_material import _endpoints as ep
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.storage import Storage

CHINA_OFFSET = 8 * 3600
CHINA_TIME = timezone(timedelta(seconds=CHINA_OFFSET))
TOKEN_PATH = ep.TOKEN.path
STABLE_TOKEN_PATH = ep.STABLE_TOKEN.path

# [assumed] WeChat publishes per-API limits in the console only; 100,000 a day
# stands for "plenty" on every path it does not document here.
DEFAULT_DAILY_LIMIT = 100_000
DAILY_LIMITS: dict[str, int] = {TOKEN_PATH: 2000, STABLE_TOKEN_PATH: 500_000}
MINUTE_LIMITS: dict[str, int] = {STABLE_TOKEN_PATH: 10_000}
CLEAR_QUOTA_PER_MONTH = 10
# (daily limit, per-minute limit or None)
_Limits = tuple[int, int | None]


def china_day(now: float) -> int:
    """The number of the UTC+8 calendar day ``now`` falls in."""
    return int((now + CHINA_OFFSET) // 86400)


def china_month(now: float) -> str:
    """``YYYY-MM`` of the UTC+8 calendar month ``now`` falls in."""
    return datetime.fromtimestamp(now, CHINA_TIME).strftime("%Y-%m")


class Quotas:
    def __init__(self, storage: Storage, clock: SandboxClock) -> None:
        self._storage = storage
        self._clock = clock
        self._limits: dict[tuple[str, str], _Limits] = {}
        # Minute windows are short-lived: kept in memory, keyed by (appid, path).
        self._minutes: dict[tuple[str, str], tuple[int, int]] = {}
        self._minute_lock = threading.Lock()

    def limits(self, appid: str, path: str) -> _Limits:
        """(daily limit, per-minute limit or None) for a path."""
        key = (appid, path)
        with self._storage.lock:
            cached = self._limits.get(key)
            if cached is not None:
                return cached
            row = self._storage.row(
                "SELECT daily_limit, minute_limit FROM quota_limits "
                "WHERE appid = ? AND cgi_path = ?",
                key,
            )
            if row is not None:
                limits = (int(row["daily_limit"]), row["minute_limit"])
            else:
                limits = (DAILY_LIMITS.get(path, DEFAULT_DAILY_LIMIT), MINUTE_LIMITS.get(path))
            if path in API_PATHS:  # quota/get may name any path: those are not kept
                self._limits[key] = limits
            return limits

    def set_limit(
        self,
        appid: str,
        path: str,
        daily_limit: int,
        minute_limit: int | None = None,
        db: sqlite3.Connection | None = None,
    ) -> None:
        """Written in ``db``'s transaction when given, else in one of its own."""
        if db is None:
            with self._storage.transaction() as own:
                self.set_limit(appid, path, daily_limit, minute_limit, own)
                return
        if daily_limit < 0 or (minute_limit is not None and minute_limit < 0):
            raise ValueError("quota limits cannot be negative")
        db.execute(
            "INSERT INTO quota_limits (appid, cgi_path, daily_limit, minute_limit) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (appid, cgi_path) DO UPDATE SET "
            "daily_limit = excluded.daily_limit, minute_limit = excluded.minute_limit",
            (appid, path, daily_limit, minute_limit),
        )
        self._limits.pop((appid, path), None)

    def used_today(self, appid: str, path: str) -> int:
        row = self._storage.row(
            "SELECT used FROM quota_usage WHERE appid = ? AND cgi_path = ? AND day = ?",
            (appid, path, china_day(self._clock.now())),
        )
        return 0 if row is None else int(row["used"])

    def charge(self, appid: str, path: str) -> None:
        """Count one call, or refuse it with 45011 / 45009 when a quota is spent."""
        now = self._clock.now()
        limits = self.limits(appid, path)
        with self._storage.lock:
            self._check_minute(appid, path, limits, now)
            # Outside any transaction the counting statement is one of its own (one commit).
            self._count_day(self._storage.db, appid, path, limits, now)
            self._count_minute(appid, path, limits, now)

    @contextmanager
    def charged(self, appid: str, path: str) -> Iterator[sqlite3.Connection]:
        """Count one call in a transaction that the block's own writes join.

        The count and the block's writes commit together or not at all: a spent
        quota (45011 / 45009) refuses the call before the block runs, and a call the
        block refuses uses no quota. The block runs under the storage lock.
        """
        now = self._clock.now()
        limits = self.limits(appid, path)
        with self._storage.lock:
            self._check_minute(appid, path, limits, now)
            with self._storage.transaction() as db:
                self._count_day(db, appid, path, limits, now)
                yield db
            # Only once committed: a call rolled back does not count against the minute.
            self._count_minute(appid, path, limits, now)

    # Both callers hold the storage lock from the minute check to the minute count,
    # so two calls cannot both take the last call of a minute.

    def _check_minute(self, appid: str, path: str, limits: _Limits, now: float) -> None:
        per_minute = limits[1]
        if per_minute is None:
            return
        minute = int(now // 60)
        with self._minute_lock:
            window, calls = self._minutes.get((appid, path), (minute, 0))
            if window == minute and calls >= per_minute:
                raise SandboxError(45011, f"{per_minute} calls a minute on {path}")

    def _count_day(
        self, db: sqlite3.Connection, appid: str, path: str, limits: _Limits, now: float
    ) -> None:
        daily = limits[0]
        # Counts the call only while under the limit: it changes no row when today's
        # count has reached it.
        counted = (
            daily > 0
            and db.execute(
                "INSERT INTO quota_usage (appid, cgi_path, day, used) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (appid, cgi_path, day) DO UPDATE SET used = used + 1 "
                "WHERE used < ?",
                (appid, path, china_day(now), daily),
            ).rowcount
        )
        if not counted:
            raise SandboxError(45009, f"{daily} calls a day on {path}")

    def _count_minute(self, appid: str, path: str, limits: _Limits, now: float) -> None:
        if limits[1] is None:
            return
        minute = int(now // 60)
        with self._minute_lock:
            window, calls = self._minutes.get((appid, path), (minute, 0))
            self._minutes[(appid, path)] = (minute, calls + 1 if window == minute else 1)

    def report(self, appid: str, path: str) -> dict[str, dict[str, int]]:
        """The reply of openapi/quota/get for ``path``."""
        daily, per_minute = self.limits(appid, path)
        used = self.used_today(appid, path)
        return {
            "quota": {"daily_limit": daily, "used": used, "remain": max(daily - used, 0)},
            "rate_limit": {"call_count": per_minute or 0, "refresh_second": 60},
        }

    def clear(self, appid: str) -> None:
        """clear_quota: zero today's counters of every path (48006 past 10 a month)."""
        now = self._clock.now()
        month = china_month(now)
        with self._storage.transaction() as db:
            row = db.execute(
                "SELECT clear_month, clear_count FROM accounts WHERE appid = ?", (appid,)
            ).fetchone()
            used = row["clear_count"] if row is not None and row["clear_month"] == month else 0
            if used >= CLEAR_QUOTA_PER_MONTH:
                raise SandboxError(48006, f"clear_quota used {used} times in {month}")
            db.execute(
                "UPDATE accounts SET clear_month = ?, clear_count = ? WHERE appid = ?",
                (month, used + 1, appid),
            )
            db.execute(
                "DELETE FROM quota_usage WHERE appid = ? AND day = ?", (appid, china_day(now))
            )
        with self._minute_lock:
            for key in [k for k in self._minutes if k[0] == appid]:
                del self._minutes[key]

    def forget_cache(self) -> None:
        with self._storage.lock:
            self._limits.clear()
        with self._minute_lock:
            self._minutes.clear()


UNKNOWN_APPID = ""
"""The counter of calls whose account cannot be told, or is not one the sandbox has."""
OTHER_PATH = "(other)"
"""The counter of calls to paths that are not endpoints of the SDK's table."""
API_PATHS = frozenset(endpoint.path for endpoint in ep.ALL if endpoint.path)
MAX_COUNTED_APPIDS = 1000
"""Accounts with counters of their own; calls of any account past these count as unknown."""


class CallCounters:
    """How many times each API path was called, per appid (the admin API reads them).

    The table stays small whatever callers send: made-up appids count under
    :data:`UNKNOWN_APPID` (the caller checks the account exists), made-up paths
    under :data:`OTHER_PATH`, and past :data:`MAX_COUNTED_APPIDS` accounts every
    new one counts as unknown. At most ``MAX_COUNTED_APPIDS + 1`` appids, each
    with at most one counter per endpoint and one for other paths.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, Counter[str]] = {}

    def count(self, appid: str, path: str) -> None:
        if path not in API_PATHS:
            path = OTHER_PATH
        with self._lock:
            calls = self._calls.get(appid)
            if calls is None:
                if len(self._calls) >= MAX_COUNTED_APPIDS and appid != UNKNOWN_APPID:
                    appid = UNKNOWN_APPID
                calls = self._calls.setdefault(appid, Counter())
            calls[path] += 1

    def snapshot(self, appid: str) -> dict[str, int]:
        with self._lock:
            return dict(self._calls.get(appid, {}))

    def size(self) -> int:
        """How many counters there are, over every appid."""
        with self._lock:
            return sum(len(calls) for calls in self._calls.values())

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
