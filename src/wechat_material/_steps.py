"""Every step a flow can ask its driver for, in one place.

The SDK's logic is written as generators in the manner of httpx's
``Auth.auth_flow``: a flow *yields* the step it needs next and *receives* its
outcome. The flows decide (:mod:`._flow`, :mod:`.tokens.flow`); the drivers
(:mod:`._drivers`) only perform the steps below, so that the blocking and the
asyncio client agree on everything.

Each class says what the driver hands back as the step's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from wechat_material._calls import Call
    from wechat_material._replies import ReplyBody
    from wechat_material.tokens.base import AccessToken

T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """Something a flow asks its driver to do."""


# The wire.
@dataclass(frozen=True)
class Send(Step):
    """Send ``request`` and stream its body into ``body``.

    Outcome: :class:`Received` once the whole body is in, or the
    ``httpx.RequestError`` that stopped it (handed back, not raised).
    """

    request: httpx.Request
    body: ReplyBody
    follow_redirects: bool = False  # only for CDN links, which carry no token


@dataclass(frozen=True)
class Received:
    """The outcome of a :class:`Send` that got a whole reply (not itself a step)."""

    status_code: int
    headers: dict[str, str]  # lower-case names
    elapsed: float  # seconds


@dataclass(frozen=True)
class Sleep(Step):
    """Pause this many seconds (outcome: None): a backoff, a rate limit, a poll."""

    seconds: float


@dataclass(frozen=True)
class Blocking(Step):
    """Run ``work``, which blocks on the disk (outcome: its result).

    The async driver runs it on a worker thread: an ``fsync`` on the event loop
    would hold up every other download in flight.
    """

    work: Callable[[], Any]


# Operations made of several calls (paging, downloads, waiting for a publish).
@dataclass(frozen=True)
class Perform(Step, Generic[T]):
    """Make this call (outcome: the call's typed result).

    Never reaches a driver: :func:`._flow.operation_flow` replaces it by the
    call's own flow.
    """

    call: Call[T]


@dataclass(frozen=True)
class Emit(Step):
    """Hand one item to the caller of a ``stream`` method (outcome: None)."""

    item: Any


# A request flow run without a token policy asks whoever runs it.
@dataclass(frozen=True)
class NeedToken(Step):
    """A usable access token (outcome: ``str``)."""


@dataclass(frozen=True)
class InvalidateToken(Step):
    """WeChat refused this token: forget it (outcome: None)."""

    failed: str


# The token store, its locks and the token source (one appid).
@dataclass(frozen=True)
class Load(Step):
    """Read the stored token (outcome: ``AccessToken | None``)."""


@dataclass(frozen=True)
class Save(Step):
    """Store ``token`` (outcome: None)."""

    token: AccessToken


@dataclass(frozen=True)
class Discard(Step):
    """Delete the stored token if it is still ``value`` (outcome: ``bool``)."""

    value: str


@dataclass(frozen=True)
class LockLocal(Step):
    """Take the token manager's own lock (threads or tasks of one process).

    With ``wait=False`` the driver must not wait: the outcome is ``False`` if
    another caller holds the lock, ``True`` once it is taken.
    """

    wait: bool


@dataclass(frozen=True)
class LockStore(Step):
    """Take the store's lock, shared by every process using the store (outcome: None)."""


@dataclass(frozen=True)
class StoreLockHeld(Step):
    """Whether the store's lock is still held by this caller (outcome: ``bool``).

    Only a lock that expires (Redis, after ``lock_timeout``) can be lost; the
    others always answer True.
    """


@dataclass(frozen=True)
class Fetch(Step):
    """Ask the token source for a new token (outcome: ``TokenGrant``)."""


@dataclass(frozen=True)
class ReleaseLocks(Step):
    """Give back every lock taken so far, newest first (outcome: None).

    A token flow holds its locks until it ends; inside a request flow it ends
    long before the request does, so the flow says when. Locks still held when
    a driver's run ends (an error, Ctrl-C) are released by the driver itself.
    """


TOKEN_STEPS = (Load, Save, Discard, LockLocal, LockStore, StoreLockHeld, Fetch)
"""The steps performed against a token manager's store, lock and source."""
