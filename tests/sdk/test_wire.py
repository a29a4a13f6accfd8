"""What goes on the wire: the endpoint table matches the contract, JSON is sent as WeChat wants."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from wechat_material import Article, RetryPolicy, WeChatClient
from wechat_material._calls import (
    Call,
    add_material,
    draft_get,
    fetch_token,
    get_material_count,
    video_file,
)
from wechat_material._config import USER_AGENT
from wechat_material._endpoints import ALL
from wechat_material._flow import call_flow
from wechat_material._steps import Blocking, Send
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .harness import FAST_RETRY, MEDIA, flow_settings

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "wire-contract.en.md"


def test_every_endpoint_is_one_the_contract_describes() -> None:
    contract = CONTRACT.read_text(encoding="utf-8")
    paths = [endpoint.path for endpoint in ALL if endpoint.path]
    assert len(paths) == len(set(paths))
    missing = [path for path in paths if path not in contract]
    assert missing == []


def test_json_bodies_are_utf8_without_escapes(threaded_sandbox: Any) -> None:
    threaded_sandbox.admin.reset()
    sent: list[httpx.Request] = []

    def keep(request: httpx.Request) -> None:
        if request.headers.get("content-type") == "application/json":
            sent.append(request)

    with (
        httpx.Client(event_hooks={"request": [keep]}) as http,
        WeChatClient(
            DEMO_APPID,
            DEMO_SECRET,
            base_url=threaded_sandbox.base_url,
            http_client=http,
            retry=FAST_RETRY,
        ) as client,
    ):
        thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg")
        client.draft.add(
            [Article(title="标题", content="<p>中文</p>", thumb_media_id=thumb.media_id)]
        )

    (request,) = [r for r in sent if r.url.path == "/cgi-bin/draft/add"]
    body = request.read()
    assert "标题".encode() in body
    assert "<p>中文</p>".encode() in body
    assert b"\\u" not in body
    assert "access_token" in request.url.params


def first_send(call: Call[Any]) -> Send:
    """The first request ``call``'s flow asks to send (with the token ``TOKEN``)."""
    settings = flow_settings(RetryPolicy(), lambda: 1_700_000_000.0)
    flow = call_flow(call, settings)
    step = next(flow)
    while not isinstance(step, Send):
        step = flow.send(step.work() if isinstance(step, Blocking) else "TOKEN")
    flow.close()
    return step


def test_a_read_sends_its_arguments_and_token_in_the_query_and_no_body() -> None:
    send = first_send(get_material_count())
    request = send.request
    assert str(request.url) == (
        "https://api.weixin.qq.com/cgi-bin/material/get_materialcount?access_token=TOKEN"
    )
    assert request.headers["User-Agent"] == USER_AGENT
    assert "content-type" not in request.headers
    assert request.read() == b""
    assert request.extensions["timeout"] == httpx.Timeout(15.0, connect=5.0).as_dict()
    assert send.follow_redirects is False


def test_a_token_request_carries_its_grant_in_the_query_and_no_token() -> None:
    request = first_send(fetch_token("wx0123456789abcdef", SecretStr("s" * 32), "token")).request
    assert request.method == "GET"
    assert dict(request.url.params) == {
        "grant_type": "client_credential",
        "appid": "wx0123456789abcdef",
        "secret": "s" * 32,
    }
    assert request.read() == b""  # its arguments are not sent twice, as JSON too
    assert "content-type" not in request.headers


def test_a_json_call_sends_compact_json_with_its_type_and_only_the_token_in_the_query() -> None:
    request = first_send(draft_get("MEDIA")).request
    assert (request.method, request.url.path) == ("POST", "/cgi-bin/draft/get")
    assert dict(request.url.params) == {"access_token": "TOKEN"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.read() == b'{"media_id":"MEDIA"}'
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.extensions["timeout"] == httpx.Timeout(15.0, connect=5.0).as_dict()


def test_an_upload_names_its_host_and_has_the_longer_timeout() -> None:
    call = add_material("image", (MEDIA / "image.png").read_bytes(), "a.png")
    request = first_send(call).request
    assert dict(request.url.params) == {"access_token": "TOKEN", "type": "image"}
    assert request.headers["Host"] == "api.weixin.qq.com"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert request.headers["User-Agent"] == USER_AGENT
    # 15 s without a byte of the reply, as any call; a send may stall for 120 s.
    assert request.extensions["timeout"] == httpx.Timeout(15.0, connect=5.0, write=120.0).as_dict()


def test_a_video_file_is_fetched_from_its_own_link_without_token_following_redirects() -> None:
    send = first_send(video_file("https://mp.weixin.qq.com/v/abc?vid=1", io.BytesIO))
    assert str(send.request.url) == "https://mp.weixin.qq.com/v/abc?vid=1"
    assert send.follow_redirects is True
