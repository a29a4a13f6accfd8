"""The admin API: its replies, and how it refuses bad input."""

from __future__ import annotations

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, AsyncSandboxAdmin, SandboxAdminError

from ..wechat_wire import START, WeChat, errcode, media

pytestmark = pytest.mark.anyio


async def test_health_clock_and_settings(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sandbox/health")).json() == {"ok": True}
    assert (await client.get("/_sandbox/clock")).json() == {"now": START}
    advanced = await client.post("/_sandbox/clock/advance", json={"seconds": 90})
    assert advanced.json() == {"now": START + 90}
    assert (await client.post("/_sandbox/clock/set", json={"now": 1e9})).json() == {"now": 1e9}
    settings = await client.put("/_sandbox/settings", json={"news_api": "retired"})
    assert settings.json() == {
        "news_api": "retired",
        "json_content_type": "wechat",
        "publish_id": "string",
        "msg_data_id": "string",
        "publish_seconds": 3.0,
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/_sandbox/clock/advance", {"seconds": -5}, 400),
        ("POST", "/_sandbox/clock/advance", {"seconds": "soon"}, 400),
        ("POST", "/_sandbox/clock/set", {}, 400),
        ("POST", "/_sandbox/clock/set", {"now": 1e300}, 400),
        ("POST", "/_sandbox/clock/advance", {"seconds": 1e300}, 400),
        ("POST", "/_sandbox/accounts", {"appid": "wx1"}, 400),
        ("POST", "/_sandbox/accounts", {"appid": "wx1", "secret": "s", "whitelist": "ip"}, 400),
        ("POST", "/_sandbox/accounts", {"appid": "wx1", "secret": "s", "whitelist": ["x"]}, 400),
        ("PUT", "/_sandbox/accounts/wx_nobody/whitelist", {"ips": None}, 404),
        ("PUT", f"/_sandbox/accounts/{DEMO_APPID}/quota", {"cgi_path": "token"}, 400),
        ("PUT", f"/_sandbox/accounts/{DEMO_APPID}/quota", {"cgi_path": "/cgi-bin/token"}, 400),
        ("PUT", "/_sandbox/accounts/wx_nobody/quota", {}, 404),
        ("POST", "/_sandbox/accounts/wx_nobody/tokens/revoke", None, 404),
        ("POST", f"/_sandbox/accounts/{DEMO_APPID}/protect", {"media_id": 1}, 400),
        ("PUT", "/_sandbox/settings", {"news_api": "sometimes"}, 400),
        ("PUT", "/_sandbox/settings", {"json_content_type": "text/html"}, 400),
        ("POST", "/_sandbox/faults", {"endpoint": "*", "latency_ms": "slow"}, 400),
    ],
)
async def test_bad_input_is_refused_plainly(
    client: httpx.AsyncClient, method: str, path: str, body: object, status: int
) -> None:
    reply = await client.request(method, path, json=body)
    assert reply.status_code == status
    assert reply.json()["error"]


async def test_malformed_admin_json(client: httpx.AsyncClient) -> None:
    reply = await client.post(
        "/_sandbox/clock/advance", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert "JSON" in reply.json()["error"]


async def test_jssdk_voice_must_be_audio(admin: AsyncSandboxAdmin) -> None:
    with pytest.raises(SandboxAdminError) as refused:
        await admin.add_jssdk_voice(DEMO_APPID, b"plain text")
    assert refused.value.status == 400
    with pytest.raises(SandboxAdminError) as unknown:
        await admin.add_jssdk_voice("wx_nobody", media("voice-2s.amr"))
    assert unknown.value.status == 404


async def test_async_admin_round_trip(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    assert await admin.health()
    await admin.add_account("wxeeeeeeeeeeeeeeee", "e" * 32, token_daily_limit=1)
    other = WeChat(wx.http)
    await other.fetch_token("wxeeeeeeeeeeeeeeee", "e" * 32)
    reply = await wx.http.get(
        "/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": "wxeeeeeeeeeeeeeeee",
            "secret": "e" * 32,
        },
    )
    assert errcode(reply) == 45009
    await admin.set_quota("wxeeeeeeeeeeeeeeee", "/cgi-bin/token", 5)
    await other.fetch_token("wxeeeeeeeeeeeeeeee", "e" * 32)
    image = await wx.add_image()
    await admin.protect(DEMO_APPID, image)
    await admin.set_whitelist(DEMO_APPID, ["::1"])
    assert errcode(await wx.get("/cgi-bin/draft/count")) == 40164
    await admin.set_whitelist(DEMO_APPID, None)
    await admin.revoke_tokens(DEMO_APPID)
    assert errcode(await wx.get("/cgi-bin/draft/count")) == 40001
    await admin.set_faults(error_rate=1.0, seed=1)
    assert (await admin.faults())[0]["seed"] == 1
    await admin.clear_faults()
    await admin.set_json_content_type("text/plain")
    await admin.set_news_api("retired")
    await admin.reset()
    assert await admin.faults() == []
    assert await admin.now() == START
