"""When to reuse, wait for, refresh or forget a token: decided once, without I/O.

Both :class:`~wechat_material.tokens.manager.TokenManager` and
:class:`~wechat_material.tokens.manager.AsyncTokenManager` run the same
generators from :class:`TokenPolicy`. A generator *yields* the step it needs
next (load from the store, take a lock, fetch, save) and receives the step's
result; the driver (:mod:`wechat_material._drivers`) only performs steps. This
is the shape of httpx's ``Auth.auth_flow``: the logic exists once and each
driver stays a thin loop. A client runs the same generators inside its request
flows (``token = yield from ...``), so one driver performs every step of a call.

The steps themselves live with every other step in :mod:`wechat_material._steps`
(and are importable from here). Every lock a flow takes is held until the flow
ends; the driver releases them, newest first, however the flow ends (return,
error or cancellation).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Generator
from typing import Any, TypeAlias

from wechat_material._config import checked_refresh_margin
from wechat_material._steps import (
    Discard,
    Fetch,
    Load,
    LockLocal,
    LockStore,
    Save,
    Step,
    StoreLockHeld,
)
from wechat_material.errors import UnexpectedReplyError, ValidationError
from wechat_material.tokens.base import AccessToken, TokenGrant, mask

logger = logging.getLogger("wechat_material.tokens")

# A token being refreshed by another caller of this process is still handed out
# while it has more than this many seconds left; closer to its end, callers wait
# for the new one rather than risk a 42001.
STALE_GRACE = 10.0

# After a refresh ahead fails (WeChat busy, network down), the still-valid
# token keeps being used and the refresh is tried again after this long, not
# on every call.
REFRESH_RETRY_AFTER = 30.0


Flow: TypeAlias = Generator[Step, Any, Any]


class TokenPolicy:
    """The rules for one appid's token; the managers drive its flows.

    ``refresh_margin``: a token with that many seconds left or fewer is
    refreshed ahead of its expiry. A source that answers with a lifetime inside
    the margin (a token server that hands out the current token with its
    remaining life, ``/stable_token`` near the end of a token's life) does not
    cause a refresh on every call: such a token is used as it is until it
    expires or is invalidated.
    """

    def __init__(self, appid: str, refresh_margin: float, clock: Callable[[], float]) -> None:
        if not appid:
            raise ValidationError("appid must not be empty")
        self.appid = appid
        self.refresh_margin = checked_refresh_margin(refresh_margin)
        self.clock = clock
        # The last token fetched here that was already inside the margin when it
        # arrived; refreshing it again would only bring back the same kind of token.
        self._short_lived: str | None = None
        # Fetch attempts so far and how the last one failed: callers that queued
        # behind a failing fetch share its error instead of each fetching again
        # (50 threads and a wrong secret must not mean 50 calls to /token).
        self._attempts = 0
        self._last_failure: Exception | None = None
        self._refresh_failed_at: float | None = None

    def __repr__(self) -> str:
        return f"TokenPolicy(appid={self.appid!r}, refresh_margin={self.refresh_margin})"

    def get(self) -> Generator[Step, Any, str]:
        """A usable token, fetching it if needed: exactly one caller fetches."""
        token: AccessToken | None = yield Load()
        if self._usable(token):
            assert token is not None
            return token.value
        attempts_seen = self._attempts
        stale = self._still_valid(token)
        if stale is not None and self._refresh_paused():
            return stale.value
        # When a still-valid token is due for a refresh, one caller refreshes it
        # and the others of this process keep using it instead of queueing up.
        taken = yield LockLocal(wait=stale is None)
        if not taken:
            assert stale is not None
            return stale.value
        token = yield Load()
        if self._usable(token):
            assert token is not None
            return token.value
        self._raise_shared_failure(attempts_seen)
        yield LockStore()
        # Another process may have fetched while this one waited for the lock.
        token = yield Load()
        if self._usable(token):
            assert token is not None
            return token.value
        if token is not None:
            logger.debug(
                "refreshing the access token of %s (%.0f s left)",
                self.appid,
                token.expires_in(self.clock()),
            )
        try:
            grant: TokenGrant = yield Fetch()
            fetched = self._accept(grant)
        except Exception as exc:
            # No retry here: a wrong secret must fail at once, not burn the quota.
            self._attempts += 1
            self._last_failure = exc
            still = self._still_valid(token)
            if still is None:
                logger.warning(
                    "fetching an access token for %s failed: %s", self.appid, type(exc).__name__
                )
                raise
            # A refresh ahead failed but the current token still works: keep
            # serving it rather than failing calls that need no new token yet.
            self._refresh_failed_at = self.clock()
            logger.warning(
                "refreshing the access token of %s failed (%s); the current one still has "
                "%.0f s, trying again in %.0f s",
                self.appid,
                type(exc).__name__,
                still.expires_in(self.clock()),
                REFRESH_RETRY_AFTER,
            )
            return still.value
        self._attempts += 1
        self._last_failure = None
        self._refresh_failed_at = None
        still_held: bool = yield StoreLockHeld()
        if not still_held:
            # The fetch outlived the store's lock: another process may have
            # fetched and saved meanwhile. The token issued later wins, or the
            # older one would overwrite the one WeChat now honours.
            latest: AccessToken | None = yield Load()
            if _issued_later(latest, fetched):
                assert latest is not None
                logger.warning(
                    "the store lock of %s expired during a fetch; keeping the newer token "
                    "%s that another caller saved meanwhile",
                    self.appid,
                    mask(latest.value),
                )
                return latest.value
            logger.warning(
                "the store lock of %s expired during a fetch; saving the token fetched "
                "here, which is the newest",
                self.appid,
            )
        yield Save(fetched)
        return fetched.value

    def invalidate(self, failed: str) -> Generator[Step, Any, bool]:
        """Forget ``failed`` if the store still holds it; True if it was forgotten.

        Compare-and-delete: when many callers report the same rejected token,
        only the first report removes it and only one new fetch follows.
        """
        if self._short_lived == failed:
            self._short_lived = None
        removed: bool = yield Discard(failed)
        if removed:
            logger.info("forgot the rejected access token %s of %s", mask(failed), self.appid)
        else:
            logger.debug(
                "the rejected token %s of %s was already replaced", mask(failed), self.appid
            )
        return removed

    def current(self) -> Generator[Step, Any, AccessToken | None]:
        """What the store holds now, fresh or not; never fetches."""
        token: AccessToken | None = yield Load()
        return token

    def _raise_shared_failure(self, attempts_seen: int) -> None:
        # Runs under the local lock, like every change to the two fields.
        failure = self._last_failure
        if self._attempts != attempts_seen and failure is not None:
            # A copy: the same exception object raised in many threads at once
            # would have its traceback rewritten under each of them.
            try:
                shared = copy.copy(failure)
            except Exception:
                shared = failure
            raise shared

    def _refresh_paused(self) -> bool:
        failed_at = self._refresh_failed_at
        return failed_at is not None and self.clock() - failed_at < REFRESH_RETRY_AFTER

    def _usable(self, token: AccessToken | None) -> bool:
        if token is None:
            return False
        now = self.clock()
        if token.fresh(now, self.refresh_margin):
            return True
        return token.value == self._short_lived and token.expires_in(now) > 0

    def _still_valid(self, token: AccessToken | None) -> AccessToken | None:
        if token is not None and token.expires_in(self.clock()) > STALE_GRACE:
            return token
        return None

    def _accept(self, grant: TokenGrant) -> AccessToken:
        if not isinstance(grant, TokenGrant):
            raise UnexpectedReplyError(
                f"the token source returned {type(grant).__name__}, not a TokenGrant"
            )
        if not grant.access_token:
            raise UnexpectedReplyError("the token source returned an empty access_token")
        if grant.expires_in <= 0:
            raise UnexpectedReplyError(
                f"the token source returned a token that has already expired "
                f"(expires_in={grant.expires_in})"
            )
        token = AccessToken(grant.access_token, self.clock() + grant.expires_in)
        if grant.expires_in <= self.refresh_margin:
            self._short_lived = token.value
            logger.info(
                "the token source gave %s a token with only %s s left, inside "
                "refresh_margin=%.0f s; it is used until it expires",
                self.appid,
                grant.expires_in,
                self.refresh_margin,
            )
        logger.info(
            "fetched a new access token %s for %s (expires in %s s)",
            mask(token.value),
            self.appid,
            grant.expires_in,
        )
        return token


def _issued_later(stored: AccessToken | None, fetched: AccessToken) -> bool:
    """Whether ``stored`` is another token than ``fetched`` and was issued no earlier.

    WeChat's tokens live 7200 s from the moment they are issued, so the one that
    expires later was issued later; on a tie the stored one stays, as other
    callers may already use it.
    """
    return (
        stored is not None
        and stored.value != fetched.value
        and stored.expires_at >= fetched.expires_at
    )


__all__ = [
    "REFRESH_RETRY_AFTER",
    "STALE_GRACE",
    "Discard",
    "Fetch",
    "Flow",
    "Load",
    "LockLocal",
    "LockStore",
    "Save",
    "Step",
    "StoreLockHeld",
    "TokenPolicy",
    "checked_refresh_margin",
]
