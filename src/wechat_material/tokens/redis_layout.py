"""What the Redis token stores keep where: shared by the sync and async stores.

For prefix ``wechat_material`` and a client's scope key ``SCOPE`` such as
``wx0123456789abcdef.u562dc91521a3.sb76c0319c60514de`` (appid, base URL
digest, secret digest: see :mod:`.scope`; a :class:`TokenManager` used on its
own passes its bare appid instead):

* ``wechat_material:access_token:SCOPE``: JSON ``{"access_token",
  "expires_at"}``, set to expire (``PXAT``) when the token does, so Redis
  drops it by itself;
* the same key followed by ``:lock``: the redis-py ``Lock`` held by the one
  process, on any host, that fetches a new token.

Keys of the layout before scopes (``…:access_token:wx123``) are never read by
a client; Redis drops them when their token expires.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import redis.exceptions

from wechat_material.errors import TokenStoreError
from wechat_material.tokens.base import AccessToken

logger = logging.getLogger("wechat_material.tokens")

# The pool a store made by from_url() keeps: callers beyond it wait for a free
# connection (up to POOL_TIMEOUT seconds) instead of failing.
MAX_CONNECTIONS = 50
POOL_TIMEOUT = 20.0

# How long the fetch lock lives if its holder never gives it back: longer than
# the slowest fetch the client makes (3 attempts with 15 s timeouts each way,
# plus backoff), so that the lock does not expire under a fetch still running.
LOCK_TIMEOUT = 120.0
# How long a caller waits for another process's fetch before giving up.
BLOCKING_TIMEOUT = 30.0

# Compare-and-delete in one step on the server: delete the token only if it is
# still the one the caller saw rejected.
DISCARD_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  return 0
end
local ok, stored = pcall(cjson.decode, raw)
if ok and type(stored) == 'table' and stored['access_token'] == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisKeys:
    """The key names for one prefix."""

    def __init__(self, prefix: str) -> None:
        if not prefix:
            raise ValueError("the Redis key prefix must not be empty")
        self.prefix = prefix

    def token(self, appid: str) -> str:
        return f"{self.prefix}:access_token:{appid}"

    def lock(self, appid: str) -> str:
        return f"{self.token(appid)}:lock"


class RedisStoreSettings:
    """What a sync and an async Redis store share: keys, lock timings, client ownership."""

    def __init__(self, prefix: str, lock_timeout: float, blocking_timeout: float | None) -> None:
        self.keys = RedisKeys(prefix)
        self.lock_timeout = lock_timeout
        self.blocking_timeout = blocking_timeout
        self._owns_client = False  # set by from_url, which makes the client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self.keys.prefix!r})"


def encode(token: AccessToken) -> str:
    return json.dumps({"access_token": token.value, "expires_at": token.expires_at})


def expires_at_ms(token: AccessToken) -> int:
    """The ``PXAT`` for a token; Redis refuses 0 and drops keys set in the past."""
    return max(1, math.ceil(token.expires_at * 1000))


def decode(raw: Any, key: str) -> AccessToken | None:
    """The token in a stored value; None (and a warning) if it is not one."""
    if raw is None:
        return None
    try:
        document = json.loads(raw)
        value = document["access_token"]
        expires_at = document["expires_at"]
        if not isinstance(value, str) or not value:
            raise TypeError("access_token is not a string")
        if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
            raise TypeError("expires_at is not a number")
    except (ValueError, TypeError, KeyError) as exc:
        logger.warning("the token at Redis key %s is corrupt (%s); ignoring it", key, exc)
        return None
    return AccessToken(value, float(expires_at))


@contextlib.contextmanager
def redis_failures(doing: str) -> Iterator[None]:
    """Turn Redis errors into :class:`TokenStoreError` saying what failed."""
    try:
        yield
    except redis.exceptions.RedisError as exc:
        raise TokenStoreError(
            f"the Redis token store could not {doing}: {type(exc).__name__}: {exc}"
        ) from exc


def lock_timed_out(key: str, waited: float | None) -> TokenStoreError:
    return TokenStoreError(
        f"waited {waited} s for the Redis lock {key} without getting it; another process "
        "holds it for too long (raise blocking_timeout, or check that process)"
    )


def warn_lock_lost(key: str, lock_timeout: float) -> None:
    logger.warning(
        "the Redis lock %s expired before its holder released it (lock_timeout=%s s); "
        "another process may have fetched too: raise lock_timeout",
        key,
        lock_timeout,
    )
