"""Access tokens on the sandbox clock: /token rotation, stable_token rules, token errors."""

from __future__ import annotations

import json

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, AsyncSandboxAdmin

from ..wechat_wire import WeChat, errcode

pytestmark = pytest.mark.anyio
GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}


async def token_reply(client: httpx.AsyncClient, **overrides: str | None) -> httpx.Response:
    params = {k: v for k, v in {**GRANT, **overrides}.items() if v is not None}
    return await client.get("/cgi-bin/token", params=params)


async def fresh_token(client: httpx.AsyncClient) -> str:
    return str((await token_reply(client)).json()["access_token"])


async def check(client: httpx.AsyncClient, token: str) -> int:
    """0 when the token works, else the errcode an API call gets with it."""
    reply = await client.get("/cgi-bin/material/get_materialcount", params={"access_token": token})
    return int(reply.json().get("errcode", 0))


async def stable(client: httpx.AsyncClient, force: bool = False) -> dict[str, object]:
    reply = await client.post("/cgi-bin/stable_token", json={**GRANT, "force_refresh": force})
    payload: dict[str, object] = reply.json()
    return payload


async def test_token_reply_shape(client: httpx.AsyncClient) -> None:
    reply = await token_reply(client)
    payload = reply.json()
    assert set(payload) == {"access_token", "expires_in"}
    assert payload["expires_in"] == 7200
    assert len(payload["access_token"]) >= 100
    assert reply.headers["content-type"] == "application/json; encoding=utf-8"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"grant_type": "password"}, 40002),
        ({"grant_type": None}, 40002),
        ({"appid": None}, 41002),
        ({"secret": None}, 41004),
        ({"appid": "wx_nobody"}, 40013),
        ({"secret": "0" * 32}, 40125),
    ],
)
async def test_token_errors(
    client: httpx.AsyncClient, overrides: dict[str, str | None], code: int
) -> None:
    assert errcode(await token_reply(client, **overrides)) == code


async def test_every_call_issues_a_new_token(client: httpx.AsyncClient) -> None:
    first, second = await fresh_token(client), await fresh_token(client)
    assert first != second


async def test_rotation_leaves_five_minutes_of_overlap(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    old = await fresh_token(client)
    await admin.advance(1000)
    new = await fresh_token(client)
    assert await check(client, old) == 0
    await admin.advance(299)
    assert await check(client, old) == 0
    await admin.advance(1)
    assert await check(client, old) == 40001
    assert await check(client, new) == 0


async def test_overlap_never_outlives_the_old_token(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    old = await fresh_token(client)
    await admin.advance(7100)  # 100 s of life left
    await fresh_token(client)
    await admin.advance(100)
    assert await check(client, old) == 42001


async def test_a_third_call_ends_the_first_token_at_once(client: httpx.AsyncClient) -> None:
    first = await fresh_token(client)
    second = await fresh_token(client)
    third = await fresh_token(client)
    assert await check(client, first) == 40001
    assert await check(client, second) == 0
    assert await check(client, third) == 0


async def test_token_expires_after_7200_seconds(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    token = await fresh_token(client)
    await admin.advance(7199)
    assert await check(client, token) == 0
    await admin.advance(1)
    assert await check(client, token) == 42001


async def test_missing_and_garbage_tokens(client: httpx.AsyncClient) -> None:
    reply = await client.get("/cgi-bin/material/get_materialcount")
    assert errcode(reply) == 41001
    assert await check(client, "not-a-token") == 40014
    assert await check(client, "") == 41001


async def test_revoked_tokens_answer_40001(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    token = await fresh_token(client)
    await admin.revoke_tokens(DEMO_APPID)
    assert await check(client, token) == 40001
    assert await check(client, await fresh_token(client)) == 0


async def test_a_new_secret_ends_the_old_tokens(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    token = await fresh_token(client)
    stable_token = str((await stable(client))["access_token"])
    await admin.add_account(DEMO_APPID, DEMO_SECRET)  # the same secret: nothing changes
    assert await check(client, token) == 0
    await admin.add_account(DEMO_APPID, "f" * 32)
    assert await check(client, token) == 40001
    assert await check(client, stable_token) == 40001
    reply = await client.get("/cgi-bin/token", params=GRANT)
    assert errcode(reply) == 40125  # the old secret is no good either
    fresh = await client.get("/cgi-bin/token", params={**GRANT, "secret": "f" * 32})
    assert await check(client, fresh.json()["access_token"]) == 0


async def test_stable_token_is_the_same_with_its_remaining_life(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    first = await stable(client)
    assert first["expires_in"] == 7200
    await admin.advance(6855)
    again = await stable(client)
    assert again == {"access_token": first["access_token"], "expires_in": 345}


async def test_stable_token_rolls_over_in_its_last_five_minutes(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    old = await stable(client)
    await admin.advance(7200 - 300)
    new = await stable(client)
    assert new["access_token"] != old["access_token"]
    assert new["expires_in"] == 7200
    assert await check(client, str(old["access_token"])) == 0
    assert await check(client, str(new["access_token"])) == 0
    await admin.advance(300)
    assert await check(client, str(old["access_token"])) == 42001
    assert await check(client, str(new["access_token"])) == 0
    assert (await stable(client))["access_token"] == new["access_token"]


async def test_force_refresh_replaces_and_ends_the_previous_token(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    old = await stable(client)
    await admin.advance(30)
    new = await stable(client, force=True)
    assert new["access_token"] != old["access_token"]
    assert new["expires_in"] == 7200
    assert await check(client, str(old["access_token"])) == 40001


async def test_force_refresh_needs_30_seconds_between(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    first = await stable(client, force=True)
    await admin.advance(29)
    assert (await stable(client, force=True))["access_token"] == first["access_token"]
    await admin.advance(1)
    assert (await stable(client, force=True))["access_token"] != first["access_token"]


async def test_force_refresh_at_most_20_a_day(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    tokens = []
    for _ in range(21):
        tokens.append((await stable(client, force=True))["access_token"])
        await admin.advance(30)
    assert len(set(tokens)) == 20  # the 21st returned the current token
    assert tokens[20] == tokens[19]
    await admin.advance(86400)  # a new China day
    assert (await stable(client, force=True))["access_token"] != tokens[19]


async def test_token_and_stable_token_are_independent(client: httpx.AsyncClient) -> None:
    kept = await stable(client)
    for _ in range(3):
        await fresh_token(client)
    assert await check(client, str(kept["access_token"])) == 0
    assert (await stable(client))["access_token"] == kept["access_token"]
    plain = await fresh_token(client)
    await stable(client, force=True)
    assert await check(client, plain) == 0


async def test_stable_token_accepts_json_without_content_type(client: httpx.AsyncClient) -> None:
    reply = await client.post("/cgi-bin/stable_token", content=json.dumps(GRANT).encode())
    assert "content-type" not in reply.request.headers
    assert reply.json()["expires_in"] == 7200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**GRANT, "grant_type": "x"}, 40002),
        ({**GRANT, "appid": ""}, 41002),
        ({**GRANT, "secret": ""}, 41004),
        ({**GRANT, "appid": "wx_nobody"}, 40013),
        ({**GRANT, "secret": "nope"}, 40125),
        ({**GRANT, "force_refresh": "yes"}, 47001),
    ],
)
async def test_stable_token_errors(
    client: httpx.AsyncClient, body: dict[str, object], code: int
) -> None:
    assert errcode(await client.post("/cgi-bin/stable_token", json=body)) == code


async def test_daily_token_quota_then_clear_quota(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await admin.set_quota(DEMO_APPID, "/cgi-bin/token", 3)
    tokens = [await fresh_token(client) for _ in range(3)]
    assert errcode(await token_reply(client)) == 45009
    wx = WeChat(client, tokens[-1])
    assert await wx.call("/cgi-bin/clear_quota", {"appid": DEMO_APPID}) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert "access_token" in (await token_reply(client)).json()


async def test_token_quota_resets_at_midnight_china_time(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await admin.set_quota(DEMO_APPID, "/cgi-bin/token", 1)
    # START is 06:13:20 in China: 17 h 46 min 40 s to the next midnight.
    await fresh_token(client)
    await admin.advance(17 * 3600 + 46 * 60 + 39)
    assert errcode(await token_reply(client)) == 45009
    await admin.advance(1)
    assert "access_token" in (await token_reply(client)).json()


async def test_failed_token_calls_use_no_quota(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await admin.set_quota(DEMO_APPID, "/cgi-bin/token", 1)
    for _ in range(3):
        assert errcode(await token_reply(client, secret="wrong")) == 40125
    assert "access_token" in (await token_reply(client)).json()


async def test_clear_quota_ten_times_a_month(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    for _ in range(10):
        await wx.call("/cgi-bin/clear_quota", {"appid": DEMO_APPID})
    assert errcode(await wx.post("/cgi-bin/clear_quota", {"appid": DEMO_APPID})) == 48006
    await admin.advance(31 * 86400)
    await wx.fetch_token()
    await wx.call("/cgi-bin/clear_quota", {"appid": DEMO_APPID})


async def test_clear_quota_errors(wx: WeChat) -> None:
    assert errcode(await wx.post("/cgi-bin/clear_quota", {})) == 41002
    assert errcode(await wx.post("/cgi-bin/clear_quota", {"appid": "wx_other"})) == 40013


async def test_quota_get_reports_use(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    await wx.fetch_token()
    report = await wx.call("/cgi-bin/openapi/quota/get", {"cgi_path": "/cgi-bin/token"})
    assert report["quota"] == {"daily_limit": 2000, "used": 2, "remain": 1998}
    assert set(report["rate_limit"]) == {"call_count", "refresh_second"}
    stable_report = await wx.call(
        "/cgi-bin/openapi/quota/get", {"cgi_path": "/cgi-bin/stable_token"}
    )
    assert stable_report["rate_limit"] == {"call_count": 10000, "refresh_second": 60}
    assert errcode(await wx.post("/cgi-bin/openapi/quota/get", {"cgi_path": "token"})) == 40097


async def test_api_quota_and_minute_limit(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    path = "/cgi-bin/material/get_materialcount"
    await admin.set_quota(DEMO_APPID, path, 3, minute_limit=2)
    assert "image_count" in (await wx.get(path)).json()
    assert "image_count" in (await wx.get(path)).json()
    assert errcode(await wx.get(path)) == 45011
    await admin.advance(60)
    assert "image_count" in (await wx.get(path)).json()
    await admin.advance(60)
    assert errcode(await wx.get(path)) == 45009


async def test_whitelist_refuses_other_ips_by_name(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    token = await fresh_token(client)
    await admin.set_whitelist(DEMO_APPID, ["10.1.2.3"])
    reply = await token_reply(client)
    assert errcode(reply) == 40164
    assert reply.json()["errmsg"].startswith(
        "invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist rid: "
    )
    assert await check(client, token) == 40164
    await admin.set_whitelist(DEMO_APPID, ["127.0.0.1"])
    assert await check(client, token) == 0
    await admin.set_whitelist(DEMO_APPID, None)
    assert "access_token" in (await token_reply(client)).json()


async def test_added_accounts_get_their_own_tokens(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    await admin.add_account("wxaaaaaaaaaaaaaaaa", "s" * 32, token_daily_limit=200)
    wx = WeChat(client)
    await wx.fetch_token("wxaaaaaaaaaaaaaaaa", "s" * 32)
    report = await wx.call("/cgi-bin/openapi/quota/get", {"cgi_path": "/cgi-bin/token"})
    assert report["quota"]["daily_limit"] == 200
    demo = await fresh_token(client)
    assert await check(client, demo) == 0  # the other account's token left it alone
