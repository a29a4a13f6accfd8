"""How many times each /cgi-bin path was called, per appid (kept in memory).

Calls are counted when they arrive, before faults and checks, so a failed or
faulted call counts too. Calls whose account cannot be told (an unknown
access_token) are counted under the appid ``""``.
"""

from __future__ import annotations

import threading
from collections import Counter


class CallCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, Counter[str]] = {}

    def count(self, appid: str, path: str) -> None:
        with self._lock:
            self._calls.setdefault(appid, Counter())[path] += 1

    def snapshot(self, appid: str) -> dict[str, int]:
        with self._lock:
            return dict(self._calls.get(appid, {}))

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
