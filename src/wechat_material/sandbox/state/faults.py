"""The fault plan: which calls get slow, failing, broken or cut-off replies, on purpose.

A rule applies to one endpoint (``/cgi-bin/token``, or ``token`` for short), a
prefix (``/mmbiz/*``) or everything (``*``: every /cgi-bin call and every file
the sandbox serves; never the admin API). Each matching call first waits
``latency_ms`` plus up to ``jitter_ms``, then one draw picks what happens:

- ``error_rate``: the reply is ``{"errcode": -1, "errmsg": "system error ..."}``
  (or the rule's ``errcode``: 45009, 40001... to play any refusal once);
- ``http_5xx_rate``: a gateway's 502 or 503 HTML page;
- ``drop_rate``: the real reply starts (headers and part of the body), then
  the connection is cut: the client sees a protocol error;
- otherwise the call goes through.

Every rule draws from its own random generator, seeded by ``seed`` (or the
sandbox's seed), so the same seed gives the same sequence of faults. With
``count`` the rule applies to the next N matching calls only. Faulted calls
are still counted (the counting happens before the fault layer).

This is the plan and its draws only; :mod:`wechat_material.sandbox.http.middleware`
carries the decisions out on the wire.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from wechat_material.sandbox.state.config import API_PREFIX

MAX_DELAY_MS = 60_000


@dataclass(frozen=True)
class FaultRule:
    endpoint: str = "*"
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0.0
    http_5xx_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None
    count: int | None = None
    errcode: int = -1

    def __post_init__(self) -> None:
        if isinstance(self.errcode, bool) or not isinstance(self.errcode, int):
            raise ValueError("errcode must be an integer (a WeChat errcode such as 45009)")
        if self.errcode == 0:
            raise ValueError("errcode 0 is success, not a fault")
        rates = (self.error_rate, self.http_5xx_rate, self.drop_rate)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must each be within 0..1 and add up to at most 1")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms cannot be negative")
        # Not NaN, not infinite: a call (and the server's shutdown) would wait for ever.
        if not (self.latency_ms <= MAX_DELAY_MS and self.jitter_ms <= MAX_DELAY_MS):
            raise ValueError(f"latency_ms and jitter_ms are at most {MAX_DELAY_MS} (a minute)")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or None for no limit)")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def endpoint_pattern(endpoint: str) -> str:
    """``token`` → ``/cgi-bin/token``; ``*`` and full paths unchanged."""
    if endpoint == "*" or endpoint.startswith("/"):
        return endpoint
    return API_PREFIX + endpoint


class Outcome(Enum):
    THROUGH = "through"
    ERROR = "error"
    HTTP_5XX = "http_5xx"
    DROP = "drop"


@dataclass(frozen=True)
class Decision:
    delay: float  # seconds
    outcome: Outcome
    status: int = 200
    errcode: int = -1


class _ActiveRule:
    def __init__(self, rule: FaultRule, seed: int) -> None:
        self.rule = rule
        self.rng = random.Random(seed)  # noqa: S311 - reproducibility is the point
        self.remaining = rule.count

    def draw(self) -> Decision:
        rule = self.rule
        delay = rule.latency_ms + (self.rng.uniform(0, rule.jitter_ms) if rule.jitter_ms else 0.0)
        roll = self.rng.random()
        if roll < rule.error_rate:
            return Decision(delay / 1000, Outcome.ERROR, errcode=rule.errcode)
        if roll < rule.error_rate + rule.http_5xx_rate:
            return Decision(delay / 1000, Outcome.HTTP_5XX, self.rng.choice((502, 503)))
        if roll < rule.error_rate + rule.http_5xx_rate + rule.drop_rate:
            return Decision(delay / 1000, Outcome.DROP)
        return Decision(delay / 1000, Outcome.THROUGH)


class FaultPlan:
    """The active rules; thread-safe."""

    def __init__(self, default_seed: Callable[[], int]) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, _ActiveRule] = {}
        self._default_seed = default_seed

    def set(self, rule: FaultRule) -> None:
        """Add a rule, replacing any rule for the same endpoint."""
        pattern = endpoint_pattern(rule.endpoint)
        seed = rule.seed if rule.seed is not None else self._default_seed()
        with self._lock:
            self._rules[pattern] = _ActiveRule(rule, seed)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [active.rule for active in self._rules.values()]

    def _match(self, path: str) -> tuple[str, _ActiveRule] | None:
        """The most specific rule: the exact path, else the longest prefix, else ``*``."""
        if path in self._rules:
            return path, self._rules[path]
        prefixes = [p for p in self._rules if p.endswith("*") and path.startswith(p[:-1])]
        if not prefixes:
            return None
        pattern = max(prefixes, key=len)
        return pattern, self._rules[pattern]

    def decide(self, path: str) -> Decision | None:
        """What happens to this call; None when no rule applies."""
        if not self._rules:  # the common case: no lock, no work
            return None
        with self._lock:
            found = self._match(path)
            if found is None:
                return None
            pattern, active = found
            decision = active.draw()
            if active.remaining is not None:
                active.remaining -= 1
                if active.remaining <= 0:
                    del self._rules[pattern]
            return decision
