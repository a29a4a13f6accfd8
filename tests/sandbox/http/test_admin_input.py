"""Every admin field has a type and a range, checked before anything changes."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import httpx
import pytest

from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    FaultRule,
    SandboxAdminError,
)

pytestmark = pytest.mark.anyio
ACCOUNTS = "/_sandbox/accounts"
FAULTS = "/_sandbox/faults"
JSON = {"content-type": "application/json"}
STATUS = f"/_sandbox/accounts/{DEMO_APPID}/status"
QUOTA = f"/_sandbox/accounts/{DEMO_APPID}/quota"


def strict_json(raw: bytes) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(raw, parse_constant=refuse)


async def snapshot(client: httpx.AsyncClient) -> list[Any]:
    """What the bad calls below could have changed."""
    return [
        (await client.get("/_sandbox/clock")).json(),
        (await client.get(FAULTS)).json(),
        (await client.get(STATUS)).json(),
        (await client.get("/_sandbox/accounts/wx_new/status")).status_code,
    ]


@pytest.mark.parametrize(
    ("path", "body", "field", "allowed"),
    [
        ("/_sandbox/clock/advance", '{"seconds": 1e400}', "seconds", "4102444800"),
        ("/_sandbox/clock/advance", '{"seconds": -1}', "seconds", "from 0"),
        ("/_sandbox/clock/set", '{"now": "soon"}', "now", "epoch seconds"),
        (
            ACCOUNTS,
            '{"appid": "wx_new", "secret": "s", "token_daily_limit": 1' + "0" * 30 + "}",
            "accounts.0.token_daily_limit",
            "1000000000",
        ),
        (ACCOUNTS, '{"appid": "wx new", "secret": "s"}', "accounts.0.appid", "letters"),
        (ACCOUNTS, '{"appid": "' + "w" * 65 + '", "secret": "s"}', "accounts.0.appid", "64"),
        (ACCOUNTS, '{"appid": "wx_new", "secret": "a b"}', "accounts.0.secret", "printable"),
        (
            ACCOUNTS,
            '{"appid": "wx_new", "secret": "s", "whitelist": "1.2.3.4"}',
            "accounts.0.whitelist",
            "IP",
        ),
        (FAULTS, '{"endpoint": [["token"]]}', "endpoint", "'*'"),
        (FAULTS, '{"endpoint": true}', "endpoint", "'*'"),
        (FAULTS, '{"endpoint": -1}', "endpoint", "'*'"),
        (FAULTS, '{"jitter_ms": Infinity}', "jitter_ms", "60000"),
        (FAULTS, '{"latency_ms": Infinity}', "latency_ms", "60000"),
        (FAULTS, '{"latency_ms": NaN}', "latency_ms", "60000"),
        (FAULTS, '{"latency_ms": 60001}', "latency_ms", "60000"),
        (FAULTS, '{"count": 1e+308}', "count", "1000000000"),
        (FAULTS, '{"count": 0}', "count", "from 1"),
        (FAULTS, '{"error_rate": 1.5}', "error_rate", "0 to 1"),
        (FAULTS, '{"seed": 18446744073709551616}', "seed", "2**63"),
        (FAULTS, '{"typo_rate": 0.5}', "typo_rate", None),
        (
            QUOTA,
            '{"cgi_path": "/cgi-bin/token", "daily_limit": 9223372036854775808}',
            "daily_limit",
            "1000000000",
        ),
        (
            QUOTA,
            '{"cgi_path": "/cgi-bin/token", "daily_limit": 1, "minute_limit": -1}',
            "minute_limit",
            "null or",
        ),
        (QUOTA, '{"cgi_path": "/cgi-bin/token", "daily_limit": true}', "daily_limit", "integer"),
        (STATUS, '{"frozen": 1}', "frozen", "true or false"),
        ("/_sandbox/settings", '{"news_api": 5}', "news_api", "'legacy'"),
        (f"/_sandbox/accounts/{DEMO_APPID}/protect", '{"media_id": ""}', "media_id", "1 to 256"),
        (f"/_sandbox/accounts/{DEMO_APPID}/whitelist", '{"ips": [1]}', "ips.0", "IP"),
    ],
)
async def test_bad_fields_are_named_with_their_range_and_change_nothing(
    client: httpx.AsyncClient, path: str, body: str, field: str, allowed: str | None
) -> None:
    before = await snapshot(client)
    method = "PUT" if path.endswith(("/quota", "/status", "/settings", "/whitelist")) else "POST"
    reply = await client.request(method, path, content=body.encode(), headers=JSON)
    assert reply.status_code == 400, reply.text
    answer = reply.json()
    assert answer["field"] == field
    assert f"'{field}'" in answer["error"]
    if allowed is not None:
        assert allowed in answer["error"]
    assert await snapshot(client) == before


async def test_fault_rules_stay_strict_json(client: httpx.AsyncClient) -> None:
    for body in ('{"jitter_ms": Infinity}', '{"count": 1e+308}', '{"latency_ms": 1e400}'):
        await client.post(FAULTS, content=body.encode(), headers=JSON)
    reply = await client.post(FAULTS, json={"endpoint": "token", "latency_ms": 60_000, "seed": 1})
    assert reply.status_code == 200
    rules = strict_json((await client.get(FAULTS)).content)["rules"]
    assert [rule["latency_ms"] for rule in rules] == [60_000]


async def test_several_accounts_are_created_together(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    body = {
        "accounts": [
            {"appid": "wx_one", "secret": "s1"},
            {"appid": "wx_two", "secret": "s2", "token_daily_limit": 3},
        ]
    }
    assert (await client.post(ACCOUNTS, json=body)).status_code == 200
    assert (await admin.account_status("wx_one")).frozen is False
    assert (await admin.account_status("wx_two")).frozen is False


async def test_the_admin_client_adds_accounts_all_or_none(admin: AsyncSandboxAdmin) -> None:
    await admin.add_accounts([("wx_one", "s1"), ("wx_two", "s2")])
    assert (await admin.account_status("wx_two")).frozen is False
    with pytest.raises(SandboxAdminError) as refused:
        await admin.add_accounts([("wx_three", "s3"), ("wx four", "s4")])
    assert refused.value.status == 400
    assert "accounts.1.appid" in refused.value.message
    with pytest.raises(SandboxAdminError):
        await admin.account_status("wx_three")


@pytest.mark.parametrize(
    "bad",
    [
        {"appid": "wx_two", "secret": "s2", "token_daily_limit": -1},  # refused by its model
        {"appid": "wx_two", "secret": "s2", "whitelist": ["not-an-ip"]},  # by the state
    ],
)
async def test_one_bad_account_creates_none(client: httpx.AsyncClient, bad: dict[str, Any]) -> None:
    body = {"accounts": [{"appid": "wx_one", "secret": "s1"}, bad]}
    reply = await client.post(ACCOUNTS, json=body)
    assert reply.status_code == 400
    assert reply.json()["error"]
    for appid in ("wx_one", "wx_two"):
        assert (await client.get(f"/_sandbox/accounts/{appid}/status")).status_code == 404


ROUTES = [
    ("POST", "/_sandbox/clock/advance"),
    ("POST", "/_sandbox/clock/set"),
    ("POST", ACCOUNTS),
    ("PUT", f"/_sandbox/accounts/{DEMO_APPID}/whitelist"),
    ("PUT", QUOTA),
    ("POST", f"/_sandbox/accounts/{DEMO_APPID}/protect"),
    ("PUT", STATUS),
    ("PUT", "/_sandbox/settings"),
    ("POST", FAULTS),
]
NAMES = [
    "seconds", "now", "appid", "secret", "token_daily_limit", "whitelist", "accounts", "ips",
    "cgi_path", "daily_limit", "minute_limit", "media_id", "frozen", "limited",
    "unauthorized", "news_api", "json_content_type", "endpoint", "latency_ms", "jitter_ms",
    "error_rate", "http_5xx_rate", "drop_rate", "seed", "count",
]  # fmt: skip


def random_value(draw: random.Random, depth: int = 0) -> Any:
    kind = draw.randrange(12 if depth < 2 else 9)
    if kind == 0:
        return draw.choice([0, 1, -1, 2**63, 2**64, -(2**63) - 1, 10**30, 60_000, 60_001])
    if kind == 1:
        return draw.choice([math.inf, -math.inf, math.nan, 1e308, -0.0, 0.5, 1.0000001])
    if kind == 2:
        return draw.choice([True, False, None])
    if kind == 3:
        return draw.choice(["", "token", "*", "/cgi-bin/token", "/mmbiz/*", "1.2.3.4", "x" * 300])
    if kind == 4:
        return draw.choice(["legacy", "retired", "text/plain", "\u00e9", "\ud7ff", DEMO_SECRET])
    if kind in (5, 6):
        return draw.randint(-(2**70), 2**70)
    if kind in (7, 8):
        return draw.uniform(-1e6, 1e6)
    if kind == 9:
        return [random_value(draw, depth + 1) for _ in range(draw.randrange(4))]
    return random_object(draw, depth + 1)


def random_object(draw: random.Random, depth: int = 0) -> dict[str, Any]:
    return {draw.choice(NAMES): random_value(draw, depth) for _ in range(draw.randrange(1, 5))}


async def test_random_admin_json_never_gives_500(client: httpx.AsyncClient) -> None:
    draw = random.Random(20240601)
    for _ in range(1500):
        method, path = draw.choice(ROUTES)
        body = random_object(draw) if draw.random() < 0.9 else random_value(draw)
        raw = json.dumps(body).encode()  # Infinity and NaN go out as Python writes them
        reply = await client.request(method, path, content=raw, headers=JSON)
        assert reply.status_code in (200, 400, 404), (path, raw, reply.text)
        strict_json(reply.content)
        if reply.status_code == 200 and path == FAULTS:
            await client.delete(FAULTS)  # a rule with latency would slow the loop down
    # Still serving: a token for the demo account.
    await client.post("/_sandbox/reset")
    grant = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
    assert "access_token" in (await client.get("/cgi-bin/token", params=grant)).json()


def test_a_fault_rule_made_in_process_has_the_same_bounds() -> None:
    for bad in (math.inf, math.nan, 60_001):
        with pytest.raises(ValueError, match="at most 60000"):
            FaultRule(latency_ms=bad)
        with pytest.raises(ValueError, match="at most 60000"):
            FaultRule(jitter_ms=bad)
