"""The request journal: the latest API calls, newest last, for the console to show.

A bounded ring buffer kept in memory (never persisted): once it holds
``capacity`` calls, each new one pushes out the oldest. Every call gets a
sequence number that only grows, so a reader that remembers the last number
it saw asks for what came after it (:meth:`Journal.after`) and misses nothing
that is still held.

Secrets never enter it: the query string is masked with
:func:`wechat_material._redact.hide_query_secrets` before it is recorded (the
names read decoded, so ``%73ecret=`` is masked like ``secret=``; the admin
token too), and no request body is kept.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from wechat_material._redact import SECRET_NAMES, hide_query_secrets, hide_secret_params

DEFAULT_CAPACITY = 1000
HIDDEN_NAMES = SECRET_NAMES | {"admin_token"}
"""The parameters whose values the sandbox never shows: the SDK's secrets and its own."""
_MAX_MASKED = 256
"""Query strings kept masked: a client repeats its token in call after call."""


@dataclass(frozen=True)
class CallRecord:
    """One API call as the HTTP layer saw it."""

    at: float
    """When it arrived, by the sandbox clock (epoch seconds)."""
    method: str
    path: str
    query: str
    """The query string (masked once recorded)."""
    appid: str
    """The account it was made for; "" when that cannot be told."""
    status: int
    """The HTTP status; 0 when the connection was cut before any reply."""
    errcode: int | None
    """The errcode of a JSON reply (0 for success without one); None for files and pages."""
    errmsg: str
    latency_ms: float
    fault: str
    """The fault applied ("error", "http_5xx", "drop", "delay"), or ""."""
    content_type: str


@dataclass(frozen=True)
class JournalEntry(CallRecord):
    """A recorded call: its secrets masked, numbered in the order calls arrived."""

    seq: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """The ring buffer of the latest calls; thread-safe."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("the journal must hold at least one call")
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._last = 0
        # Query → the same query masked; private to the journal, never shown or saved.
        self._masked: dict[str, str] = {}

    def _mask(self, query: str) -> str:
        masked = self._masked.get(query)
        if masked is None:
            masked = hide_query_secrets(query, names=HIDDEN_NAMES)
            if len(self._masked) >= _MAX_MASKED:
                self._masked.clear()
            self._masked[query] = masked
        return masked

    def record(self, call: CallRecord) -> JournalEntry:
        # Every field is a str or a number: a shallow copy is enough (asdict deep-copies,
        # which was a fifth of the sandbox's time per request).
        fields = dict(vars(call))
        fields["errmsg"] = hide_secret_params(call.errmsg) if call.errmsg else ""
        with self._lock:
            fields["query"] = self._mask(call.query)
            self._last += 1
            entry = JournalEntry(**fields, seq=self._last)
            self._entries.append(entry)
        return entry

    @property
    def last_seq(self) -> int:
        """The number of the latest call recorded (0 before the first)."""
        with self._lock:
            return self._last

    def after(self, seq: int, limit: int | None = None) -> list[JournalEntry]:
        """The calls numbered above ``seq`` that are still held, oldest first
        (the oldest ``limit`` of them when given)."""
        with self._lock:
            found = [entry for entry in self._entries if entry.seq > seq]
        return found if limit is None else found[:limit]

    def latest(self, count: int) -> list[JournalEntry]:
        """The newest ``count`` calls, oldest first."""
        with self._lock:
            held = list(self._entries)
        return held[-count:] if count > 0 else []

    def get(self, seq: int) -> JournalEntry | None:
        with self._lock:
            return next((entry for entry in self._entries if entry.seq == seq), None)

    def clear(self) -> None:
        """Forget the calls held; numbering goes on, so readers see no repeats."""
        with self._lock:
            self._entries.clear()
            self._masked.clear()
