"""Account status: frozen accounts and secrets, a forbidden token API, APIs not granted,
limited accounts; each answers WeChat's errcode and switching back restores service."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from wechat_material.errcodes import ERRCODES
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AccountStatus,
    AsyncSandboxAdmin,
    SandboxAdminError,
    SandboxConfig,
    create_app,
    run_in_thread,
)

from ..wechat_wire import BASE, START, WeChat, errcode, media

pytestmark = pytest.mark.anyio

GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
STATUS = f"/_sandbox/accounts/{DEMO_APPID}/status"
HEALTHY = {
    "secret_frozen": False,
    "token_forbidden": False,
    "frozen": False,
    "limited": False,
    "unauthorized": [],
}
# The calls that change content: refused with 50002 while the account is limited.
WRITES = {
    "/cgi-bin/media/upload",
    "/cgi-bin/media/uploadimg",
    "/cgi-bin/media/uploadnews",
    "/cgi-bin/media/uploadvideo",
    "/cgi-bin/material/add_material",
    "/cgi-bin/material/del_material",
    "/cgi-bin/material/add_news",
    "/cgi-bin/material/update_news",
    "/cgi-bin/draft/add",
    "/cgi-bin/draft/update",
    "/cgi-bin/draft/delete",
    "/cgi-bin/freepublish/submit",
    "/cgi-bin/freepublish/delete",
}


def refused(reply: httpx.Response) -> int:
    """The errcode of an error reply, after checking its errmsg is WeChat's text + rid."""
    code = errcode(reply)
    assert reply.json()["errmsg"].startswith(ERRCODES[code].errmsg + " rid: "), reply.json()
    return code


async def token_call(client: httpx.AsyncClient, endpoint: str, **grant: str) -> httpx.Response:
    params = {**GRANT, **grant}
    if endpoint == "token":
        return await client.get("/cgi-bin/token", params=params)
    return await client.post("/cgi-bin/stable_token", json=params)


async def put_status(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    reply = await client.put(STATUS, json=fields)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def api_paths(app: Starlette) -> list[str]:
    """Every API endpoint the sandbox serves behind an access_token."""
    paths = [
        route.path
        for route in app.routes
        if isinstance(route, Route)
        and route.path.startswith("/cgi-bin/")
        and "{" not in route.path  # the catch-all for unknown paths
    ]
    return [p for p in paths if p not in ("/cgi-bin/token", "/cgi-bin/stable_token")]


@pytest.mark.parametrize("endpoint", ["token", "stable_token"])
@pytest.mark.parametrize(
    ("switch", "code"), [("frozen", 50007), ("secret_frozen", 40243), ("token_forbidden", 50004)]
)
async def test_token_endpoints_refuse_and_recover(
    client: httpx.AsyncClient, endpoint: str, switch: str, code: int
) -> None:
    await put_status(client, **{switch: True})
    assert refused(await token_call(client, endpoint)) == code
    await put_status(client, **{switch: False})
    assert "access_token" in (await token_call(client, endpoint)).json()


async def test_token_checks_come_after_credentials_in_a_fixed_order(
    client: httpx.AsyncClient,
) -> None:
    await put_status(client, frozen=True, secret_frozen=True, token_forbidden=True)
    assert refused(await token_call(client, "token", secret="0" * 32)) == 40125
    assert refused(await token_call(client, "token", appid="wx_nobody")) == 40013
    assert refused(await token_call(client, "token", grant_type="password")) == 40002
    assert refused(await token_call(client, "token")) == 50007
    await put_status(client, frozen=False)
    assert refused(await token_call(client, "stable_token")) == 40243
    await put_status(client, secret_frozen=False)
    assert refused(await token_call(client, "stable_token")) == 50004


async def test_refused_token_calls_are_counted_but_use_no_quota(
    wx: WeChat, client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await put_status(client, token_forbidden=True)
    for _ in range(3):
        assert refused(await token_call(client, "token")) == 50004
    assert (await admin.counters())["/cgi-bin/token"] == 4  # the fixture's grant, then 3
    await put_status(client, token_forbidden=False)
    report = await wx.call("/cgi-bin/openapi/quota/get", {"cgi_path": "/cgi-bin/token"})
    assert report["quota"]["used"] == 1


async def test_frozen_account_refuses_every_call_until_thawed(
    wx: WeChat, client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    image = await wx.add_image()
    await put_status(client, frozen=True)
    assert refused(await wx.get("/cgi-bin/material/get_materialcount")) == 50007
    assert refused(await wx.post("/cgi-bin/material/get_material", {"media_id": image})) == 50007
    assert refused(await wx.post("/cgi-bin/material/del_material", {"media_id": image})) == 50007
    assert (await admin.counters())["/cgi-bin/material/get_materialcount"] == 1
    await put_status(client, frozen=False)
    # The token issued before the freeze works again, and nothing was lost.
    counts = (await wx.get("/cgi-bin/material/get_materialcount")).json()
    assert counts["image_count"] == 1


async def test_unauthorized_paths_answer_48001_and_others_work(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    status = await put_status(
        client, unauthorized=["/cgi-bin/draft/count", "/cgi-bin/draft/add", "/cgi-bin/draft/add"]
    )
    assert status["unauthorized"] == ["/cgi-bin/draft/add", "/cgi-bin/draft/count"]
    assert refused(await wx.get("/cgi-bin/draft/count")) == 48001
    assert refused(await wx.post("/cgi-bin/draft/add", {"articles": []})) == 48001
    assert (await wx.get("/cgi-bin/material/get_materialcount")).json()["image_count"] == 0
    await put_status(client, unauthorized=[])
    assert (await wx.get("/cgi-bin/draft/count")).json()["total_count"] == 0


async def test_frozen_comes_before_unauthorized_before_limited(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    path = "/cgi-bin/draft/add"
    await put_status(client, frozen=True, limited=True, unauthorized=[path])
    assert refused(await wx.post(path, {"articles": []})) == 50007
    await put_status(client, frozen=False)
    assert refused(await wx.post(path, {"articles": []})) == 48001
    await put_status(client, unauthorized=[])
    assert refused(await wx.post(path, {"articles": []})) == 50002


async def test_limited_account_is_refused_exactly_the_writes(
    wx: WeChat, client: httpx.AsyncClient, app: Starlette
) -> None:
    paths = api_paths(app)
    assert set(paths) >= WRITES
    await put_status(client, limited=True)
    # An empty body: reads fail on their arguments or succeed, writes never get that far.
    answers = {path: (await wx.post(path, {})).json().get("errcode", 0) for path in paths}
    assert {path for path, code in answers.items() if code == 50002} == WRITES
    assert refused(await wx.post("/cgi-bin/draft/add", {})) == 50002


async def test_limited_account_still_reads_and_service_returns(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    image = await wx.add_image()
    await put_status(client, limited=True)
    reply = await wx.post("/cgi-bin/material/get_material", {"media_id": image})
    assert reply.content == media("image.jpg")
    listing = await wx.call("/cgi-bin/material/batchget_material", {"type": "image", "count": 5})
    assert [item["media_id"] for item in listing["item"]] == [image]
    assert (await wx.get("/cgi-bin/draft/count")).json()["total_count"] == 0
    upload = await wx.upload("/cgi-bin/material/add_material", "a.jpg", media("image.jpg"), "image")
    assert refused(upload) == 50002
    report = await wx.call(
        "/cgi-bin/openapi/quota/get", {"cgi_path": "/cgi-bin/material/add_material"}
    )
    assert report["quota"]["used"] == 1  # the refused upload used none
    await put_status(client, limited=False)
    assert await wx.add_image()


async def test_status_admin_api_reads_and_merges(client: httpx.AsyncClient) -> None:
    assert (await client.get(STATUS)).json() == HEALTHY
    await put_status(client, frozen=True, unauthorized=["/cgi-bin/draft/add"])
    merged = await put_status(client, limited=True)
    assert merged == {
        **HEALTHY,
        "frozen": True,
        "limited": True,
        "unauthorized": ["/cgi-bin/draft/add"],
    }
    assert (await client.get(STATUS)).json() == merged
    assert await put_status(client) == merged  # an empty body changes nothing


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [
        ("PUT", {"frozen": "yes"}, 400),
        ("PUT", {"frozen": 1}, 400),
        ("PUT", {"limited": None}, 400),
        ("PUT", {"sleepy": True}, 400),
        ("PUT", {"unauthorized": "/cgi-bin/draft/add"}, 400),
        ("PUT", {"unauthorized": ["draft/add"]}, 400),
        ("PUT", {"unauthorized": [7]}, 400),
        ("PUT", {"unauthorized": ["/cgi-bin/token"]}, 400),
        ("PUT", ["frozen"], 400),
    ],
)
async def test_bad_status_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, method: str, body: object, status: int
) -> None:
    reply = await client.request(method, STATUS, json=body)
    assert reply.status_code == status
    assert reply.json()["error"]
    assert (await client.get(STATUS)).json() == HEALTHY


async def test_unknown_account_is_not_found(client: httpx.AsyncClient) -> None:
    for method, body in (("GET", None), ("PUT", {"frozen": True})):
        reply = await client.request(method, "/_sandbox/accounts/wx_nobody/status", json=body)
        assert reply.status_code == 404
        assert reply.json()["error"]


async def test_status_survives_replacing_the_account_but_not_a_reset(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await admin.set_account_status(DEMO_APPID, frozen=True)
    await admin.add_account(DEMO_APPID, DEMO_SECRET)
    assert (await admin.account_status(DEMO_APPID)).frozen
    await admin.reset()
    assert await admin.account_status(DEMO_APPID) == AccountStatus()


@asynccontextmanager
async def running(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A sandbox on ``data_dir``, closed (as if the process ended) on exit."""
    app = create_app(SandboxConfig(data_dir=data_dir, start_time=START))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield http
    finally:
        app.state.sandbox.close()


async def test_status_persists_across_a_restart(tmp_path: Path) -> None:
    async with running(tmp_path) as client:
        await put_status(client, secret_frozen=True, unauthorized=["/cgi-bin/draft/count"])
    async with running(tmp_path) as client:
        expected = {**HEALTHY, "secret_frozen": True, "unauthorized": ["/cgi-bin/draft/count"]}
        assert (await client.get(STATUS)).json() == expected
        assert refused(await token_call(client, "token")) == 40243
        await put_status(client, secret_frozen=False)
    async with running(tmp_path) as client:
        assert "access_token" in (await token_call(client, "token")).json()


async def test_a_data_directory_from_before_account_status_still_opens(tmp_path: Path) -> None:
    async with running(tmp_path) as client:
        token = (await token_call(client, "token")).json()["access_token"]
    with sqlite3.connect(tmp_path / "sandbox.sqlite3") as db:
        db.execute("ALTER TABLE accounts DROP COLUMN status")
    async with running(tmp_path) as client:
        assert (await client.get(STATUS)).json() == HEALTHY
        await put_status(client, frozen=True)
        reply = await client.get("/cgi-bin/draft/count", params={"access_token": token})
        assert refused(reply) == 50007


async def test_async_admin_round_trip(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    assert await admin.account_status(DEMO_APPID) == AccountStatus()
    status = await admin.set_account_status(
        DEMO_APPID, limited=True, unauthorized=("/cgi-bin/draft/count",)
    )
    assert status == AccountStatus(limited=True, unauthorized=("/cgi-bin/draft/count",))
    assert refused(await wx.get("/cgi-bin/draft/count")) == 48001
    assert refused(await wx.post("/cgi-bin/draft/delete", {"media_id": "x"})) == 50002
    status = await admin.set_account_status(DEMO_APPID, limited=False, unauthorized=[])
    assert status == AccountStatus()
    assert (await wx.get("/cgi-bin/draft/count")).json()["total_count"] == 0
    with pytest.raises(SandboxAdminError) as unknown:
        await admin.set_account_status("wx_nobody", frozen=True)
    assert unknown.value.status == 404
    with pytest.raises(SandboxAdminError) as bad:
        await admin.set_account_status(DEMO_APPID, unauthorized=["/cgi-bin/stable_token"])
    assert bad.value.status == 400
    assert "token_forbidden" in bad.value.message


def test_sync_admin_round_trip_over_a_socket() -> None:
    with run_in_thread(SandboxConfig(seed=9, start_time=START)) as sandbox:
        admin = sandbox.admin
        with httpx.Client(base_url=sandbox.base_url) as http:
            token = http.get("/cgi-bin/token", params=GRANT).json()["access_token"]
            assert admin.set_account_status(DEMO_APPID, token_forbidden=True).token_forbidden
            assert http.get("/cgi-bin/token", params=GRANT).json()["errcode"] == 50004
            assert admin.account_status(DEMO_APPID) == AccountStatus(token_forbidden=True)
            admin.set_account_status(DEMO_APPID, token_forbidden=False, frozen=True)
            count = http.get("/cgi-bin/draft/count", params={"access_token": token})
            assert count.json()["errcode"] == 50007
            assert admin.set_account_status(DEMO_APPID, frozen=False) == AccountStatus()
            count = http.get("/cgi-bin/draft/count", params={"access_token": token})
            assert count.json() == {"total_count": 0}
            with pytest.raises(SandboxAdminError) as unknown:
                admin.account_status("wx_nobody")
            assert unknown.value.status == 404
