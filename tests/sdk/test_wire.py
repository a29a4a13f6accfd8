"""What goes on the wire: the endpoint table matches the contract, JSON is sent as WeChat wants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from wechat_material import Article, WeChatClient
from wechat_material._endpoints import ALL
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .harness import FAST_RETRY, MEDIA

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "wire-contract.md"


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
