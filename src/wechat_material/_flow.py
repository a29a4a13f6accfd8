"""The life of one API call, without I/O: token, request, reply, and what to do next.

:func:`request_flow` is a generator in the manner of httpx's ``Auth.auth_flow``:
it *yields* the steps it needs (:mod:`._steps`: a request sent, a pause, and
those of the token policy it composes with ``yield from``) and *receives* the
outcome. One driver per side performs those steps; all decisions live here:

- the token comes from the client's :class:`~.tokens.flow.TokenPolicy`, run
  inside the request flow (:class:`TokenFlows`); the ``access_token`` goes
  into the query string of each attempt (masked wherever a URL is shown);
- a reply is read as JSON or a file from its body (:func:`read_reply`);
- an errcode becomes the matching exception (:func:`errors.api_error`);
- 40001/40014/42001: the failed token is forgotten, a new one fetched and the
  call replayed once with the whole body; a second token error is raised;
- transport errors, HTTP 5xx and ``-1`` are retried with backoff as the
  :class:`RetryPolicy` allows, and only where a replay cannot duplicate;
- ``45011`` may wait for the next minute.

Each attempt builds a fresh request and opens an upload's source anew, so an
upload is re-read from its start. Operations of several calls (paging,
downloads) yield :class:`~._steps.Perform`; :func:`operation_flow` runs each
such call's flow in their place.
"""

from __future__ import annotations

import json
import logging
import random
import socket
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import httpx

from wechat_material._endpoints import ArgsIn, Endpoint, ReplyKind
from wechat_material._files import attachment_filename
from wechat_material._redact import redact
from wechat_material._steps import (
    Fetch,
    InvalidateToken,
    NeedToken,
    Perform,
    Received,
    ReleaseLocks,
    Send,
    Sleep,
    Step,
)
from wechat_material.errcodes import TOKEN_REFRESH_CODES
from wechat_material.errors import TransportError, UnexpectedReplyError, api_error
from wechat_material.retry import RetryPolicy

if TYPE_CHECKING:
    from wechat_material._calls import Call
    from wechat_material.tokens.base import TokenGrant
    from wechat_material.tokens.flow import TokenPolicy
    from wechat_material.uploads import MediaUpload

T = TypeVar("T")
Flow = Generator[Step, Any, T]

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


# Reading a reply: JSON or a file, decided from the body, never from Content-Type
# alone. WeChat labels JSON ``text/plain`` at times, answers an error JSON where
# a file was expected, and a proxy in between may answer an HTML page. So the
# body is sorted by its first meaningful byte while it streams in: ``{`` starts
# JSON (kept in memory, it is small), ``<`` starts markup (an error page; only
# its start is kept for the message), anything else is a file and goes straight
# to the file the caller provided, so a large download never sits in memory.

# Kept of a reply that is neither JSON nor a file, for the error message.
_EXCERPT_BYTES = 200
_BLANK = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


class BodyKind(Enum):
    JSON = "json"
    MARKUP = "markup"
    FILE = "file"
    OTHER = "other"  # bytes on an endpoint that never answers a file


@dataclass(frozen=True)
class JsonReply:
    """A JSON object reply (its errcode, if any, not yet checked)."""

    data: dict[str, Any]

    @property
    def errcode(self) -> int:
        code = self.data.get("errcode", 0)
        try:
            return int(code)
        except (TypeError, ValueError):
            raise UnexpectedReplyError(f"the reply has a non-numeric errcode {code!r}") from None

    @property
    def errmsg(self) -> str:
        return str(self.data.get("errmsg", ""))


@dataclass(frozen=True)
class FileReply:
    """A file reply: the body sits in ``file`` (positioned at its start)."""

    file: BinaryIO
    size: int
    content_type: str | None
    filename: str | None


Reply = JsonReply | FileReply


class ReplyBody:
    """Collects one reply body as its chunks arrive; reusable across attempts.

    ``open_file`` makes the file a file reply is written to; without it the
    endpoint only answers JSON and anything else is kept (briefly) in memory.
    """

    def __init__(self, open_file: Callable[[], BinaryIO] | None = None) -> None:
        self._open_file = open_file
        self._file: BinaryIO | None = None
        self._buffer = bytearray()
        self.kind: BodyKind | None = None
        self.size = 0

    def reset(self) -> None:
        """Forget what an earlier attempt received."""
        self._buffer.clear()
        self.kind = None
        self.size = 0
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.kind is None:
            self._buffer += chunk
            self._decide()
            return
        if self.kind is BodyKind.FILE:
            assert self._file is not None
            self._file.write(chunk)
        elif self.kind is BodyKind.JSON:
            self._buffer += chunk
        elif len(self._buffer) < _EXCERPT_BYTES:
            self._buffer += chunk[: _EXCERPT_BYTES - len(self._buffer)]

    def _decide(self) -> None:
        meaningful = self._buffer.lstrip(_BLANK)
        if meaningful.startswith(_BOM):
            meaningful = meaningful[len(_BOM) :].lstrip(_BLANK)
        if not meaningful or _BOM.startswith(meaningful):
            return  # only blanks so far
        first = bytes(meaningful[:1])
        if first in (b"{", b"["):
            self.kind = BodyKind.JSON
        elif first == b"<":
            self.kind = BodyKind.MARKUP
        elif self._open_file is not None:
            self.kind = BodyKind.FILE
            if self._file is None:
                self._file = self._open_file()
            self._file.write(bytes(self._buffer))
            self._buffer.clear()
        else:
            self.kind = BodyKind.OTHER
        if self.kind in (BodyKind.MARKUP, BodyKind.OTHER):
            del self._buffer[_EXCERPT_BYTES:]  # only kept for the error message

    def excerpt(self) -> str:
        text = bytes(self._buffer[:_EXCERPT_BYTES]).decode("utf-8", "replace")
        return " ".join(text.split())

    def json(self) -> Any:
        try:
            # strict=False: WeChat leaves raw control characters in article HTML.
            # The same start as _decide found: blanks, then a byte-order mark, then JSON.
            text = bytes(self._buffer).lstrip(_BLANK).removeprefix(_BOM)
            return json.loads(text.decode("utf-8"), strict=False)
        except (UnicodeDecodeError, ValueError):
            return _NOT_JSON

    def file(self) -> BinaryIO:
        assert self._file is not None
        self._file.flush()
        self._file.seek(0)
        return self._file


_NOT_JSON = object()


def read_reply(
    endpoint: Endpoint, status_code: int, headers: dict[str, str], body: ReplyBody
) -> Reply:
    """The reply of a completed exchange, or :class:`UnexpectedReplyError`.

    ``headers`` have lower-case names. The HTTP status is only used for the
    message: a WeChat error comes back with status 200 and an errcode.
    """
    where = f"{endpoint.method} {endpoint.path or 'video file'} (HTTP {status_code})"
    if body.kind is None:
        raise UnexpectedReplyError(f"{where}: the reply is empty")
    if body.kind is BodyKind.JSON:
        data = body.json()
        if data is _NOT_JSON:
            raise UnexpectedReplyError(
                f"{where}: the reply is cut off or not valid JSON: {body.excerpt()!r}"
            )
        if not isinstance(data, dict):
            raise UnexpectedReplyError(f"{where}: the reply is JSON but not an object")
        reply = JsonReply(data)
        if endpoint.reply is ReplyKind.FILE and reply.errcode == 0:
            raise UnexpectedReplyError(f"{where}: JSON arrived where a file was expected")
        return reply
    if body.kind is BodyKind.MARKUP:
        raise UnexpectedReplyError(
            f"{where}: an HTML or XML page arrived, not WeChat's reply "
            f"(a proxy or captive portal in between?): {body.excerpt()!r}"
        )
    if body.kind is BodyKind.OTHER:
        raise UnexpectedReplyError(
            f"{where}: a file arrived where JSON was expected "
            f"({headers.get('content-type', 'no content type')}, {body.size} bytes)"
        )
    if status_code != 200:
        raise UnexpectedReplyError(f"{where}: the server answered with an error status")
    return FileReply(
        file=body.file(),
        size=body.size,
        content_type=headers.get("content-type"),
        filename=attachment_filename(headers.get("content-disposition")),
    )


def json_body(data: Any) -> bytes:
    """JSON as WeChat wants it: UTF-8, non-ASCII characters as they are (no ``\\u`` escapes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_request(
    call: Call[Any], settings: Settings, token: str | None, media: MediaUpload | None = None
) -> httpx.Request:
    """The request for one attempt of ``call`` (``media``: its upload, opened for it)."""
    endpoint = call.endpoint
    url = call.url or settings.base_url + endpoint.path
    in_query = endpoint.args is not ArgsIn.JSON
    params = dict(call.args) if in_query else {}
    if token is not None:
        params["access_token"] = token
    headers = {"User-Agent": settings.user_agent}
    timeout = settings.timeout
    if call.upload is not None:
        assert media is not None
        stream = call.upload.body(media)
        headers.update(stream.headers)
        request = httpx.Request(
            endpoint.method, url, params=params or None, headers=headers, stream=stream
        )
        # httpx fills in Host only for bodies it encodes itself.
        request.headers.setdefault("Host", request.url.netloc.decode("ascii"))
        timeout = settings.upload_timeout
    elif not in_query and call.args:
        headers["Content-Type"] = "application/json"
        request = httpx.Request(
            endpoint.method,
            url,
            params=params or None,
            headers=headers,
            content=json_body(call.args),
        )
    else:
        request = httpx.Request(endpoint.method, url, params=params or None, headers=headers)
    request.extensions["timeout"] = timeout.as_dict()
    return request


def _describe(exc: httpx.RequestError) -> str:
    text = redact(str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _resolves_not(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a host name that does not resolve (DNS said no)."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore, which wraps the socket's error
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _timeout_of(exc: httpx.TimeoutException, timeout: httpx.Timeout) -> float | None:
    kind = {
        httpx.ConnectTimeout: timeout.connect,
        httpx.ReadTimeout: timeout.read,
        httpx.WriteTimeout: timeout.write,
        httpx.PoolTimeout: timeout.pool,
    }
    return kind.get(type(exc))


def transport_failure(
    where: str, request: httpx.Request, exc: httpx.RequestError, attempts: int
) -> TransportError:
    """The one-line error for a call that got no reply: it names the host and the cause."""
    host = request.url.host
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    timeouts = httpx.Timeout(**request.extensions.get("timeout", {}))
    if isinstance(exc, httpx.TimeoutException):
        seconds = _timeout_of(exc, timeouts)
        what = "accept a connection" if isinstance(exc, httpx.ConnectTimeout) else "answer"
        within = f" within {seconds:g} s" if seconds is not None else ""
        return TransportError(
            f"{host} did not {what}{within} ({where}, {tries})", host=host, timeout=seconds
        )
    if isinstance(exc, httpx.ConnectError) and _resolves_not(exc):
        return TransportError(
            f"{host}: no such host, the name does not resolve ({where})", host=host
        )
    if isinstance(exc, httpx.ConnectError):
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        return TransportError(
            f"could not connect to {host}:{port}: {_describe(exc)} ({where}, {tries})", host=host
        )
    return TransportError(f"{where} to {host}: {_describe(exc)} (after {tries})", host=host)


def _where(endpoint: Endpoint, request: httpx.Request) -> str:
    return f"{endpoint.method} {endpoint.path or redact(str(request.url.copy_with(query=None)))}"


def _may_resend(endpoint: Endpoint, exc: httpx.RequestError | None) -> bool:
    """Whether a failed attempt may be sent again without risking a duplicate."""
    if endpoint.replay_safe:
        return True
    return exc is not None and isinstance(exc, _NOT_SENT)


def _may_try_again(
    endpoint: Endpoint,
    exc: httpx.RequestError,
    attempts: int,
    failures: int,
    policy: RetryPolicy,
) -> bool:
    """Whether a call that got no reply is sent again.

    A name that does not resolve will not resolve half a second later, and a
    server that refused a connection or let one attempt time out gets one more
    chance, not two: a dead server then costs two timeouts, not one per attempt
    of the policy, and a closed port fails within a second.
    """
    if attempts >= policy.max_attempts or not _may_resend(endpoint, exc):
        return False
    if isinstance(exc, httpx.ConnectError) and _resolves_not(exc):
        return False
    if isinstance(exc, httpx.TimeoutException | httpx.ConnectError):
        return failures == 0
    return True


def _until_next_minute(now: float) -> float:
    # One second past the boundary, so clocks a little apart still agree.
    return 60.0 - (now % 60.0) + 1.0


def request_flow(
    call: Call[Any], settings: Settings, tokens: TokenFlows | None = None
) -> Flow[Reply]:
    """Run one call to its reply, refreshing, retrying and raising as described above.

    Without ``tokens`` the flow asks whoever runs it (:class:`~._steps.NeedToken`).
    """
    endpoint = call.endpoint
    policy = settings.retry
    body = ReplyBody(call.open_file)
    token: str | None = None
    token_replayed = False
    attempts = 0
    failures = 0  # attempts that timed out or could not connect: one more try, never two
    rate_waits = 0
    while True:
        if endpoint.token and token is None:
            token = yield from (tokens.get() if tokens is not None else _ask_for_token())
        media = call.upload.open() if call.upload is not None else None
        try:
            request = build_request(call, settings, token, media)
            where = _where(endpoint, request)
            body.reset()
            attempts += 1
            outcome: Received | httpx.RequestError = yield Send(
                request, body, follow_redirects=call.url is not None
            )
        finally:
            if media is not None:
                media.close()

        if isinstance(outcome, httpx.RequestError):
            problem = _describe(outcome)
            logger.info("%s failed (attempt %d): %s", where, attempts, problem)
            if _may_try_again(endpoint, outcome, attempts, failures, policy):
                failures += isinstance(outcome, httpx.TimeoutException | httpx.ConnectError)
                yield Sleep(policy.backoff(attempts, settings.rng))
                continue
            raise transport_failure(where, request, outcome, attempts) from None

        status = outcome.status_code
        if status >= 500:
            logger.info("%s -> HTTP %d (attempt %d)", where, status, attempts)
            if attempts < policy.max_attempts and _may_resend(endpoint, None):
                yield Sleep(policy.backoff(attempts, settings.rng))
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
            if tokens is not None:
                yield from tokens.invalidate(token)
            else:
                yield InvalidateToken(token)
            token = None
            token_replayed = True
            attempts -= 1  # the replay is not one of the policy's retries
            continue
        if errcode == SYSTEM_BUSY and attempts < policy.max_attempts:
            logger.info("%s: WeChat is busy (-1, attempt %d); retrying", where, attempts)
            yield Sleep(policy.backoff(attempts, settings.rng))
            continue
        if errcode == RATE_LIMITED and policy.wait_on_rate_limit and rate_waits == 0:
            pause = _until_next_minute(settings.clock())
            if pause <= policy.max_rate_limit_wait:
                logger.info("%s: minute quota spent (45011); waiting %.0f s", where, pause)
                rate_waits += 1
                attempts -= 1
                yield Sleep(pause)
                continue
        raise api_error(errcode, reply.errmsg, endpoint=endpoint.path or endpoint.name)


def _ask_for_token() -> Flow[str]:
    token: str = yield NeedToken()
    return token


def call_flow(call: Call[T], settings: Settings, tokens: TokenFlows | None = None) -> Flow[T]:
    """One call to its typed result."""
    reply = yield from request_flow(call, settings, tokens)
    return call.result(reply)


class TokenFlows:
    """A client's token policy, run inside its request flows.

    Each flow gives back the locks it took as soon as it ends, not when the
    request that needed the token ends. With ``fetch`` (the client's own
    ``/token`` call), a new token is fetched by that call's flow in place of
    the policy's :class:`~._steps.Fetch` step, with the client's retry rules.
    """

    def __init__(
        self, policy: TokenPolicy, settings: Settings, fetch: Call[TokenGrant] | None
    ) -> None:
        self.policy = policy
        self.settings = settings
        self.fetch = fetch

    def get(self) -> Flow[str]:
        token: str = yield from self._run(self.policy.get())
        return token

    def invalidate(self, failed: str) -> Flow[bool]:
        removed: bool = yield from self._run(self.policy.invalidate(failed))
        return removed

    def _run(self, flow: Flow[T]) -> Flow[T]:
        fetch = self.fetch
        if fetch is not None:
            flow = substitute(
                flow,
                lambda step: call_flow(fetch, self.settings) if isinstance(step, Fetch) else None,
            )
        return with_locks_released(flow)


def with_locks_released(flow: Flow[T]) -> Flow[T]:
    """``flow``, then :class:`~._steps.ReleaseLocks` however it ends (but an interruption).

    An interrupted flow cannot yield any more: the driver then releases its
    locks itself, once the flow has been closed.
    """
    try:
        result = yield from flow
    except Exception:
        yield ReleaseLocks()
        raise
    yield ReleaseLocks()
    return result


def substitute(flow: Flow[T], expand: Callable[[Step], Flow[Any] | None]) -> Flow[T]:
    """Run ``flow``, replacing each step that ``expand`` turns into a flow by that flow.

    The other steps pass through. An exception the replacement raises reaches
    ``flow`` at its step, as a failed step would (see :mod:`._drivers`).
    """
    value: Any = None
    error: Exception | None = None
    while True:
        try:
            step = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            error = None
        replacement = expand(step)
        try:
            if replacement is None:
                value = yield step
            else:
                value = yield from replacement
        except GeneratorExit:
            flow.close()
            raise
        except Exception as exc:
            value, error = None, exc


def operation_flow(
    operation: Flow[T], settings: Settings, tokens: TokenFlows | None = None
) -> Flow[T]:
    """Run an operation, making each call it asks for (:class:`~._steps.Perform`) in place."""

    def expand(step: Step) -> Flow[Any] | None:
        if isinstance(step, Perform):
            return call_flow(step.call, settings, tokens)
        return None

    return substitute(operation, expand)
