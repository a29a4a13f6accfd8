"""Numbers of thousands of digits, wherever a number goes: an answer, never a traceback."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread
from wechat_material.sandbox.http.numbers import MalformedNumber, number_in

from ..wechat_wire import START, WeChat, article, media

HUGE = "9" * 5000
ZEROS = "0" * 5000 + "1"  # long, yet a small number


@pytest.fixture
def log_errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="wechat_material.sandbox")
    return caplog


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def with_an_article(client: httpx.AsyncClient) -> str:
    """A draft with one article; its media_id."""
    wx = WeChat(client)
    await wx.fetch_token()
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]})
    media_id: str = draft["media_id"]
    return media_id


@pytest.mark.anyio
async def test_huge_numbers_in_console_paths_are_404(
    client: httpx.AsyncClient, log_errors: pytest.LogCaptureFixture
) -> None:
    draft = await with_an_article(client)
    for number in (HUGE, "1" + "0" * 18):
        for path in (
            f"/ui/journal/{number}",
            f"/ui/articles/draft/{draft}/{number}",
            f"/ui/frame/draft/{draft}/{number}",
        ):
            reply = await client.get(path)
            assert reply.status_code == 404, path[:40]
    # Leading zeros are still the number they spell.
    assert (await client.get(f"/ui/articles/draft/{draft}/{'0' * 5000}")).status_code == 200
    no_traceback(log_errors)


@pytest.mark.anyio
@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "²", "1e3", "%20"])
async def test_malformed_numbers_in_console_paths_are_400(
    client: httpx.AsyncClient, log_errors: pytest.LogCaptureFixture, bad: str
) -> None:
    draft = await with_an_article(client)
    for path in (
        f"/ui/journal/{bad}",
        f"/ui/articles/draft/{draft}/{bad}",
        f"/ui/frame/draft/{draft}/{bad}",
    ):
        reply = await client.get(path)
        assert reply.status_code == 400, path
        assert "whole number" in reply.text
    no_traceback(log_errors)


@pytest.mark.anyio
async def test_huge_numbers_in_every_console_query_are_answered(
    client: httpx.AsyncClient, log_errors: pytest.LogCaptureFixture
) -> None:
    draft = await with_an_article(client)
    pages = [
        "/",
        "/ui/accounts",
        "/ui/gallery",
        f"/ui/media/{HUGE}",
        f"/ui/file/{HUGE}",
        "/ui/articles",
        f"/ui/articles/draft/{draft}/0",
        f"/ui/articles/{HUGE}/{HUGE}/0",
        "/ui/latest",
        "/ui/journal",
        "/ui/controls",
        f"/ui/static/{HUGE}",
    ]
    query = {
        name: HUGE
        for name in ("appid", "type", "q", "since", "until", "path", "errcode", "seq", "idx")
    }
    for page in pages:
        reply = await client.get(page, params=query)
        assert reply.status_code in (200, 303, 404), page[:40]
    no_traceback(log_errors)


@pytest.mark.anyio
@pytest.mark.parametrize("where", ["after", "last-event-id"])
async def test_the_event_stream_refuses_huge_or_malformed_positions(
    client: httpx.AsyncClient, log_errors: pytest.LogCaptureFixture, where: str
) -> None:
    for value, status in ((HUGE, 400), ("abc", 400), ("-5", 400), (ZEROS, 200), ("0", 200)):
        if where == "after":
            reply = await client.get("/ui/events", params={"after": value, "once": "1"})
        else:
            reply = await client.get(
                "/ui/events", params={"once": "1"}, headers={"last-event-id": value}
            )
        assert reply.status_code == status, value[:10]
        if status == 400:
            assert reply.text.startswith(("after", "Last-Event-ID"))
    no_traceback(log_errors)


@pytest.mark.anyio
async def test_huge_numbers_in_json_bodies_are_refused(
    client: httpx.AsyncClient, log_errors: pytest.LogCaptureFixture
) -> None:
    advance = await client.post(
        "/_sandbox/clock/advance",
        content=f'{{"seconds": {HUGE}}}',
        headers={"content-type": "application/json"},
    )
    assert advance.status_code == 400
    grant = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
    token = (await client.get("/cgi-bin/token", params=grant)).json()["access_token"]
    for body in (f'{{"type": "image", "offset": {HUGE}, "count": 1}}',
                 f'{{"type": "image", "offset": "{HUGE}", "count": 1}}'):  # fmt: skip
        listing = await client.post(
            "/cgi-bin/material/batchget_material",
            params={"access_token": token},
            content=body,
            headers={"content-type": "application/json"},
        )
        assert listing.json()["errcode"] not in (0, -1)
    no_traceback(log_errors)


@pytest.mark.slow
@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_a_huge_content_length_is_answered(http: str) -> None:
    from wechat_material.sandbox import ServerLimits

    limits = ServerLimits(http=http)  # type: ignore[arg-type]
    with run_in_thread(SandboxConfig(seed=1, start_time=START), limits=limits) as running:
        host, port = running.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(
                b"POST /cgi-bin/draft/add HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + HUGE.encode()
                + b"\r\n\r\n{}"
            )
            reply = sock.recv(65536)
        assert reply.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 413 ")), reply[:60]


def test_number_in() -> None:
    assert number_in("0") == 0
    assert number_in("007") == 7
    assert number_in("9" * 18) == 10**18 - 1
    assert number_in("9" * 19) is None
    assert number_in(HUGE) is None
    for bad in ("", "-1", "+1", " 1", "1_000", "١٢", "²"):
        with pytest.raises(MalformedNumber, match="whole number"):
            number_in(bad)
