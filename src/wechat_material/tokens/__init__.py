"""Access tokens that hold under load: one fetch per rotation, shared by every process.

::

    from wechat_material.tokens import TokenManager, RedisTokenStore

    manager = TokenManager(appid, fetch, RedisTokenStore.from_url("redis://localhost/0"))
    token = manager.get()          # fetched once, then shared
    manager.invalidate(token)      # after a 40001/42001: the next get() fetches once

Stores: :class:`MemoryTokenStore` (one process; the clients' default is
:func:`shared_memory_store`, one per account for the whole process),
:class:`FileTokenStore` (processes of one host), :class:`RedisTokenStore` and
:class:`AsyncRedisTokenStore` (any number of hosts). The clients keep their
token in any of them under their scope (:func:`token_scope`: API host, appid
and a digest of the secret), so that it reaches no other host and no other
secret. Tokens from a source of your own: :func:`fetcher_from_callable`,
:func:`fetcher_from_url` and their async twins.
"""

import importlib
from typing import TYPE_CHECKING, Any

from wechat_material.errors import TokenStoreError
from wechat_material.tokens.base import (
    AccessToken,
    AsyncFetcher,
    AsyncTokenStore,
    Fetcher,
    TokenGrant,
    TokenStore,
    mask,
)
from wechat_material.tokens.file import FileTokenStore
from wechat_material.tokens.memory import (
    MemoryTokenStore,
    forget_shared_memory_stores,
    shared_memory_store,
)
from wechat_material.tokens.scope import (
    AsyncScopedTokenStore,
    ScopedTokenStore,
    TokenScope,
    scoped_store,
    token_scope,
)
from wechat_material.tokens.sources import (
    async_fetcher_from_callable,
    async_fetcher_from_url,
    fetcher_from_callable,
    fetcher_from_url,
)

if TYPE_CHECKING:
    from wechat_material.tokens.manager import AsyncTokenManager, TokenManager
    from wechat_material.tokens.redis_store import AsyncRedisTokenStore, RedisTokenStore

# Loaded on first use. The managers run on the SDK's drivers, which read token
# types from this package: importing them here would make ``tokens.base`` wait
# for the whole call machinery. The Redis stores need the ``redis`` extra,
# which the rest of the package does without.
_LAZY = {
    "TokenManager": "manager",
    "AsyncTokenManager": "manager",
    "RedisTokenStore": "redis_store",
    "AsyncRedisTokenStore": "redis_store",
}

__all__ = [
    "AccessToken",
    "AsyncFetcher",
    "AsyncRedisTokenStore",
    "AsyncScopedTokenStore",
    "AsyncTokenManager",
    "AsyncTokenStore",
    "Fetcher",
    "FileTokenStore",
    "MemoryTokenStore",
    "RedisTokenStore",
    "ScopedTokenStore",
    "TokenGrant",
    "TokenManager",
    "TokenScope",
    "TokenStore",
    "TokenStoreError",
    "async_fetcher_from_callable",
    "async_fetcher_from_url",
    "fetcher_from_callable",
    "fetcher_from_url",
    "forget_shared_memory_stores",
    "mask",
    "scoped_store",
    "shared_memory_store",
    "token_scope",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
