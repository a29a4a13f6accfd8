"""How persistent a client is when WeChat or the network fails: all of it bounded.

>>> from wechat_material import WeChatClient, RetryPolicy
>>> client = WeChatClient("wx...", "secret", retry=RetryPolicy(max_attempts=5))
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long a call is retried.

    - ``max_attempts``: tries of one call in all (1: never retry). Reads are
      retried on connection errors, timeouts, HTTP 5xx and ``-1 system error``;
      uploads and other calls that could create a duplicate only when the
      connection was never made or WeChat answered ``-1``. A refused connection
      or a timeout is tried once more at most, and a host name that does not
      resolve not at all: a server that is down fails the call within one
      more timeout, not one per attempt.
    - ``backoff_base`` / ``backoff_max``: the wait before retry *n* is
      ``backoff_base * 2**(n-1)`` seconds, at most ``backoff_max``; with
      ``jitter`` it is a random time between half of that and all of it, so
      many clients do not retry in step.
    - ``wait_on_rate_limit``: on ``45011`` (minute quota spent) wait for the
      next minute and try once more, if that is no more than
      ``max_rate_limit_wait`` seconds away. Off by default: a batch job wants
      it, a web request usually does not.

    A rejected token (40001/40014/42001) is always refreshed once and the call
    replayed once; that replay is not counted here.
    """

    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    jitter: bool = True
    wait_on_rate_limit: bool = False
    max_rate_limit_wait: float = 61.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, not {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must not be negative")
        if self.max_rate_limit_wait < 0:
            raise ValueError("max_rate_limit_wait must not be negative")

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that sends each call once (the token replay still happens)."""
        return cls(max_attempts=1)

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        full = min(self.backoff_max, self.backoff_base * 2.0 ** (retry - 1))
        if not self.jitter:
            return full
        return full / 2 + rng.uniform(0, full / 2)
