"""The sandbox on a real socket: run_in_thread, the sync admin client, the command line."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    RunningSandbox,
    SandboxAdmin,
    SandboxAdminError,
    SandboxConfig,
    run_in_thread,
)
from wechat_material.sandbox.server import parse_account

from ..wechat_wire import START, asgi_scope, media

GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with run_in_thread(SandboxConfig(seed=8, start_time=START)) as running:
        yield running


@pytest.fixture
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    sandbox.admin.reset()
    with httpx.Client(base_url=sandbox.base_url) as client:
        yield client


def test_upload_and_download_over_a_real_socket(
    sandbox: RunningSandbox, http: httpx.Client
) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    token = http.get("/cgi-bin/token", params=GRANT).json()["access_token"]
    data = media("video.mp4")
    reply = http.post(
        "/cgi-bin/media/upload",
        params={"access_token": token, "type": "video"},
        files={"media": ("video.mp4", data)},
    )
    video_url = http.get(
        "/cgi-bin/media/get", params={"access_token": token, "media_id": reply.json()["media_id"]}
    ).json()["video_url"]
    assert video_url.startswith(sandbox.base_url + "/mmbiz/")
    with http.stream("GET", video_url) as download:
        assert b"".join(download.iter_bytes()) == data


def test_sync_admin_drives_the_clock_and_counters(
    sandbox: RunningSandbox, http: httpx.Client
) -> None:
    admin = sandbox.admin
    assert admin.health()
    assert admin.now() == START
    token = http.get("/cgi-bin/token", params=GRANT).json()["access_token"]
    assert admin.advance(7200) == START + 7200
    count = http.get("/cgi-bin/material/get_materialcount", params={"access_token": token})
    assert count.json()["errcode"] == 42001
    assert admin.set_time(START) == START
    assert admin.counters() == {
        "/cgi-bin/token": 1,
        "/cgi-bin/material/get_materialcount": 1,
    }
    admin.reset_counters()
    assert admin.counters() == {}


def test_sync_admin_covers_accounts_settings_and_faults(
    sandbox: RunningSandbox, http: httpx.Client
) -> None:
    admin = sandbox.admin
    admin.add_account("wxcccccccccccccccc", "c" * 32, whitelist=["10.0.0.1"])
    refused = http.get(
        "/cgi-bin/token", params={**GRANT, "appid": "wxcccccccccccccccc", "secret": "c" * 32}
    )
    assert refused.json()["errcode"] == 40164
    admin.set_whitelist("wxcccccccccccccccc", None)
    admin.set_quota("wxcccccccccccccccc", "/cgi-bin/token", 0)
    quota = http.get(
        "/cgi-bin/token", params={**GRANT, "appid": "wxcccccccccccccccc", "secret": "c" * 32}
    )
    assert quota.json()["errcode"] == 45009
    token = http.get("/cgi-bin/token", params=GRANT).json()["access_token"]
    admin.revoke_tokens(DEMO_APPID)
    revoked = http.get("/cgi-bin/draft/count", params={"access_token": token})
    assert revoked.json()["errcode"] == 40001
    admin.set_news_api("retired")
    admin.set_news_api("legacy")
    voice = admin.add_jssdk_voice(DEMO_APPID, media("voice-2s.amr"))
    assert len(voice) >= 32
    admin.set_faults("draft/count", error_rate=1.0, count=1)
    assert admin.faults()[0]["endpoint"] == "draft/count"
    admin.clear_faults()
    assert admin.faults() == []
    with pytest.raises(SandboxAdminError) as refused_call:
        admin.protect(DEMO_APPID, "no-such-material")
    assert refused_call.value.status == 404


def test_drop_fault_is_a_protocol_error_on_the_socket(
    sandbox: RunningSandbox, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = http.get("/cgi-bin/token", params=GRANT).json()["access_token"]
    data = media("voice-2s.wav")
    media_id = http.post(
        "/cgi-bin/material/add_material",
        params={"access_token": token, "type": "voice"},
        files={"media": ("voice.wav", data)},
    ).json()["media_id"]
    sandbox.admin.set_faults("material/get_material", drop_rate=1.0, count=1)
    with (
        caplog.at_level(logging.ERROR, logger="uvicorn.error"),
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.post(
            "/cgi-bin/material/get_material",
            params={"access_token": token},
            json={"media_id": media_id},
        )
    assert not [r for r in caplog.records if r.name == "uvicorn.error"]
    # the next call gets the whole file
    again = http.post(
        "/cgi-bin/material/get_material",
        params={"access_token": token},
        json={"media_id": media_id},
    )
    assert again.content == data


def test_admin_client_needs_somewhere_to_talk_to() -> None:
    with pytest.raises(ValueError, match="base_url"):
        SandboxAdmin()


def test_parse_account() -> None:
    assert parse_account("wxabc:secret") == ("wxabc", "secret")
    assert parse_account(("wx", "s")) == ("wx", "s")
    for bad in ("wxabc", "wxabc:", ":secret"):
        with pytest.raises(ValueError, match="APPID:SECRET"):
            parse_account(bad)


@pytest.mark.slow
def test_python_dash_m_serves_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "wechat_material.sandbox", "--port", "0",
         "--data-dir", str(tmp_path), "--account", "wxdddddddddddddddd:" + "d" * 32],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("WeChat material sandbox on http://127.0.0.1:")
        base_url = first.rsplit(" ", 1)[1].strip()
        assert "wxdddddddddddddddd" in process.stdout.readline() + process.stdout.readline()
        assert httpx.get(base_url + "/_sandbox/health", timeout=10).json() == {"ok": True}
        reply = httpx.get(
            base_url + "/cgi-bin/token",
            params={**GRANT, "appid": "wxdddddddddddddddd", "secret": "d" * 32},
            timeout=10,
        )
        assert reply.json()["expires_in"] == 7200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert (tmp_path / "sandbox.sqlite3").exists()


@pytest.mark.slow
def test_command_line_refuses_bad_arguments() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wechat_material.sandbox", "--account", "no-colon", "--memory"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "APPID:SECRET" in result.stderr


def test_access_log_lines_never_show_secrets() -> None:
    from wechat_material.sandbox.server import RedactQuerySecrets

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            f"/cgi-bin/token?grant_type=client_credential&appid={DEMO_APPID}&secret={DEMO_SECRET}",
            "1.1",
            200,
        ),
        None,
    )
    assert RedactQuerySecrets().filter(record)
    line = record.getMessage()
    assert DEMO_SECRET not in line
    assert f"appid={DEMO_APPID}&secret=***" in line
    record.args = ("h", "GET", "/cgi-bin/draft/count?access_token=abc.def", "1.1", 200)
    RedactQuerySecrets().filter(record)
    assert record.getMessage().endswith('"GET /cgi-bin/draft/count?access_token=*** HTTP/1.1" 200')


def test_config_repr_masks_secrets() -> None:
    text = repr(SandboxConfig(accounts=[("wxabc", "supersecretvalue1234")]))
    assert "supersecretvalue1234" not in text
    assert "wxabc" in text


def test_listening_socket_is_tcp_so_replies_are_not_delayed() -> None:
    # asyncio turns on TCP_NODELAY only for sockets whose proto is IPPROTO_TCP;
    # with proto 0, every small kept-alive reply waited for a delayed ACK (~40 ms).
    from wechat_material.sandbox.server import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


@pytest.mark.anyio
async def test_a_client_leaving_mid_upload_is_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Ctrl-C in an upload: the body stops and the client is gone. That is no
    # failure of the sandbox, so no traceback may reach its log.
    from wechat_material.sandbox import create_app

    app = create_app()
    token = app.state.sandbox.tokens.issue(DEMO_APPID).access_token
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    messages = [
        {"type": "http.request", "body": head + b"\xff\xd8\xff" + bytes(1000), "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = asgi_scope(
        "/cgi-bin/material/add_material",
        f"access_token={token}&type=image",
        {
            "host": "sandbox.test",
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": "100000",
        },
    )
    with caplog.at_level(logging.DEBUG, logger="wechat_material.sandbox"):
        await app(scope, receive, send)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    app.state.sandbox.close()
