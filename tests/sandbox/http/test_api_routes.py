"""API calls reach their route by its path; what the router answered before, it still does."""

from __future__ import annotations

import logging

import httpx
import pytest

from ..wechat_wire import WeChat, errcode

pytestmark = pytest.mark.anyio


async def test_a_method_no_route_takes_is_405_not_an_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wechat_material.sandbox")
    for method in ("TRACE", "CONNECT", "FOO"):
        reply = await client.request(method, "/cgi-bin/token")
        assert reply.status_code == 405, method
    assert not caplog.records


async def test_a_get_to_a_post_endpoint_gets_wechats_answer(wx: WeChat) -> None:
    reply = await wx.get("/cgi-bin/material/batchget_material")
    assert errcode(reply) == 43002


async def test_head_and_options_reach_the_route(client: httpx.AsyncClient) -> None:
    for method in ("HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"):
        reply = await client.request(method, "/cgi-bin/token")
        assert reply.status_code == 200, method


async def test_unknown_api_paths_still_reach_the_catch_all(client: httpx.AsyncClient) -> None:
    reply = await client.get("/cgi-bin/material/no_such_thing")
    assert reply.status_code == 404
    assert reply.json()["errcode"] == 48001


async def test_every_api_call_is_still_journalled(client: httpx.AsyncClient, wx: WeChat) -> None:
    await wx.get("/cgi-bin/material/get_materialcount")
    events = (await client.get("/ui/events", params={"after": "0", "once": "1"})).text
    assert '"path": "/cgi-bin/material/get_materialcount"' in events
