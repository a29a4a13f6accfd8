"""The life of one API call, without I/O: token, request, reply, and what to do next.

:func:`request_flow` is a generator in the manner of httpx's ``Auth.auth_flow``:
it *yields* what it needs (a token, a request sent, a pause, a token
forgotten) and *receives* the outcome. The sync and async drivers perform
those steps; all decisions live here, once:

- the ``access_token`` goes into the query string of each attempt (and is
  masked wherever a URL is logged or shown);
- a reply is read as JSON or a file from its body (see :mod:`._reply`);
- an errcode becomes the matching exception (:func:`errors.api_error`);
- 40001/40014/42001: the failed token is forgotten, a new one fetched and the
  call replayed once with the whole body; a second token error is raised;
- transport errors, HTTP 5xx and ``-1`` are retried with backoff as the
  :class:`RetryPolicy` allows, and only where a replay cannot duplicate;
- ``45011`` may wait for the next minute.

Each attempt builds a fresh request, so an upload is re-read from its start.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeAlias

import httpx

from wechat_material._call import Call
from wechat_material._endpoints import Endpoint
from wechat_material._redact import redact
from wechat_material._reply import JsonReply, Reply, ReplyBody, read_reply
from wechat_material.errcodes import TOKEN_REFRESH_CODES
from wechat_material.errors import TransportError, UnexpectedReplyError, api_error
from wechat_material.retry import RetryPolicy

logger = logging.getLogger("wechat_material")

SYSTEM_BUSY = -1
RATE_LIMITED = 45011
# Errors that prove the request never reached the server: safe to resend anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Settings:
    """What every call of one client shares."""

    base_url: str
    retry: RetryPolicy
    timeout: httpx.Timeout
    upload_timeout: httpx.Timeout
    clock: Callable[[], float]
    rng: random.Random
    user_agent: str


# Steps the flow yields to its driver (and what it gets back):
@dataclass(frozen=True)
class NeedToken:
    """A usable access token (result: ``str``)."""


@dataclass(frozen=True)
class InvalidateToken:
    """WeChat refused this token: forget it (result: None)."""

    failed: str


@dataclass(frozen=True)
class Send:
    """Send ``request`` and stream its body into ``body``.

    Result: :class:`Received` once the whole body is in, or the
    ``httpx.RequestError`` that stopped it.
    """

    request: httpx.Request
    body: ReplyBody
    follow_redirects: bool = False  # only for CDN links, which carry no token


@dataclass(frozen=True)
class Wait:
    """Pause this many seconds before the next attempt (result: None)."""

    seconds: float


@dataclass(frozen=True)
class Received:
    status_code: int
    headers: dict[str, str]  # lower-case names
    elapsed: float  # seconds


Step: TypeAlias = NeedToken | InvalidateToken | Send | Wait
Flow: TypeAlias = Generator[Step, Any, Reply]


def json_body(data: Any) -> bytes:
    """JSON as WeChat wants it: UTF-8, non-ASCII characters as they are (no ``\\u`` escapes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_request(call: Call[Any], settings: Settings, token: str | None) -> httpx.Request:
    """The request for one attempt of ``call``."""
    endpoint = call.endpoint
    url = call.url or settings.base_url + endpoint.path
    params = dict(call.query)
    if token is not None:
        params["access_token"] = token
    headers = {"User-Agent": settings.user_agent}
    timeout = settings.timeout
    if call.upload is not None:
        stream = call.upload.body()
        headers.update(stream.headers)
        request = httpx.Request(
            endpoint.method, url, params=params or None, headers=headers, stream=stream
        )
        # httpx fills in Host only for bodies it encodes itself.
        request.headers.setdefault("Host", request.url.netloc.decode("ascii"))
        timeout = settings.upload_timeout
    elif call.json is not None:
        headers["Content-Type"] = "application/json"
        request = httpx.Request(
            endpoint.method,
            url,
            params=params or None,
            headers=headers,
            content=json_body(call.json),
        )
    else:
        request = httpx.Request(endpoint.method, url, params=params or None, headers=headers)
    request.extensions["timeout"] = timeout.as_dict()
    return request


def _describe(exc: httpx.RequestError) -> str:
    text = redact(str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _where(endpoint: Endpoint, request: httpx.Request) -> str:
    return f"{endpoint.method} {endpoint.path or redact(str(request.url.copy_with(query=None)))}"


def _may_resend(endpoint: Endpoint, exc: httpx.RequestError | None) -> bool:
    """Whether a failed attempt may be sent again without risking a duplicate."""
    if endpoint.replay_safe:
        return True
    return exc is not None and isinstance(exc, _NOT_SENT)


def _until_next_minute(now: float) -> float:
    # One second past the boundary, so clocks a little apart still agree.
    return 60.0 - (now % 60.0) + 1.0


def request_flow(call: Call[Any], settings: Settings) -> Flow:
    """Run one call to its reply, refreshing, retrying and raising as described above."""
    endpoint = call.endpoint
    policy = settings.retry
    body = ReplyBody(call.open_file)
    token: str | None = None
    token_replayed = False
    attempts = 0
    rate_waits = 0
    while True:
        if endpoint.token and token is None:
            token = yield NeedToken()
        request = build_request(call, settings, token)
        where = _where(endpoint, request)
        body.reset()
        attempts += 1
        outcome: Received | httpx.RequestError = yield Send(
            request, body, follow_redirects=call.url is not None
        )

        if isinstance(outcome, httpx.RequestError):
            problem = _describe(outcome)
            logger.info("%s failed (attempt %d): %s", where, attempts, problem)
            if attempts < policy.max_attempts and _may_resend(endpoint, outcome):
                yield Wait(policy.backoff(attempts, settings.rng))
                continue
            raise TransportError(f"{where}: {problem} (after {attempts} attempt(s))") from None

        status = outcome.status_code
        if status >= 500:
            logger.info("%s -> HTTP %d (attempt %d)", where, status, attempts)
            if attempts < policy.max_attempts and _may_resend(endpoint, None):
                yield Wait(policy.backoff(attempts, settings.rng))
                continue
            raise TransportError(
                f"{where}: the server answered HTTP {status} (after {attempts} attempt(s))"
            )

        reply = read_reply(endpoint, status, outcome.headers, body)
        errcode = reply.errcode if isinstance(reply, JsonReply) else 0
        logger.debug(
            "%s -> HTTP %d errcode=%d in %.0f ms",
            where,
            status,
            errcode,
            outcome.elapsed * 1000,
        )
        if errcode == 0:
            if status != 200:
                raise UnexpectedReplyError(f"{where}: HTTP {status} without a WeChat error")
            return reply
        assert isinstance(reply, JsonReply)

        if errcode in TOKEN_REFRESH_CODES and token is not None and not token_replayed:
            logger.info("%s: token refused (errcode %d); refreshing once", where, errcode)
            yield InvalidateToken(token)
            token = None
            token_replayed = True
            attempts -= 1  # the replay is not one of the policy's retries
            continue
        if errcode == SYSTEM_BUSY and attempts < policy.max_attempts:
            logger.info("%s: WeChat is busy (-1, attempt %d); retrying", where, attempts)
            yield Wait(policy.backoff(attempts, settings.rng))
            continue
        if errcode == RATE_LIMITED and policy.wait_on_rate_limit and rate_waits == 0:
            pause = _until_next_minute(settings.clock())
            if pause <= policy.max_rate_limit_wait:
                logger.info("%s: minute quota spent (45011); waiting %.0f s", where, pause)
                rate_waits += 1
                attempts -= 1
                yield Wait(pause)
                continue
        raise api_error(errcode, reply.errmsg, endpoint=endpoint.path or endpoint.name)
