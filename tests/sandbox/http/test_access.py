"""Who may use the admin API: Host, Origin, Content-Type and the admin token.

In-process, then over a real socket. A sandbox "bound off loopback" is built
in-process the way the server does it (``app.state.doors.bind``), so no test
listens on a public address.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from wechat_material.fetching import is_loopback
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    SandboxAdmin,
    SandboxAdminError,
    SandboxBackend,
    SandboxConfig,
    create_app,
    run_in_thread,
)
from wechat_material.sandbox.http.access import Doors, admin_token_for
from wechat_material.sandbox.state.config import ADMIN_TOKEN_ENV

from ..wechat_wire import BASE, START, WeChat

anyio = pytest.mark.anyio
TEXT = {"Content-Type": "text/plain"}
GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
TOKEN = "s3cret-admin-token-0123456789"
EVERYWHERE = "0.0.0.0"  # noqa: S104 - tests never listen there but through run_in_thread below
LOCAL = {"Host": "127.0.0.1:8900"}


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)


def bound(app: Starlette, port: int = 8900, token: str | None = None) -> Doors:
    """The app as ``run_in_thread``/``serve`` leave it once on a socket."""
    doors: Doors = app.state.doors
    doors.bind(port, token)
    return doors


async def state_of(
    client: httpx.AsyncClient, host: str | None = None
) -> tuple[float, dict[str, int]]:
    headers = {"Host": host} if host else {}
    clock = (await client.get("/_sandbox/clock", headers=headers)).json()["now"]
    counters = (await client.get("/_sandbox/counters", headers=headers)).json()["calls"]
    return clock, counters


# -- in-process: Origin and Content-Type ---------------------------------------------------


@anyio
async def test_a_cross_site_text_plain_post_cannot_reset(
    client: httpx.AsyncClient, wx: WeChat
) -> None:
    await client.post("/_sandbox/clock/advance", json={"seconds": 60})
    before = await state_of(client)
    # What <form enctype="text/plain" action=".../_sandbox/reset"> on another site sends.
    reply = await client.post(
        "/_sandbox/reset",
        content=b"x=y",
        headers={**TEXT, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert reply.status_code == 403
    assert "other sites" in reply.json()["error"]
    assert await state_of(client) == before
    assert (await wx.get("/cgi-bin/material/get_materialcount")).json().get("errcode", 0) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": f"{BASE}:8080"},
        {"Origin": "https://sandbox.test.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
@anyio
async def test_browser_requests_from_elsewhere_are_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    before = await state_of(client)
    reply = await client.post("/_sandbox/clock/advance", json={"seconds": 5}, headers=headers)
    assert reply.status_code == 403
    assert (await client.get("/_sandbox/health", headers=headers)).status_code == 403
    assert await state_of(client) == before


@pytest.mark.parametrize(
    "headers", [{"Origin": BASE}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}]
)
@anyio
async def test_the_sandbox_own_origin_is_welcome(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    reply = await client.post("/_sandbox/clock/advance", json={"seconds": 5}, headers=headers)
    assert reply.status_code == 200
    assert reply.json() == {"now": START + 5}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{}", "text/plain"),
        (b"{}", "text/plain; charset=utf-8"),
        (b"x=1", "application/x-www-form-urlencoded"),
        (b"--b--\r\n", "multipart/form-data; boundary=b"),
        (b"{}", None),  # fetch() with a Blob body sends no type at all
    ],
)
@anyio
async def test_admin_bodies_must_be_json(
    client: httpx.AsyncClient, content: bytes, content_type: str | None
) -> None:
    before = await state_of(client)
    headers = {} if content_type is None else {"Content-Type": content_type}
    for path in ("/_sandbox/reset", "/_sandbox/clock/set"):
        reply = await client.post(path, content=content, headers=headers)
        assert reply.status_code == 415, path
        assert "application/json" in reply.json()["error"]
    reply = await client.put("/_sandbox/settings", content=content, headers=headers)
    assert reply.status_code == 415
    assert await state_of(client) == before


@anyio
async def test_bodiless_calls_need_no_type(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert (await client.delete("/_sandbox/faults")).status_code == 200


@anyio
async def test_jssdk_voices_are_sent_as_bytes(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    path = f"/_sandbox/accounts/{DEMO_APPID}/jssdk_voice"
    assert (await client.post(path, content=b"voice", headers=TEXT)).status_code == 415
    assert (await client.post(path, content=b"voice")).status_code == 415
    raw = {"Content-Type": "application/octet-stream"}
    assert (await client.post(path, content=b"\x00", headers=raw)).status_code != 415


# -- in-process: Host ------------------------------------------------------------------------


@anyio
async def test_in_process_any_host_will_do(client: httpx.AsyncClient) -> None:
    reply = await client.get("/_sandbox/health", headers={"Host": "whatever.example"})
    assert reply.json() == {"ok": True}


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8900", "localhost:8900", "LOCALHOST:8900", "[::1]:8900", "10.1.2.3:8900"]
)
@anyio
async def test_once_bound_loopback_and_addresses_on_the_port_are_served(
    app: Starlette, client: httpx.AsyncClient, host: str
) -> None:
    bound(app)
    assert (await client.get("/_sandbox/health", headers={"Host": host})).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example:8900", "evil.example", "127.0.0.1:9999", "localhost", "", "a:b:c"]
)
@anyio
async def test_once_bound_a_forged_host_is_refused(
    app: Starlette, client: httpx.AsyncClient, wx: WeChat, host: str
) -> None:
    bound(app)
    await client.post("/_sandbox/clock/advance", json={"seconds": 60}, headers=LOCAL)
    before = await state_of(client, LOCAL["Host"])
    reply = await client.post("/_sandbox/reset", headers={"Host": host})
    assert reply.status_code == 403
    assert "--allowed-host" in reply.json()["error"]
    assert (await client.get("/_sandbox/health", headers={"Host": host})).status_code == 403
    # The WeChat API answers any Host, as WeChat does.
    token = await client.get("/cgi-bin/token", params=GRANT, headers={"Host": host})
    assert "access_token" in token.json()
    assert (await state_of(client, LOCAL["Host"]))[0] == before[0]


@anyio
async def test_public_url_and_allowed_hosts_are_served() -> None:
    config = SandboxConfig(
        public_url="https://sandbox.example.com",
        allowed_hosts=["dev.example", "box.example:9000"],
    )
    app = create_app(config)
    bound(app)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE
        ) as client:
            for host, status in [
                ("sandbox.example.com", 200),
                ("sandbox.example.com:443", 200),
                ("sandbox.example.com:8443", 403),
                ("dev.example:1234", 200),
                ("box.example:9000", 200),
                ("box.example:9001", 403),
            ]:
                reply = await client.get("/_sandbox/health", headers={"Host": host})
                assert reply.status_code == status, host
    finally:
        app.state.sandbox.close()


# -- in-process: the admin token ---------------------------------------------------------------


def test_a_token_is_made_off_loopback_only() -> None:
    assert admin_token_for("127.0.0.1", None) == (None, False)
    assert admin_token_for("::1", None) == (None, False)
    assert admin_token_for("localhost", None) == (None, False)
    assert admin_token_for("127.0.0.1", TOKEN) == (TOKEN, False)
    assert admin_token_for(EVERYWHERE, TOKEN) == (TOKEN, False)
    made, fresh = admin_token_for(EVERYWHERE, None)
    assert fresh
    assert made is not None
    assert len(made) >= 32
    assert admin_token_for("::", None)[0] not in (None, made)
    assert not is_loopback("192.168.1.10")
    assert not is_loopback("myhost")


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),  # noqa: S104 (a name checked, nothing bound)
        ("::", False),
        ("localhost.example", False),
        ("10.0.0.1", False),
    ],
)
def test_the_sandbox_and_wxm_mcp_agree_on_what_stays_on_this_machine(
    host: str, local: bool
) -> None:
    # One rule for both: `wxm sandbox serve` and `wxm mcp --http` ask for a token
    # exactly when they listen where other machines can reach them.
    assert is_loopback(host) is local


@pytest.fixture
async def off_loopback() -> AsyncIterator[tuple[Starlette, str, httpx.AsyncClient]]:
    """A sandbox as ``serve --host 0.0.0.0 --port 8900`` sets it up, driven in-process."""
    app = create_app(SandboxConfig(seed=5, start_time=START))
    token, made = admin_token_for(EVERYWHERE, None)
    assert made
    assert token is not None
    bound(app, 8900, token)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8900") as http:
        yield app, token, http
    app.state.sandbox.close()


@anyio
async def test_off_loopback_the_admin_api_needs_the_token(
    off_loopback: tuple[Starlette, str, httpx.AsyncClient],
) -> None:
    app, token, http = off_loopback
    backend: SandboxBackend = app.state.sandbox
    before = backend.clock.now()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        reply = await http.post("/_sandbox/clock/advance", json={"seconds": 9}, headers=headers)
        assert reply.status_code == 401
        assert reply.headers["www-authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in reply.json()["error"]
        assert token not in reply.text
    assert backend.clock.now() == before
    with pytest.raises(SandboxAdminError) as refused:
        await AsyncSandboxAdmin(client=http).advance(9)
    assert refused.value.status == 401
    assert await AsyncSandboxAdmin(client=http, admin_token=token).advance(9) == before + 9
    # The WeChat API needs no admin token.
    assert "access_token" in (await http.get("/cgi-bin/token", params=GRANT)).json()


@anyio
async def test_admin_clients_read_the_token_from_the_environment(
    off_loopback: tuple[Starlette, str, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token, http = off_loopback
    monkeypatch.setenv(ADMIN_TOKEN_ENV, token)
    assert await AsyncSandboxAdmin(client=http).health()


@anyio
async def test_a_configured_token_is_required_in_process_too() -> None:
    app = create_app(SandboxConfig(admin_token=TOKEN))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            assert (await http.get("/_sandbox/health")).status_code == 401
            assert await AsyncSandboxAdmin(client=http, admin_token=TOKEN).health()
    finally:
        app.state.sandbox.close()


def test_the_token_never_shows_in_reprs() -> None:
    config = SandboxConfig(admin_token=TOKEN)
    doors = Doors(admin_token=TOKEN)
    with SandboxAdmin("http://127.0.0.1:1", admin_token=TOKEN) as admin:
        shown = [repr(config), repr(doors), repr(admin), str(config)]
    for text in shown:
        assert TOKEN not in text
        assert "admin_token=" in text


# -- over a real socket --------------------------------------------------------------------------


def test_over_a_socket_cross_site_and_forged_host_are_refused() -> None:
    with run_in_thread(SandboxConfig(seed=5, start_time=START)) as sandbox:
        sandbox.admin.advance(60)
        before = sandbox.admin.now(), sandbox.admin.counters()
        port = sandbox.base_url.rsplit(":", 1)[1]
        attempts = [
            ({**TEXT, "Origin": "http://evil.example"}, 403),
            (TEXT, 415),
            ({"Host": f"evil.example:{port}", "Content-Type": "application/json"}, 403),
        ]
        for headers, status in attempts:
            reply = httpx.post(
                f"{sandbox.base_url}/_sandbox/reset", content=b"{}", headers=headers, timeout=10
            )
            assert reply.status_code == status, headers
        assert (sandbox.admin.now(), sandbox.admin.counters()) == before
        assert sandbox.admin_token is None
        assert httpx.get(f"{sandbox.base_url}/_sandbox/health", timeout=10).status_code == 200


def test_over_a_socket_a_given_token_is_required_and_passed_on() -> None:
    with run_in_thread(SandboxConfig(admin_token=TOKEN)) as sandbox:
        assert httpx.get(f"{sandbox.base_url}/_sandbox/health", timeout=10).status_code == 401
        assert sandbox.admin.health()
        assert sandbox.admin_token == TOKEN
        assert TOKEN not in repr(sandbox)


def test_bound_to_every_address_a_token_is_made(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="wechat_material.sandbox"),
        run_in_thread(host=EVERYWHERE) as sandbox,  # reached through 127.0.0.1 only
    ):
        assert "reachable from other machines" in caplog.text
        local = sandbox.base_url.replace(EVERYWHERE, "127.0.0.1")
        assert httpx.get(f"{local}/_sandbox/health", timeout=10).status_code == 401
        assert sandbox.admin_token
        assert sandbox.admin_token not in caplog.text
        with SandboxAdmin(local, admin_token=sandbox.admin_token) as admin:
            assert admin.health()


# -- the command line ----------------------------------------------------------------------------


def _start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wechat_material.sandbox", "--port", "0", "--memory", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )


def _banner(process: subprocess.Popen[str]) -> list[str]:
    """The lines printed at start, up to the admin API's."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if "admin token:" in line:
            return lines
    raise AssertionError(f"no admin token line in {lines} (exit {process.wait()})")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    return err


@pytest.mark.slow
def test_serving_off_loopback_prints_a_token_and_a_warning() -> None:
    process = _start("--host", EVERYWHERE)
    try:
        lines = _banner(process)
        port = lines[0].rsplit(":", 1)[1]
        token = lines[-1].split("admin token: ", 1)[1].split(" ", 1)[0]
        local = f"http://127.0.0.1:{port}"  # reached through loopback only
        refused = httpx.get(f"{local}/_sandbox/health", timeout=10)
        allowed = httpx.get(
            f"{local}/_sandbox/health", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    finally:
        err = _stop(process)
    assert refused.status_code == 401
    assert allowed.json() == {"ok": True}
    assert len(token) >= 32
    assert "reachable from other machines" in err
    assert token not in err


@pytest.mark.slow
def test_serving_with_a_token_from_the_environment_never_prints_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, TOKEN)
    process = _start("--allowed-host", "dev.example")
    try:
        lines = _banner(process)
        base_url = lines[0].rsplit(" ", 1)[1]
        port = base_url.rsplit(":", 1)[1]
        refused = httpx.get(f"{base_url}/_sandbox/health", timeout=10)
        with SandboxAdmin(base_url) as admin:  # reads the same variable
            healthy = admin.health()
        named = httpx.get(
            f"{base_url}/_sandbox/health",
            headers={"Authorization": f"Bearer {TOKEN}", "Host": f"dev.example:{port}"},
            timeout=10,
        )
    finally:
        err = _stop(process)
    assert refused.status_code == 401
    assert healthy
    assert named.status_code == 200
    assert all(TOKEN not in line for line in lines)
    assert "the one given" in lines[-1]
    assert "reachable from other machines" not in err
