"""Every console reply carries the security headers; no page has a script of its own."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from wechat_material.sandbox import SandboxConfig, create_app
from wechat_material.sandbox.http.console_headers import FILE_POLICY, PAGE_POLICY

from ..wechat_wire import BASE, START, WeChat, article, media

PAGE = {
    "content-security-policy": PAGE_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
# The routes of the console, by the status a sandbox with one draft answers them with.
ROUTES = [
    ("/", 200),
    ("/ui/accounts", 200),
    ("/ui/gallery", 200),
    ("/ui/gallery?q=x&type=image", 200),
    ("/ui/media/{thumb}", 200),
    ("/ui/media/no-such-media", 404),
    ("/ui/articles", 200),
    ("/ui/articles/draft/{draft}/0", 200),
    ("/ui/articles/draft/{draft}/7", 404),
    ("/ui/articles/draft/{draft}/x", 400),
    ("/ui/latest", 303),
    ("/ui/journal", 200),
    ("/ui/journal/1", 200),
    ("/ui/journal/99999", 404),
    ("/ui/journal/x", 400),
    ("/ui/events?once=1", 200),
    ("/ui/events?after=x", 400),
    ("/ui/controls", 200),
    ("/ui/static/console.js", 200),
    ("/ui/static/console.css", 200),
    ("/ui/static/favicon.svg", 200),
    ("/ui/static/nothing.js", 404),
    ("/ui/frame/draft/{draft}/7", 404),
    ("/ui/file/no-such-media", 404),
    ("/ui/no-such-page", 404),
]


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(seed=5, start_time=START)


async def one_draft(client: httpx.AsyncClient) -> dict[str, str]:
    wx = WeChat(client)
    await wx.fetch_token()
    thumb = await wx.add_material("thumb", "thumb.jpg", media("thumb.jpg"))
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]})
    return {"thumb": thumb, "draft": draft["media_id"]}


@pytest.mark.anyio
@pytest.mark.parametrize(("route", "status"), ROUTES, ids=[r for r, _ in ROUTES])
async def test_every_console_reply_has_the_security_headers(
    client: httpx.AsyncClient, route: str, status: int
) -> None:
    ids = await one_draft(client)
    reply = await client.get(route.format(**ids))
    assert reply.status_code == status
    for name, value in PAGE.items():
        assert reply.headers.get_list(name) == [value], name


@pytest.mark.anyio
async def test_no_page_has_an_inline_script(client: httpx.AsyncClient) -> None:
    ids = await one_draft(client)
    for route, status in ROUTES:
        reply = await client.get(route.format(**ids))
        if status != 200 or not reply.headers["content-type"].startswith("text/html"):
            continue
        scripts = re.findall(r"<script\b[^>]*>", reply.text, re.IGNORECASE)
        assert scripts == ['<script src="/ui/static/console.js" defer>'], route
        assert not re.search(r"\son[a-z]+\s*=", reply.text, re.IGNORECASE), route
        assert "javascript:" not in reply.text.lower(), route


@pytest.mark.anyio
async def test_the_article_frame_is_framed_by_the_console_only(client: httpx.AsyncClient) -> None:
    ids = await one_draft(client)
    reply = await client.get(f"/ui/frame/draft/{ids['draft']}/0")
    assert reply.status_code == 200
    assert reply.headers["x-frame-options"] == "SAMEORIGIN"
    policy = reply.headers["content-security-policy"]
    assert policy.startswith("sandbox; default-src 'none'")
    assert "frame-ancestors 'self'" in policy
    assert "script-src" not in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "no-referrer"


@pytest.mark.anyio
async def test_a_served_file_never_runs_as_a_page(client: httpx.AsyncClient) -> None:
    ids = await one_draft(client)
    reply = await client.get(f"/ui/file/{ids['thumb']}")
    assert reply.status_code == 200
    assert reply.content == media("thumb.jpg")
    assert reply.headers["content-type"] == "image/jpeg"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-disposition"].startswith("attachment;")
    assert reply.headers["content-security-policy"] == FILE_POLICY


@pytest.mark.anyio
async def test_refusals_at_the_doors_carry_them_too() -> None:
    app: Starlette = create_app(SandboxConfig(seed=5, admin_token="t" * 32))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            for route in ("/", "/ui/journal", "/ui/static/console.js"):
                reply = await client.get(route)
                assert reply.status_code in (401, 403), route
                for name, value in PAGE.items():
                    assert reply.headers.get(name) == value, (route, name)
            login = await client.get("/ui/journal", params={"admin_token": "t" * 32})
            assert login.status_code == 303
            assert login.headers["x-frame-options"] == "DENY"
    finally:
        app.state.sandbox.close()


@pytest.mark.anyio
async def test_api_replies_are_left_alone(client: httpx.AsyncClient) -> None:
    reply = await client.get("/cgi-bin/token")
    assert "content-security-policy" not in reply.headers
    assert "x-frame-options" not in reply.headers
