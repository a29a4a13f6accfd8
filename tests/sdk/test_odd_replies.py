"""Replies no WeChat endpoint should give, and a few it does: each read from the body.

The sandbox answers like WeChat; the oddities a proxy or a broken gateway
produces (an HTML page with status 200, a cut-off JSON body, an empty reply)
come from a tiny ASGI app that answers each path with a canned reply.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from wechat_material import (
    AsyncWeChatClient,
    MaterialCount,
    MediaFile,
    NotFoundError,
    RetryPolicy,
    UnexpectedReplyError,
)
from wechat_material.tokens import MemoryTokenStore

from .harness import MEDIA

pytestmark = pytest.mark.anyio

TOKEN_REPLY = (200, "application/json", b'{"access_token":"T0KEN-abc","expires_in":7200}')


class CannedWeChat:
    """An ASGI app answering each path with the (status, content type, body) set for it."""

    def __init__(self) -> None:
        self.replies: dict[str, tuple[int, str, bytes]] = {"/cgi-bin/token": TOKEN_REPLY}
        self.calls: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        self.calls.append(scope["path"])
        while (await receive()).get("more_body", False):
            pass
        status, content_type, body = self.replies[scope["path"]]
        headers = [(b"content-length", str(len(body)).encode())]
        if content_type:
            headers.append((b"content-type", content_type.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def wechat() -> CannedWeChat:
    return CannedWeChat()


@pytest.fixture
async def client(wechat: CannedWeChat) -> AsyncIterator[AsyncWeChatClient]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=wechat))
    client = AsyncWeChatClient(
        "wx0123456789abcdef",
        "s3cret",
        base_url="http://wechat.test",
        http_client=http,
        retry=RetryPolicy(backoff_base=0.0),
    )
    yield client
    await http.aclose()


COUNT = "/cgi-bin/material/get_materialcount"
GET = "/cgi-bin/material/get_material"
JSSDK = "/cgi-bin/media/get/jssdk"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "", "application/octet-stream", "text/html"]
)
async def test_json_is_read_as_json_whatever_its_label(
    client: AsyncWeChatClient, wechat: CannedWeChat, content_type: str
) -> None:
    wechat.replies[COUNT] = (
        200,
        content_type,
        b' \n{"image_count": 3, "errcode": 0, "errmsg": "ok"}',
    )
    count = await client.material.get_material_count()
    assert isinstance(count, MaterialCount)
    assert count.image_count == 3


async def test_a_utf8_bom_before_json_is_tolerated(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (200, "application/json", b'\xef\xbb\xbf{"voice_count": 2}')
    assert (await client.material.get_material_count()).voice_count == 2


async def test_an_html_page_with_status_200_is_an_unexpected_reply(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (200, "text/html", b"<html><body>Portal login</body></html>")
    with pytest.raises(UnexpectedReplyError, match=r"HTML.*Portal login"):
        await client.material.get_material_count()


async def test_a_cut_off_json_body_is_an_unexpected_reply(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (200, "application/json", b'{"image_count": 3, "voice_co')
    with pytest.raises(UnexpectedReplyError, match="cut off"):
        await client.material.get_material_count()


async def test_an_empty_reply_is_an_unexpected_reply(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (200, "application/json", b"")
    with pytest.raises(UnexpectedReplyError, match="empty"):
        await client.material.get_material_count()


async def test_a_file_where_json_belongs_is_an_unexpected_reply(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (200, "application/json", (MEDIA / "image.png").read_bytes())
    with pytest.raises(UnexpectedReplyError, match="file arrived where JSON"):
        await client.material.get_material_count()


async def test_an_error_where_a_file_belongs_is_the_api_error(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    error = {"errcode": 40007, "errmsg": "invalid media_id rid: 6125a48e-4bc55df9-6a1d6b57"}
    wechat.replies[JSSDK] = (200, "image/jpeg", json.dumps(error).encode())
    with pytest.raises(NotFoundError) as caught:
        await client.material.get_jssdk_media("x")
    assert caught.value.rid == "6125a48e-4bc55df9-6a1d6b57"


async def test_json_without_errcode_where_only_a_file_belongs_is_unexpected(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[JSSDK] = (200, "application/json", b'{"hello": "world"}')
    with pytest.raises(UnexpectedReplyError, match="JSON arrived where a file"):
        await client.material.get_jssdk_media("x")


async def test_a_file_labelled_json_is_still_a_file(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    png = (MEDIA / "image.png").read_bytes()
    wechat.replies[GET] = (200, "application/json", png)
    got = await client.material.get_material("abc")
    assert isinstance(got, MediaFile)
    assert got.content == png
    assert got.filename == "abc.png"


async def test_a_reply_of_the_wrong_shape_is_unexpected_and_leaks_nothing(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (200, "application/json", b'{"image_count": "many"}')
    with pytest.raises(UnexpectedReplyError, match="image_count"):
        await client.material.get_material_count()
    wechat.replies["/cgi-bin/token"] = (200, "application/json", b'{"access_token": "SECRET-T"}')
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wechat)) as http:
        fresh = AsyncWeChatClient(  # no token yet: not the one the first client holds
            "wx0123456789abcdef",
            "s3cret",
            base_url="http://wechat.test",
            http_client=http,
            token_store=MemoryTokenStore(),
        )
        with pytest.raises(UnexpectedReplyError, match="expires_in") as caught:
            await fresh.get_access_token()
    assert "SECRET-T" not in str(caught.value)


async def test_a_not_found_page_is_not_taken_for_a_reply(
    client: AsyncWeChatClient, wechat: CannedWeChat
) -> None:
    wechat.replies[COUNT] = (404, "text/html", b"<h1>404 Not Found</h1>")
    with pytest.raises(UnexpectedReplyError, match="HTTP 404"):
        await client.material.get_material_count()
    assert wechat.calls.count(COUNT) == 1
