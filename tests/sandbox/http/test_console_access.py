"""The console stands behind the admin API's doors: Host, Origin and the admin token.

A browser cannot send a bearer header with a page it opens, so off loopback the
console is opened once as ``/?admin_token=TOKEN``: the token moves into an
HttpOnly, SameSite=Strict cookie and the browser is sent on without it in the
address. Built in-process as ``serve`` binds it (no test listens off loopback).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from wechat_material.sandbox import SandboxConfig, create_app
from wechat_material.sandbox.http.access import TOKEN_COOKIE, Doors
from wechat_material.sandbox.state.config import ADMIN_TOKEN_ENV

from ..wechat_wire import START

pytestmark = pytest.mark.anyio
TOKEN = "console-admin-token-0123456789"
BASE = "http://127.0.0.1:8900"


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(SandboxConfig(seed=5, start_time=START))
    doors: Doors = app.state.doors
    doors.bind(8900, TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield app, http
    app.state.sandbox.close()


async def test_console_pages_need_the_token(guarded) -> None:
    _, http = guarded
    for path in ("/", "/ui/gallery", "/ui/journal", "/ui/events", "/ui/latest"):
        reply = await http.get(path)
        assert reply.status_code == 401, path
        assert "admin_token=TOKEN" in reply.json()["error"]
        assert TOKEN not in reply.text


async def test_a_wrong_token_in_the_address_sets_nothing(guarded) -> None:
    _, http = guarded
    reply = await http.get("/", params={"admin_token": "not-it"})
    assert reply.status_code == 401
    assert "set-cookie" not in reply.headers


async def test_the_token_in_the_address_becomes_a_strict_cookie(guarded) -> None:
    app, http = guarded
    reply = await http.get("/ui/gallery", params={"admin_token": TOKEN, "type": "image"})
    assert reply.status_code == 303
    assert reply.headers["location"] == "/ui/gallery?type=image"  # the token left behind
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()

    # With the cookie: the pages, and the admin calls the controls make.
    http.cookies.set(TOKEN_COOKIE, TOKEN)
    assert (await http.get("/ui/gallery")).status_code == 200
    before = app.state.sandbox.clock.now()
    moved = await http.post(
        "/_sandbox/clock/advance", json={"seconds": 60}, headers={"Origin": BASE}
    )
    assert moved.status_code == 200, moved.text
    assert app.state.sandbox.clock.now() == before + 60


async def test_the_cookie_does_not_open_the_doors_to_other_sites(guarded) -> None:
    app, http = guarded
    http.cookies.set(TOKEN_COOKIE, TOKEN)
    before = app.state.sandbox.clock.now()
    reply = await http.post(
        "/_sandbox/clock/advance", json={"seconds": 60}, headers={"Origin": "http://evil.test"}
    )
    assert reply.status_code == 403
    reply = await http.get("/", headers={"Host": "evil.test:8900"})
    assert reply.status_code == 403
    assert app.state.sandbox.clock.now() == before


async def test_a_forged_host_cannot_log_in(guarded) -> None:
    _, http = guarded
    reply = await http.get("/", params={"admin_token": TOKEN}, headers={"Host": "evil.test"})
    assert reply.status_code == 403
    assert "set-cookie" not in reply.headers


async def test_on_loopback_without_a_token_the_console_just_opens() -> None:
    app = create_app(SandboxConfig(seed=5, start_time=START))
    app.state.doors.bind(8900, None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        assert (await http.get("/")).status_code == 200
        # ...but still not for a page on another site, or a Host it does not serve.
        assert (await http.get("/", headers={"Host": "evil.test"})).status_code == 403
        cross = await http.get("/ui/journal", headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
    app.state.sandbox.close()
