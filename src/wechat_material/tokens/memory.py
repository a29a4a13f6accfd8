"""Tokens kept in this process's memory: the default store.

Enough for one process with any number of threads or asyncio tasks. Several
processes or hosts need a store they share (:class:`FileTokenStore` on one
host, :class:`RedisTokenStore` across hosts), or each of them will call
``/token`` and end the others' tokens.

The clients share their default store across the whole process: every client
of one account (same API host, appid and secret: the same scope key, see
:mod:`.scope`) made without a ``token_store`` uses the same
:func:`shared_memory_store`, so that a client made per web request reuses the
token instead of calling ``/token`` each time, and two clients never end each
other's tokens.
"""

from __future__ import annotations

import threading

from wechat_material.tokens.base import AccessToken


class MemoryTokenStore:
    """A :class:`~wechat_material.tokens.base.TokenStore` in a dict, one lock per appid.

    Usable by :class:`TokenManager` and :class:`AsyncTokenManager` alike::

        store = MemoryTokenStore()
        manager = TokenManager("wx1234", fetch, store)
    """

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        with self._guard:
            appids = sorted(self._tokens)
        return f"MemoryTokenStore(appids={appids!r})"

    def load(self, appid: str) -> AccessToken | None:
        with self._guard:
            return self._tokens.get(appid)

    def save(self, appid: str, token: AccessToken) -> None:
        with self._guard:
            self._tokens[appid] = token

    def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        with self._guard:
            current = self._tokens.get(appid)
            if current is None or current.value != value:
                return False
            del self._tokens[appid]
            return True

    def lock(self, appid: str) -> threading.Lock:
        """The lock held while one caller fetches this appid's token."""
        with self._guard:
            return self._locks.setdefault(appid, threading.Lock())


_shared: dict[str, MemoryTokenStore] = {}
_shared_guard = threading.Lock()


def shared_memory_store(scope: str) -> MemoryTokenStore:
    """This process's memory store for ``scope``: the same store on every call.

    The clients use one per scope key (:func:`~.scope.token_scope`: API host,
    appid and a digest of the secret), unless given a ``token_store``.
    """
    with _shared_guard:
        store = _shared.get(scope)
        if store is None:
            store = _shared[scope] = MemoryTokenStore()
        return store


def forget_shared_memory_stores() -> None:
    """Drop every token the clients of this process keep by default.

    For test suites that reset a sandbox between tests: its old tokens are
    gone, and clients made afterwards should not try them first.
    """
    with _shared_guard:
        _shared.clear()
