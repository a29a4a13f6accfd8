"""The wire format every endpoint shares: replies, bad requests, methods, counting."""

from __future__ import annotations

import json

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin, SandboxBackend
from wechat_material.sandbox.http.middleware import PEEK_LIMIT

from ..wechat_wire import RID, WeChat, article, errcode

pytestmark = pytest.mark.anyio

# Every API path, with the method it is documented for.
ENDPOINTS = [
    ("POST", "/cgi-bin/clear_quota"),
    ("POST", "/cgi-bin/openapi/quota/get"),
    ("POST", "/cgi-bin/media/upload"),
    ("GET", "/cgi-bin/media/get"),
    ("GET", "/cgi-bin/media/get/jssdk"),
    ("POST", "/cgi-bin/media/uploadimg"),
    ("POST", "/cgi-bin/media/uploadnews"),
    ("POST", "/cgi-bin/media/uploadvideo"),
    ("POST", "/cgi-bin/material/add_material"),
    ("POST", "/cgi-bin/material/get_material"),
    ("POST", "/cgi-bin/material/del_material"),
    ("GET", "/cgi-bin/material/get_materialcount"),
    ("POST", "/cgi-bin/material/batchget_material"),
    ("POST", "/cgi-bin/material/add_news"),
    ("POST", "/cgi-bin/material/update_news"),
    ("POST", "/cgi-bin/draft/add"),
    ("POST", "/cgi-bin/draft/get"),
    ("POST", "/cgi-bin/draft/delete"),
    ("POST", "/cgi-bin/draft/update"),
    ("GET", "/cgi-bin/draft/count"),
    ("POST", "/cgi-bin/draft/batchget"),
    ("POST", "/cgi-bin/freepublish/submit"),
    ("POST", "/cgi-bin/freepublish/get"),
    ("POST", "/cgi-bin/freepublish/delete"),
    ("POST", "/cgi-bin/freepublish/getarticle"),
    ("POST", "/cgi-bin/freepublish/batchget"),
]
POST_ONLY = [path for method, path in ENDPOINTS if method == "POST"]
JSON_POSTS = [
    p
    for p in POST_ONLY
    if p not in ("/cgi-bin/media/upload", "/cgi-bin/media/uploadimg")
    and p != "/cgi-bin/material/add_material"
]


async def test_errors_are_http_200_json_with_a_rid(client: httpx.AsyncClient) -> None:
    reply = await client.get("/cgi-bin/material/get_materialcount", params={"access_token": "x"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json; encoding=utf-8"
    payload = reply.json()
    assert set(payload) == {"errcode", "errmsg"}
    assert payload["errmsg"].startswith("invalid access_token rid: ")
    assert RID.search(payload["errmsg"])


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_every_endpoint_wants_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert errcode(await client.request(method, path)) == 41001
    reply = await client.request(method, path, params={"access_token": "garbage"})
    assert errcode(reply) == 40014


@pytest.mark.parametrize("path", POST_ONLY)
async def test_post_endpoints_refuse_get(wx: WeChat, path: str) -> None:
    assert errcode(await wx.get(path)) == 43002


async def test_other_methods_get_43002_too(wx: WeChat) -> None:
    reply = await wx.http.put("/cgi-bin/draft/add", params={"access_token": wx.token})
    assert errcode(reply) == 43002


async def test_get_endpoints_also_take_post(wx: WeChat) -> None:
    reply = await wx.http.post(
        "/cgi-bin/material/get_materialcount", params={"access_token": wx.token}
    )
    assert reply.json()["image_count"] == 0


@pytest.mark.parametrize("path", JSON_POSTS)
async def test_empty_and_malformed_bodies(wx: WeChat, path: str) -> None:
    params = {"access_token": wx.token}
    assert errcode(await wx.http.post(path, params=params, content=b"")) == 44002
    assert errcode(await wx.http.post(path, params=params, content=b"{not json")) == 47001
    assert errcode(await wx.http.post(path, params=params, content=b"[1, 2]")) == 47001
    assert errcode(await wx.http.post(path, params=params, content=b"\xff\xfe{}")) == 47001


async def test_json_without_content_type_is_accepted(wx: WeChat) -> None:
    thumb = await wx.add_image()
    body = json.dumps({"articles": [article(thumb)]}, ensure_ascii=False).encode()
    reply = await wx.http.post(
        "/cgi-bin/draft/add", params={"access_token": wx.token}, content=body
    )
    assert "content-type" not in reply.request.headers
    assert "media_id" in reply.json()


async def test_non_ascii_comes_back_raw(wx: WeChat) -> None:
    thumb = await wx.add_image()
    media_id = (await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]}))["media_id"]
    reply = await wx.post("/cgi-bin/draft/get", {"media_id": media_id})
    assert "标题".encode() in reply.content
    assert b"\\u" not in reply.content


async def test_json_can_be_labelled_text_plain(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    await admin.set_json_content_type("text/plain")
    reply = await wx.get("/cgi-bin/material/get_materialcount")
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.json()["image_count"] == 0
    await admin.set_json_content_type("application/json")
    reply = await wx.get("/cgi-bin/material/get_materialcount")
    assert reply.headers["content-type"] == "application/json; encoding=utf-8"


async def test_unknown_api_path_is_404_with_json(client: httpx.AsyncClient) -> None:
    reply = await client.get("/cgi-bin/material/does_not_exist")
    assert reply.status_code == 404
    assert reply.json()["errcode"] == 48001
    assert RID.search(reply.json()["errmsg"])


async def test_unknown_file_url_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/mmbiz/mmbiz_jpg/nothing/0")).status_code == 404
    assert (await client.get("/mmbiz/s/nothing")).status_code == 404
    assert (await client.get("/elsewhere")).status_code == 404


async def test_an_internal_failure_is_a_clean_system_error(
    wx: WeChat, backend: SandboxBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing real fails on demand inside the backend, so one method is made to.
    def broken(appid: str) -> dict[str, int]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(backend.materials, "count", broken)
    reply = await wx.get("/cgi-bin/material/get_materialcount")
    assert errcode(reply) == -1
    assert "disk on fire" not in reply.text
    assert "Traceback" not in reply.text


async def test_calls_are_counted_on_arrival_per_account(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    await admin.reset_counters()
    await wx.get("/cgi-bin/material/get_materialcount")
    await wx.post("/cgi-bin/material/get_material", {"media_id": "nope"})  # fails: still counted
    await wx.get("/cgi-bin/material/get_material")  # wrong method: still counted
    await wx.http.get(
        "/cgi-bin/token", params={"grant_type": "client_credential", "appid": DEMO_APPID}
    )
    await wx.http.post("/cgi-bin/stable_token", json={"appid": DEMO_APPID, "secret": "x"})
    await wx.http.get("/cgi-bin/material/get_materialcount", params={"access_token": "garbage"})
    await admin.now()  # admin calls are not counted
    assert await admin.counters(DEMO_APPID) == {
        "/cgi-bin/material/get_materialcount": 1,
        "/cgi-bin/material/get_material": 2,
        "/cgi-bin/token": 1,
        "/cgi-bin/stable_token": 1,
    }
    assert await admin.counters("") == {"/cgi-bin/material/get_materialcount": 1}
    await admin.reset_counters()
    assert await admin.counters() == {}


async def test_stable_token_body_survives_counting(client: httpx.AsyncClient) -> None:
    # Longer than the counting layer looks at, within the endpoint's body cap.
    secret = "x" * (PEEK_LIMIT + 1000)
    body = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": secret}
    reply = await client.post("/cgi-bin/stable_token", json=body)
    assert errcode(reply) == 40125  # the long body was read in full after the peek
