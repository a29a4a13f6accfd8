"""Tokens from elsewhere: a callable, or a token server over real HTTP."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from wechat_material.errors import (
    AuthenticationError,
    TokenError,
    TransportError,
    UnexpectedReplyError,
)
from wechat_material.tokens import (
    AsyncTokenManager,
    TokenGrant,
    TokenManager,
    async_fetcher_from_callable,
    async_fetcher_from_url,
    fetcher_from_callable,
    fetcher_from_url,
)

from .sources_for_tests import FakeClock

APPID = "wx0123456789abcdef"


class TokenServer:
    """A real HTTP token server on a free port; the test sets what it answers."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = b""
        self.requests: list[dict[str, str]] = []
        self.answer_json({"access_token": "SERVER-TOKEN-1", "expires_in": 7200})
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers))
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/token?key=SECRET-KEY"

    def answer_json(self, document: object, status: int = 200) -> None:
        self.status = status
        self.body = json.dumps(document).encode()


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    server = TokenServer()
    thread = threading.Thread(target=server.http.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()
        thread.join(timeout=10)


def test_a_callable_returning_a_string() -> None:
    answers = iter(["FIRST", "SECOND"])
    clock = FakeClock()
    manager = TokenManager(
        APPID, fetcher_from_callable(lambda: next(answers), expires_in=120), clock=clock
    )

    assert manager.get() == "FIRST"
    clock.advance(100)
    assert manager.get() == "FIRST"
    clock.advance(21)
    assert manager.get() == "SECOND"


def test_a_callable_returning_a_grant() -> None:
    fetch = fetcher_from_callable(lambda: TokenGrant("GRANTED", 7000))

    assert fetch() == TokenGrant("GRANTED", 7000)


def test_invalidate_then_get_asks_the_source_again_once() -> None:
    calls: list[int] = []

    def source() -> str:
        calls.append(1)
        return f"TOKEN-{len(calls)}"

    manager = TokenManager(APPID, fetcher_from_callable(source))
    first = manager.get()
    manager.invalidate(first)
    manager.invalidate(first)

    assert manager.get() == "TOKEN-2"
    assert manager.get() == "TOKEN-2"
    assert len(calls) == 2


@pytest.mark.parametrize("bad", ["", None, 42])
def test_a_callable_returning_nonsense(bad: object) -> None:
    fetch = fetcher_from_callable(lambda: bad)  # type: ignore[arg-type, return-value]

    with pytest.raises(UnexpectedReplyError, match="non-empty str or a TokenGrant"):
        fetch()


def test_a_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="expires_in"):
        fetcher_from_callable(lambda: "x", expires_in=0)


@pytest.mark.anyio
async def test_async_callables_sync_or_async() -> None:
    async def async_source() -> str:
        return "ASYNC"

    assert await async_fetcher_from_callable(async_source)() == TokenGrant("ASYNC", 300)
    assert await async_fetcher_from_callable(lambda: "SYNC")() == TokenGrant("SYNC", 300)


def test_a_token_server(token_server: TokenServer) -> None:
    fetch = fetcher_from_url(token_server.url, headers={"Authorization": "Bearer abc"})
    manager = TokenManager(APPID, fetch)

    assert manager.get() == "SERVER-TOKEN-1"
    assert manager.get() == "SERVER-TOKEN-1"
    assert len(token_server.requests) == 1
    assert token_server.requests[0]["Authorization"] == "Bearer abc"

    token_server.answer_json({"access_token": "SERVER-TOKEN-2", "expires_in": 7200})
    manager.invalidate("SERVER-TOKEN-1")
    assert manager.get() == "SERVER-TOKEN-2"
    assert len(token_server.requests) == 2


def test_a_token_server_with_a_client_of_yours(token_server: TokenServer) -> None:
    with httpx.Client() as client:
        fetch = fetcher_from_url(token_server.url, client=client)
        assert fetch() == TokenGrant("SERVER-TOKEN-1", 7200)


def test_a_reply_without_expires_in_gets_the_assumed_lifetime(
    token_server: TokenServer,
) -> None:
    token_server.answer_json({"access_token": "BARE"})

    assert fetcher_from_url(token_server.url, expires_in=60)() == TokenGrant("BARE", 60)


def test_a_wechat_error_from_the_server_is_typed(token_server: TokenServer) -> None:
    token_server.answer_json({"errcode": 40125, "errmsg": "invalid appsecret rid: 1-2-3"})

    with pytest.raises(AuthenticationError) as caught:
        fetcher_from_url(token_server.url)()
    assert caught.value.errcode == 40125
    assert "SECRET-KEY" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "document", "error", "message"),
    [
        (503, {"error": "down"}, TransportError, "HTTP 503"),
        (401, {"error": "who are you"}, UnexpectedReplyError, "HTTP 401"),
        (200, ["a", "list"], UnexpectedReplyError, "JSON list"),
        (200, {"expires_in": 7200}, UnexpectedReplyError, "without an access_token"),
        (200, {"access_token": "X", "expires_in": "soon"}, UnexpectedReplyError, "expires_in"),
    ],
)
def test_bad_server_replies(
    token_server: TokenServer,
    status: int,
    document: object,
    error: type[Exception],
    message: str,
) -> None:
    token_server.answer_json(document, status)

    with pytest.raises(error, match=message) as caught:
        fetcher_from_url(token_server.url)()
    assert "SECRET-KEY" not in str(caught.value)


def test_a_reply_that_is_not_json(token_server: TokenServer) -> None:
    token_server.body = b"<html>proxy error</html>"

    with pytest.raises(UnexpectedReplyError, match="did not answer JSON"):
        fetcher_from_url(token_server.url)()


def test_an_unreachable_server_is_a_transport_error(unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/token?key=SECRET-KEY"

    with pytest.raises(TransportError) as caught:
        fetcher_from_url(url, timeout=2)()
    assert "SECRET-KEY" not in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://host/token", "not a url at all", ""])
def test_an_unusable_url_is_refused_up_front(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        fetcher_from_url(url)


@pytest.mark.anyio
async def test_an_async_token_server(token_server: TokenServer) -> None:
    manager = AsyncTokenManager(APPID, async_fetcher_from_url(token_server.url))

    assert await manager.get() == "SERVER-TOKEN-1"
    assert await manager.get() == "SERVER-TOKEN-1"
    assert len(token_server.requests) == 1

    token_server.answer_json({"errcode": 40001, "errmsg": "invalid credential"})
    await manager.invalidate("SERVER-TOKEN-1")
    with pytest.raises(TokenError):
        await manager.get()

    async with httpx.AsyncClient() as client:
        token_server.answer_json({"access_token": "AGAIN", "expires_in": 10})
        fetch = async_fetcher_from_url(token_server.url, client=client)
        assert await fetch() == TokenGrant("AGAIN", 10)


@pytest.fixture
def httpx_info_logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """httpx's INFO logs, as in a process where no client has been made yet."""
    monkeypatch.setattr(logging.getLogger("httpx"), "filters", [])
    caplog.set_level(logging.INFO, logger="httpx")
    return caplog


def test_httpx_logs_never_show_the_token_servers_query(
    token_server: TokenServer, httpx_info_logs: pytest.LogCaptureFixture
) -> None:
    manager = TokenManager(APPID, fetcher_from_url(token_server.url))

    assert manager.get() == "SERVER-TOKEN-1"

    assert "HTTP Request: GET" in httpx_info_logs.text  # the request was logged...
    assert "/token?(query hidden)" in httpx_info_logs.text
    assert "SECRET-KEY" not in httpx_info_logs.text  # ...without its key


@pytest.mark.anyio
async def test_async_httpx_logs_never_show_the_token_servers_query(
    token_server: TokenServer, httpx_info_logs: pytest.LogCaptureFixture
) -> None:
    manager = AsyncTokenManager(APPID, async_fetcher_from_url(token_server.url))

    assert await manager.get() == "SERVER-TOKEN-1"

    assert "HTTP Request: GET" in httpx_info_logs.text
    assert "SECRET-KEY" not in httpx_info_logs.text


def test_errors_show_the_token_server_as_logs_do(unused_port: int) -> None:
    url = f"http://robot:PASSWORD@127.0.0.1:{unused_port}/token?key=SECRET-KEY"

    with pytest.raises(TransportError) as caught:
        fetcher_from_url(url, timeout=2)()

    message = str(caught.value)
    assert f"http://***@127.0.0.1:{unused_port}/token?(query hidden)" in message
    assert "SECRET-KEY" not in message
    assert "PASSWORD" not in message
