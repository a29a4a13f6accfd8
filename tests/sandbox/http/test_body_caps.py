"""Each endpoint's body cap: refused before reading, counted while streaming, drained before
an early reply."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from wechat_material import _endpoints as ep
from wechat_material.limits import MB
from wechat_material.sandbox import RunningSandbox, SandboxConfig, run_in_thread
from wechat_material.sandbox.http.body_caps import (
    ADMIN_CAP,
    ARTICLES_CAP,
    BODY_CAPS,
    SMALL_JSON_CAP,
    UPLOAD_MARGIN,
    cap_for,
)

from ..wechat_wire import START, WeChat, asgi_scope, errcode, media

pytestmark = pytest.mark.anyio


def test_every_endpoint_has_a_cap_and_uploads_take_their_largest_file() -> None:
    assert set(BODY_CAPS) == set(ep.ALL)
    assert BODY_CAPS[ep.MATERIAL_ADD].max_bytes == 10 * MB + UPLOAD_MARGIN
    assert BODY_CAPS[ep.MEDIA_UPLOAD_IMAGE].max_bytes == 1 * MB + UPLOAD_MARGIN
    assert BODY_CAPS[ep.MEDIA_UPLOAD].errcode == 45001
    assert BODY_CAPS[ep.DRAFT_ADD].max_bytes == ARTICLES_CAP
    assert BODY_CAPS[ep.MATERIAL_DELETE].max_bytes == SMALL_JSON_CAP
    assert cap_for("/cgi-bin/draft/add", 1000).max_bytes == 1000  # max_request_bytes lowers it


async def call_app(
    app: Starlette, path: str, chunks: list[bytes], headers: dict[str, str]
) -> tuple[list[str], dict[str, Any], list[Any]]:
    """Run one request straight through the ASGI app; the events in order, the reply."""
    events: list[str] = []
    pending = list(chunks)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        events.append("receive")
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        events.append(message["type"])
        sent.append(message)

    scope = {**asgi_scope(path, headers=headers), "app": app}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    reply = {
        "status": start["status"],
        "headers": {k.decode(): v.decode() for k, v in start["headers"]},
        "json": json.loads(body),
    }
    return events, reply, pending


async def test_a_declared_length_over_the_cap_is_refused_without_reading(app: Starlette) -> None:
    chunk = b"x" * 1024
    events, reply, unread = await call_app(
        app,
        "/cgi-bin/material/del_material",
        [chunk] * 100,
        {"content-length": str(SMALL_JSON_CAP + 1)},
    )
    assert "receive" not in events
    assert len(unread) == 100
    assert reply["status"] == 200
    assert reply["json"]["errcode"] == 47001
    assert reply["headers"]["connection"] == "close"


async def test_a_chunked_body_is_cut_off_at_the_cap(app: Starlette) -> None:
    chunk = b"x" * (64 * 1024)
    events, reply, unread = await call_app(
        app, "/cgi-bin/media/uploadimg", [chunk] * 100, {"transfer-encoding": "chunked"}
    )
    cap = BODY_CAPS[ep.MEDIA_UPLOAD_IMAGE].max_bytes
    assert events.count("receive") == cap // len(chunk) + 1  # stopped just past the cap
    assert unread
    assert reply["json"]["errcode"] == 45001
    assert reply["headers"]["connection"] == "close"


async def test_an_early_reply_waits_until_the_body_is_read(app: Starlette) -> None:
    # No access_token: refused before the handler reads anything, yet the body is read first.
    events, reply, unread = await call_app(
        app, "/cgi-bin/draft/add", [b"x" * 1024] * 50, {"content-length": str(50 * 1024)}
    )
    assert unread == []
    assert events.index("http.response.start") == 50
    assert reply["json"]["errcode"] == 41001
    assert "connection" not in reply["headers"]


async def test_unknown_paths_and_admin_calls_get_413(client: httpx.AsyncClient) -> None:
    reply = await client.post("/cgi-bin/no/such/api", content=b"x" * (SMALL_JSON_CAP + 1))
    assert reply.status_code == 413
    assert reply.json()["errcode"] == 47001
    reply = await client.post(
        "/_sandbox/faults",
        content=b"x" * (ADMIN_CAP + 1),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 413
    assert "over" in reply.json()["error"]


async def test_each_upload_endpoint_has_its_own_cap(
    wx: WeChat, grown_media: Callable[[str, int], bytes]
) -> None:
    big = grown_media("image.jpg", 3 * MB)  # past uploadimg's cap, within media/upload's
    assert errcode(await wx.upload("/cgi-bin/media/uploadimg", "a.jpg", big)) == 45001
    reply = await wx.upload("/cgi-bin/media/upload", "a.jpg", big, "image")
    assert "media_id" in reply.json()
    small = await wx.upload("/cgi-bin/media/uploadimg", "a.jpg", media("image.jpg"))
    assert "url" in small.json()


async def test_articles_past_the_small_json_cap_are_taken(wx: WeChat) -> None:
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    article = {"title": "t", "thumb_media_id": thumb, "content": "字" * 19_000}
    body = {"articles": [article] * 4}  # about 230 KB of UTF-8
    assert "media_id" in await wx.call("/cgi-bin/draft/add", body)


# -- over a real socket ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with run_in_thread(SandboxConfig(seed=8, start_time=START)) as running:
        yield running


def raw_request(
    sandbox: RunningSandbox, head: bytes, body_chunks: Iterator[bytes]
) -> tuple[int, bytes | None]:
    """Send a request by hand, sending on while the server reads: the body bytes it took,
    and all it answered (None when the connection was reset)."""
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            return sent, None
        return sent, answer


def test_a_chunked_body_is_no_longer_read_past_the_cap_over_a_socket(
    sandbox: RunningSandbox,
) -> None:
    piece = b"x" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    head = (
        b"POST /cgi-bin/material/del_material HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    )
    sent, answer = raw_request(sandbox, head, iter([chunk] * 1600))  # 100 MB, never taken
    assert sent < 50 * MB
    # The refusal reaches a client that stops sending in time; others see the cut.
    if answer:
        status, _, rest = answer.partition(b"\r\n")
        assert status == b"HTTP/1.1 200 OK"
        assert b"connection: close" in rest.lower()
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["errcode"] == 47001


def test_an_early_reply_comes_after_the_body_over_a_socket(sandbox: RunningSandbox) -> None:
    """No token, Connection: close: the body is read to its end, then answered; the client
    that is still sending when the sandbox knows its answer gets it, not a reset."""
    size = 8 * MB
    head = (
        b"POST /cgi-bin/media/upload?type=video HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )
    piece = b"x" * (MB // 4)
    sent, answer = raw_request(sandbox, head, iter([piece] * (size // len(piece))))
    assert sent == size
    assert answer is not None
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["errcode"] == 41001


@pytest.mark.slow  # over a second of requests
async def test_concurrent_early_replies_are_never_reset(sandbox: RunningSandbox) -> None:
    """Eight clients at once, each body within its cap: every one reads its errcode."""
    body = b'{"media_id": "' + b"x" * (ARTICLES_CAP - 100 * 1024) + b'"}'
    lanes = anyio.Semaphore(8)
    answers: list[int] = []

    async def one() -> None:
        async with lanes, httpx.AsyncClient(base_url=sandbox.base_url, timeout=30) as http:
            reply = await http.post(
                "/cgi-bin/draft/add", content=body, headers={"connection": "close"}
            )
            answers.append(reply.json()["errcode"])

    async with anyio.create_task_group() as group:
        for _ in range(48):
            group.start_soon(one)
    assert answers == [41001] * 48
