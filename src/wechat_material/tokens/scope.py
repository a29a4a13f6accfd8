"""Whose token a store slot holds: the scope of a client.

A token is only good for the API host that issued it and for the credentials
it was issued to. The clients therefore keep their token under a *scope key*
made of three parts, in every store (memory, file, Redis)::

    wx0123456789abcdef.u562dc91521a3.sb76c0319c60514de
    └─── appid ──────┘ └ base URL ─┘ └──── secret ───┘

* ``u…``: the first 12 hex digits of the SHA-256 of the normalised base URL
  (scheme, host and port always written out, path without a trailing slash),
  so that ``https://api.weixin.qq.com/`` and ``https://API.weixin.qq.com:443``
  share a token and another host never receives it;
* ``s…``: the first 16 hex digits of the SHA-256 of the secret salted with the
  appid, so that a client with a wrong secret never borrows the token fetched
  with the right one, and fails at once instead. The secret itself is in no
  key, file name or value; ``f`` stands for a client that gets its tokens
  from a ``token_fetcher``.

The key holds only what an appid may hold (letters, digits, ``_``, ``-``)
and dots, so any store may use it where it used an appid, including in a file
name. Entries written under a bare appid (the layout before scopes) are never
read by a client: they are left to expire.

Only :class:`AsyncScopedTokenStore` is written by hand: :class:`ScopedTokenStore`,
at the end of the module, is made from it by ``scripts/unasync.py``.
"""

from __future__ import annotations

import hashlib
import inspect
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from wechat_material.errors import ValidationError
from wechat_material.tokens.base import AccessToken, AsyncTokenStore, TokenStore

__all__ = [
    "AsyncScopedTokenStore",
    "ScopedTokenStore",
    "TokenScope",
    "normalised_base_url",
    "scoped_store",
    "token_scope",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_DIGITS = 12
_SECRET_DIGITS = 16
# Salts the secret digest with this project's name as well as the appid: a
# digest here matches no other program's sha256(appid + secret).
_SECRET_SALT = "wechat-material token scope"  # noqa: S105 - a public salt


@dataclass(frozen=True)
class TokenScope:
    """One client's slot in a token store; its ``repr`` shows no secret (nor its digest)."""

    base_url: str  # normalised
    appid: str
    key: str

    def __repr__(self) -> str:
        return f"TokenScope(appid={self.appid!r}, base_url={self.base_url!r})"


def normalised_base_url(base_url: str) -> str:
    """``scheme://host:port/path``, lower-case, port written out, no trailing slash.

    Raises :class:`ValidationError` if ``base_url`` is not an http(s) URL.
    """
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname
    try:
        port = parts.port
    except ValueError:
        port, host = None, None
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValidationError(f"base_url must be http(s)://host[:port][/path], not {base_url!r}")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    path = parts.path.rstrip("/")
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS[scheme]}{path}"


def token_scope(base_url: str, appid: str, secret: str | None) -> TokenScope:
    """The scope of a client of ``appid`` at ``base_url``; ``secret`` None: a ``token_fetcher``.

    The one place every store's key comes from (see this module's docstring).
    """
    url = normalised_base_url(base_url)
    where = hashlib.sha256(url.encode()).hexdigest()[:_URL_DIGITS]
    if secret is None:
        who = "f"
    else:
        salted = f"{_SECRET_SALT}\0{appid}\0{secret}".encode()
        who = "s" + hashlib.sha256(salted).hexdigest()[:_SECRET_DIGITS]
    return TokenScope(url, appid, f"{appid}.u{where}.{who}")


class AsyncScopedTokenStore:
    """A token store seen by one client: its slot is the scope's key, not the bare appid.

    It wraps the :class:`AsyncTokenStore` it is given. The manager still names
    the appid; the scope's key already holds it.
    """

    def __init__(self, store: AsyncTokenStore, scope: TokenScope) -> None:
        self.store = store
        self.scope = scope

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.store!r}, {self.scope!r})"

    async def load(self, appid: str) -> AccessToken | None:
        return await self.store.load(self.scope.key)

    async def save(self, appid: str, token: AccessToken) -> None:
        await self.store.save(self.scope.key, token)

    async def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        return await self.store.discard(self.scope.key, value)

    def lock(self, appid: str) -> AbstractAsyncContextManager[object]:
        return self.store.lock(self.scope.key)


def scoped_store(
    store: TokenStore | AsyncTokenStore, scope: TokenScope
) -> ScopedTokenStore | AsyncScopedTokenStore:
    """``store`` keyed by ``scope``: what a client does with the ``token_store`` it is given."""
    if isinstance(store, ScopedTokenStore | AsyncScopedTokenStore):
        store = store.store
    if inspect.iscoroutinefunction(store.load):
        return AsyncScopedTokenStore(cast(AsyncTokenStore, store), scope)
    return ScopedTokenStore(cast(TokenStore, store), scope)


# ---- generated by scripts/unasync.py from AsyncScopedTokenStore above: do not edit ----
class ScopedTokenStore:
    """A token store seen by one client: its slot is the scope's key, not the bare appid.

    It wraps the :class:`TokenStore` it is given. The manager still names
    the appid; the scope's key already holds it.
    """

    def __init__(self, store: TokenStore, scope: TokenScope) -> None:
        self.store = store
        self.scope = scope

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.store!r}, {self.scope!r})"

    def load(self, appid: str) -> AccessToken | None:
        return self.store.load(self.scope.key)

    def save(self, appid: str, token: AccessToken) -> None:
        self.store.save(self.scope.key, token)

    def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        return self.store.discard(self.scope.key, value)

    def lock(self, appid: str) -> AbstractContextManager[object]:
        return self.store.lock(self.scope.key)


# ---- end of generated code ----
