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

Each attempt builds a fresh request; an upload, checked once per call, is
re-read from its start. Operations of several calls (paging,
downloads) yield :class:`~._steps.Perform`; :func:`operation_flow` runs each
such call's flow in their place.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

import httpx

from wechat_material import _endpoints as ep
from wechat_material._calls import (
    Call,
    fetch_file,
    page,
    publish_get,
    reply_filename,
    video_file,
)
from wechat_material._config import Settings
from wechat_material._endpoints import ArgsIn, Endpoint
from wechat_material._files import AtomicFile, prepare_target
from wechat_material._redact import redact
from wechat_material._replies import FileReply, JsonReply, Reply, ReplyBody, read_reply
from wechat_material._steps import (
    Blocking,
    Emit,
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
from wechat_material.errcodes import RATE_LIMITED, SYSTEM_BUSY, TOKEN_REFRESH_CODES
from wechat_material.errors import (
    NotAFileError,
    PublishTimeoutError,
    TransportError,
    UnexpectedReplyError,
    ValidationError,
    api_error,
)
from wechat_material.limits import PAGE_MAX
from wechat_material.media_file import FileDownload
from wechat_material.models import NewsMaterial, Page, PublishResult
from wechat_material.retry import RetryPolicy

if TYPE_CHECKING:
    from wechat_material.tokens.base import TokenGrant
    from wechat_material.tokens.flow import TokenPolicy
    from wechat_material.uploads import MediaUpload

T = TypeVar("T")
Flow = Generator[Step, Any, T]

logger = logging.getLogger("wechat_material")

# Errors that prove the request never reached the server: safe to resend anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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
    An upload's file is opened and checked once, before anything is sent (a
    :class:`~._steps.Blocking` step: it reads the disk); every attempt sends
    that same checked file from its start, and it is closed when the call ends.
    """
    if call.upload is None:
        return (yield from _attempts(call, settings, tokens, None))
    media: MediaUpload = yield Blocking(call.upload.prepare)
    try:
        return (yield from _attempts(call, settings, tokens, media))
    finally:
        media.close()


def _attempts(
    call: Call[Any], settings: Settings, tokens: TokenFlows | None, media: MediaUpload | None
) -> Flow[Reply]:
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
        request = build_request(call, settings, token, media)
        where = _where(endpoint, request)
        body.reset()
        attempts += 1
        outcome: Received | httpx.RequestError = yield Send(
            request, body, follow_redirects=call.url is not None
        )

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
        raise api_error(
            errcode,
            reply.errmsg,
            endpoint=endpoint.path or endpoint.name,
            hint=endpoint.hints.get(errcode),
        )


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


# Operations of several calls: reading a list page by page, downloading, waiting
# for a publish. Each is a generator that yields Perform for each call it needs
# (run in place by operation_flow above), Sleep, Blocking and Emit.
Operation = Generator[Step, Any, T]


# Paging: one flow for every ``stream`` method.
#
# WeChat serves lists (material, drafts, published posts) 1 to 20 items a call.
# The flow asks for pages from ``offset`` on and hands out the items one by one
# until it has passed ``total_count`` or gets an empty page (the list shrank
# while it was being read).
#
# Unlike the Elixir library this API follows, which ends its stream quietly on
# an error, these streams *raise* it: a backup or sync that stopped half-way
# must not look like one that read everything.
def pages(
    page_call: Callable[[int, int], Call[Page[Any]]],
    *,
    offset: int = 0,
    page_size: int = PAGE_MAX,
) -> Operation[None]:
    """Emit every item from ``offset`` to the end of the list (arguments checked now)."""
    page(offset, page_size)
    return _pages(page_call, offset, page_size)


def _pages(
    page_call: Callable[[int, int], Call[Page[Any]]], offset: int, page_size: int
) -> Operation[None]:
    while True:
        listed: Page[Any] = yield Perform(page_call(offset, page_size))
        for item in listed.items:
            yield Emit(item)
        offset += len(listed.items)
        if not listed.items or offset >= listed.total_count:
            return


# Downloads: streamed, atomic, following video links.
#
# The reply streams into a hidden temporary file next to the target, which is
# moved into place only when every byte has arrived; on any error (or an
# interrupt) it is deleted. Peak memory stays a few chunks, whatever the file's
# size. A video answers a link (``down_url`` for material, ``video_url`` for
# media) rather than the file; the link is followed without a token.
#
# Where the file goes (see :func:`._files.prepare_target`): a path the caller
# named is replaced (keeping its permissions) unless ``overwrite`` is False; a
# name the server chose, in a directory, never replaces anything.

# The field that holds a video's link in each endpoint's JSON reply.
_VIDEO_LINK = {ep.MATERIAL_GET: "down_url", ep.MEDIA_GET: "video_url"}


def download(
    endpoint: ep.Endpoint,
    media_id: str,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = True,
) -> Operation[Path]:
    """Save the file behind ``media_id`` to ``path`` (a directory: under WeChat's name)."""
    target = prepare_target(path, overwrite=overwrite)
    with AtomicFile(target.directory) as part:
        reply, _ = yield from _fetch(endpoint, media_id, lambda: part.file)
        # The commit flushes the file to disk (fsync): off the event loop.
        name = target.name
        if name is not None:
            saved: Path = yield Blocking(
                lambda: part.commit(target.directory / name, replace=overwrite)
            )
        else:
            saved = yield Blocking(
                lambda: part.commit_new(target.directory, reply_filename(reply, media_id))
            )
        return saved


def download_to_stream(endpoint: ep.Endpoint, media_id: str, stream: BinaryIO) -> Operation[int]:
    """Write the file behind ``media_id`` to an open binary ``stream``; the bytes written."""
    sink = _StreamSink(stream)
    yield from _fetch(endpoint, media_id, lambda: cast(BinaryIO, sink))
    stream.flush()
    return sink.written


def download_into(endpoint: ep.Endpoint, media_id: str, file: BinaryIO) -> Operation[FileDownload]:
    """Write the file behind ``media_id`` into ``file`` (seekable: a retry starts it over).

    What the reply said comes back with it: its type and name, and a video's
    title and description from the entry that gave its link.
    """
    reply, entry = yield from _fetch(endpoint, media_id, lambda: file)
    said = FileDownload(reply.size, reply.content_type, reply.filename)
    if entry is None:
        return said
    title, description = entry.get("title"), entry.get("description")
    return replace(said, title=str(title or ""), description=str(description or ""))


def _fetch(
    endpoint: ep.Endpoint, media_id: str, open_file: Callable[[], BinaryIO]
) -> Operation[tuple[FileReply, dict[str, Any] | None]]:
    """The file reply, and the JSON entry whose link led to it (a video's), if any."""
    reply: Reply = yield Perform(fetch_file(endpoint, media_id, open_file))
    entry = None
    if isinstance(reply, JsonReply):
        entry = reply.data
        link = reply.data.get(_VIDEO_LINK[endpoint])
        if not isinstance(link, str) or not link:
            news = NewsMaterial.model_validate(reply.data) if "news_item" in reply.data else None
            what = "a news material (articles)" if news is not None else "not a file"
            raise NotAFileError(
                f"{media_id} is {what}; read it with get_material() instead of downloading it",
                media_id=media_id,
                news=news,
            )
        reply = yield Perform(video_file(link, open_file))
    if not isinstance(reply, FileReply):  # pragma: no cover - video_file only answers files
        raise UnexpectedReplyError(f"{media_id}: no file in the reply")
    return reply, entry


class _StreamSink:
    """What a reply body is written to when it goes to a stream (stdout, a socket...).

    A stream cannot be rewound: an attempt that starts over after bytes went
    out (a retry) is an error rather than a file with a repeated start.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.written = 0

    def write(self, chunk: bytes) -> int:
        self._stream.write(chunk)
        self.written += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        self._stream.flush()

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # the end of a body: nothing reads it back

    def truncate(self, size: int | None = None) -> int:
        if self.written:
            raise TransportError(
                f"the download broke off after {self.written} bytes were written out; "
                "a stream cannot be rewound to try again"
            )
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""


# Waiting for a publish to finish: poll freepublish/get, bounded.
def wait_for_publish(
    publish_id: str,
    interval: float,
    max_wait: float,
    on_poll: Callable[[PublishResult], None] | None = None,
) -> Operation[PublishResult]:
    """Poll until the publish is no longer in progress, at most ``max_wait`` seconds of waiting.

    ``on_poll`` is told each state read while it is still in progress.
    """
    if interval <= 0 or max_wait < 0:
        raise ValidationError(
            f"interval must be positive and max_wait not negative, not {interval!r}, {max_wait!r}"
        )
    publish_get(publish_id)  # checks the id before the first request
    waits = math.ceil(max_wait / interval)
    for waited in range(waits + 1):
        result: PublishResult = yield Perform(publish_get(publish_id))
        if result.done:
            return result
        if on_poll is not None:
            on_poll(result)
        if waited < waits:
            yield Sleep(interval)
    raise PublishTimeoutError(
        f"publish {publish_id} was still in progress after {max_wait:g} s; "
        "call wait() again or check it later with get()",
        result,
    )
