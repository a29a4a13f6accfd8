"""The shapes every token store and manager share.

A *store* keeps one :class:`AccessToken` per slot and offers a lock, so that
many threads, tasks, processes or hosts agree on one token and only one of
them ever fetches a new one. Its methods name the slot ``appid``: a manager
used on its own passes its appid; the clients' stores (see :mod:`.scope`)
pass their scope key instead, so that a token reaches no other API host and
no other secret. A *manager* (see :mod:`.manager`) decides when to
fetch; a *fetcher* (given by the client) does the HTTP call to ``/token`` or
``/stable_token``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from wechat_material._redact import mask

__all__ = [
    "AccessToken",
    "AsyncFetcher",
    "AsyncTokenStore",
    "Fetcher",
    "TokenGrant",
    "TokenStore",
    "mask",
]


@dataclass(frozen=True)
class AccessToken:
    """An access token and the moment (epoch seconds) it stops working.

    Its ``repr`` masks the value: tokens never reach logs whole.
    """

    value: str = field(repr=False)
    expires_at: float

    def __repr__(self) -> str:
        return f"AccessToken(value={mask(self.value)}, expires_at={self.expires_at:.0f})"

    def expires_in(self, now: float) -> float:
        return self.expires_at - now

    def fresh(self, now: float, margin: float) -> bool:
        """True while more than ``margin`` seconds of life remain."""
        return self.expires_at - now > margin


@dataclass(frozen=True)
class TokenGrant:
    """What ``/token`` or ``/stable_token`` answered."""

    access_token: str = field(repr=False)
    expires_in: int

    def __repr__(self) -> str:
        return f"TokenGrant(access_token={mask(self.access_token)}, expires_in={self.expires_in})"


Fetcher = Callable[[], TokenGrant]
AsyncFetcher = Callable[[], Awaitable[TokenGrant]]


@runtime_checkable
class TokenStore(Protocol):
    """Where tokens live (sync). Implementations: memory, file, Redis."""

    def load(self, appid: str) -> AccessToken | None: ...

    def save(self, appid: str, token: AccessToken) -> None: ...

    def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        ...

    def lock(self, appid: str) -> AbstractContextManager[object]:
        """Held while one caller fetches a new token; others wait, then reload.

        A lock that can expire while held (Redis's, after ``lock_timeout``)
        also has ``still_held() -> bool``: a fetch that outlived it then keeps
        a newer token saved meanwhile rather than overwrite it.
        """
        ...


@runtime_checkable
class AsyncTokenStore(Protocol):
    """The async twin of :class:`TokenStore`."""

    async def load(self, appid: str) -> AccessToken | None: ...

    async def save(self, appid: str, token: AccessToken) -> None: ...

    async def discard(self, appid: str, value: str) -> bool: ...

    def lock(self, appid: str) -> AbstractAsyncContextManager[object]:
        """As :meth:`TokenStore.lock`; ``still_held()``, if any, is async here."""
        ...
