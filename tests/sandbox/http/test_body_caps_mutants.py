"""A body over its cap is refused in WeChat's words, labelled as the sandbox labels JSON.

The refusal's detail (how many bytes) only names the rule; WeChat's errmsg goes out."""

from __future__ import annotations

from typing import Any

import anyio.lowlevel
import pytest
from starlette.applications import Starlette

from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin
from wechat_material.sandbox.http.body_caps import ADMIN_CAP, SMALL_JSON_CAP

from ..wechat_wire import RID, WeChat, asgi_scope, media

pytestmark = pytest.mark.anyio

TOO_BIG = b"{" + b" " * SMALL_JSON_CAP + b"}"


async def test_the_refusal_says_how_large_a_body_may_be(wx: WeChat) -> None:
    reply = await wx.http.post(
        "/cgi-bin/material/del_material", params={"access_token": wx.token}, content=TOO_BIG
    )
    assert reply.status_code == 200
    payload = reply.json()
    assert payload["errcode"] == 47001
    assert RID.sub("", payload["errmsg"]) == "data format error"
    assert reply.headers["content-type"] == "application/json; encoding=utf-8"
    assert reply.headers["connection"] == "close"


@pytest.mark.parametrize("forced", ["text/plain", "application/json; encoding=utf-8"])
async def test_the_refusal_wears_the_forced_label(
    wx: WeChat, admin: AsyncSandboxAdmin, forced: str
) -> None:
    await admin.set_json_content_type(forced)
    reply = await wx.http.post(
        "/cgi-bin/material/del_material", params={"access_token": wx.token}, content=TOO_BIG
    )
    assert reply.json()["errcode"] == 47001
    counts = await wx.get("/cgi-bin/material/get_materialcount")
    assert reply.headers["content-type"] == counts.headers["content-type"]
    assert reply.headers["content-type"].startswith(forced)


async def test_an_unknown_path_over_its_cap_is_413_in_the_same_words(wx: WeChat) -> None:
    reply = await wx.http.post("/cgi-bin/no/such/call", content=TOO_BIG)
    assert reply.status_code == 413
    payload = reply.json()
    assert payload["errcode"] == 47001
    assert RID.sub("", payload["errmsg"]) == "data format error"


async def test_a_download_call_refused_is_labelled_as_its_other_errors(wx: WeChat) -> None:
    # WeChat labels a download endpoint's errors text/plain: the refusal of a body too
    # large is one of them (it was once labelled with the setting's name, "wechat").
    reply = await wx.http.post(
        "/cgi-bin/material/get_material", params={"access_token": wx.token}, content=TOO_BIG
    )
    assert reply.json()["errcode"] == 47001
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    other = await wx.post("/cgi-bin/material/get_material", {"media_id": "nope"})
    assert other.headers["content-type"] == reply.headers["content-type"]


async def test_the_admin_api_takes_a_js_sdk_voice_larger_than_its_other_bodies(
    admin: AsyncSandboxAdmin,
) -> None:
    # Other admin calls take 64 KiB; a JS-SDK voice may be a whole voice file.
    voice = media("voice-2s.mp3")
    voice += voice * (ADMIN_CAP // len(voice))
    assert len(voice) > ADMIN_CAP
    media_id = await admin.add_jssdk_voice(DEMO_APPID, voice)
    assert media_id


async def early_reply(app: Starlette, messages: list[dict[str, Any]]) -> tuple[int, int]:
    """The status the app answers a draft/add without a token with (refused before the
    body is read) whose body arrives as ``messages``, and how many messages it asked for
    (past the last, it is told the client left)."""
    incoming = list(messages)
    asked = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        await anyio.lowlevel.checkpoint()  # fail_after can end a loop of these
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    with anyio.fail_after(5):  # a layer waiting for a body that has ended would hang
        await app(asgi_scope("/cgi-bin/draft/add"), receive, send)
    return statuses[0], asked


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.request", "body": b"{}"}],  # no more_body: the last message
        [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}],
    ],
)
async def test_an_early_reply_reads_the_body_to_its_end_and_no_further(
    app: Starlette, messages: list[dict[str, Any]]
) -> None:
    assert await early_reply(app, messages) == (200, len(messages))
