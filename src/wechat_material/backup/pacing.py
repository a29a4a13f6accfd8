"""How a library run talks to WeChat: bounded concurrency, quotas and retries.

- At most ``concurrency`` calls are in flight (one semaphore for lists,
  downloads and uploads alike).
- 45011 (the minute's quota is spent): every call pauses until the next
  minute, together, then goes on; never a busy loop.
- 45009 (the day's quota is spent): :class:`QuotaExhausted` ends the run;
  what was finished stays finished, and a run after 00:00 China time picks
  up from there.
- A call that still fails on the network, with ``-1`` or with a cut-off
  reply after the client's own retries is tried again a few times here,
  with a pause, since a whole library is worth more persistence than a
  single call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from wechat_material.errors import (
    APIError,
    AuthenticationError,
    NotAFileError,
    QuotaError,
    RateLimitError,
    SystemBusyError,
    TransportError,
    UnexpectedReplyError,
    WeChatError,
)

if TYPE_CHECKING:
    import httpx

    from wechat_material.client import AsyncWeChatClient

T = TypeVar("T")

DEFAULT_CONCURRENCY = 8
_TOKEN_LOG = logging.getLogger("wechat_material.tokens")
TOKEN_DEADLINE = 8.0  # seconds for the first token of a run, retries included
CHINA = timezone(timedelta(hours=8))
RETRYABLE = (TransportError, SystemBusyError, UnexpectedReplyError)


class QuotaExhausted(WeChatError):
    """A daily quota (45009) ran out: the run stopped cleanly and can resume tomorrow."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        resume = next_china_midnight(datetime.now(UTC))
        super().__init__(
            f"the daily quota of {path or 'an API'} is spent (45009); what is done is kept: "
            f"run the same command again after 00:00 China time "
            f"({resume:%Y-%m-%d %H:%M} UTC) to resume"
        )


def next_china_midnight(now: datetime) -> datetime:
    local = now.astimezone(CHINA)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


class Pacer:
    """Runs calls under the concurrency bound, the minute quota and the retries."""

    def __init__(
        self,
        concurrency: int = DEFAULT_CONCURRENCY,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        attempts: int = 4,
        rate_limit_pause: float = 61.0,
        max_rate_limit_waits: int = 30,
        retry_pause: float = 1.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, not {concurrency}")
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._open = asyncio.Event()
        self._open.set()
        self._sleep = sleep
        self._attempts = attempts
        self._rate_limit_pause = rate_limit_pause
        self._max_rate_limit_waits = max_rate_limit_waits
        self._retry_pause = retry_pause
        self._pausing: asyncio.Task[None] | None = None
        self.calls = 0
        self.rate_limit_waits = 0
        self.retries = 0

    async def run(self, make: Callable[[], Awaitable[T]], *, creates: bool = False) -> T:
        """``await make()`` (a fresh awaitable each try) under every rule above.

        A call that ``creates`` something is never tried again here after a
        failure: WeChat may have done it already. The caller's journal finds out.
        """
        attempts = 1 if creates else self._attempts
        attempt = 0
        waits = 0
        while True:
            await self._open.wait()
            async with self._slots:
                await self._open.wait()
                self.calls += 1
                try:
                    return await make()
                except QuotaError as exc:
                    raise QuotaExhausted(exc.endpoint) from exc
                except RateLimitError:
                    waits += 1
                    if waits > self._max_rate_limit_waits:
                        raise
                    self._pause_everyone()
                    continue  # waits at the top, outside the slot
                except NotAFileError:
                    raise
                except RETRYABLE:
                    attempt += 1
                    if attempt >= attempts:
                        raise
                    self.retries += 1
            # Outside the slot, so that other calls are not held up by this one's wait.
            await self._sleep(self._retry_pause * attempt)

    def _pause_everyone(self) -> None:
        if self._pausing is None or self._pausing.done():
            self.rate_limit_waits += 1
            self._open.clear()
            self._pausing = asyncio.ensure_future(self._reopen_later())

    async def _reopen_later(self) -> None:
        try:
            await self._sleep(self._rate_limit_pause)
        finally:
            self._open.set()


class AccountUnavailable(WeChatError):
    """The account cannot get an access token: nothing else of the run can work.

    ``appid`` names the account, ``cause`` is what went wrong; ``hint`` says
    what to check. The run stops at once rather than fail every item alone.
    """

    def __init__(self, appid: str, cause: WeChatError) -> None:
        self.appid = appid
        self.cause = cause
        if isinstance(cause, AuthenticationError):
            self.hint = (
                "check the account's appid and secret (wxm config show), and that this "
                "machine's IP is on the account's whitelist"
            )
        elif isinstance(cause, APIError):
            self.hint = "check the account's settings on the WeChat platform"
        else:
            self.hint = "check the network and the base URL of the account's profile"
        super().__init__(f"account {appid}: cannot get an access token: {cause}")


class _Quiet(logging.Filter):
    """Drops the token flow's own warning about a fetch that the exception reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("fetching an access token")


async def check_account(client: AsyncWeChatClient, deadline: float = TOKEN_DEADLINE) -> None:
    """Get the account's token once; :class:`AccountUnavailable` if it cannot be had.

    A host that never answers (a firewall dropping packets) gives up after
    ``deadline`` seconds, retries included, rather than after every timeout.
    The failure is told once, by the exception: the token flow's warning about
    the same fetch is held back while it is made.
    """
    quiet = _Quiet()
    _TOKEN_LOG.addFilter(quiet)
    try:
        async with asyncio.timeout(deadline):
            await client.token_manager.get()
    except WeChatError as exc:
        raise AccountUnavailable(client.appid, exc) from exc
    except TimeoutError as exc:
        silent = TransportError(f"the token server gave no answer within {deadline:g} s")
        raise AccountUnavailable(client.appid, silent) from exc
    finally:
        _TOKEN_LOG.removeFilter(quiet)


class CallMeter:
    """Counts every HTTP request a client sends while attached: API calls, listings,
    downloads, token fetches and the client's own retries (what a server would count)."""

    def __init__(self, client: AsyncWeChatClient) -> None:
        self._hooks: list[Any] = client.http_client.event_hooks["request"]
        self.calls = 0

    async def _count(self, request: httpx.Request) -> None:
        self.calls += 1

    def __enter__(self) -> CallMeter:
        self._hooks.append(self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        self._hooks.remove(self._count)
