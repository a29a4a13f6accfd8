"""Secrets, tokens and the admin token never reach the journal, the events or the log,
however their parameter names are spelled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from wechat_material._redact import hide_query_secrets
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET
from wechat_material.sandbox.server import hide_target_secrets
from wechat_material.sandbox.state.journal import HIDDEN_NAMES

ADMIN_TOKEN = "admintoken-0123456789-abcdefghij"
SPELLINGS = ["secret", "%73ecret", "SECRET", "s%65cret", "secre%74"]
TOKEN_SPELLINGS = ["access_token", "access%5Ftoken", "access%5ftoken", "%61ccess_token"]
ADMIN_SPELLINGS = ["admin_token", "admin%5Ftoken", "%61dmin_token"]


async def everything_shown(client: httpx.AsyncClient) -> str:
    """The journal as the console shows it: the event stream, the list, each call."""
    events = (await client.get("/ui/events", params={"after": "0", "once": "1"})).text
    listing = (await client.get("/ui/journal")).text
    seqs = [int(line[4:]) for line in events.splitlines() if line.startswith("id: ")]
    assert seqs, events
    pages = [(await client.get(f"/ui/journal/{seq}")).text for seq in seqs]
    return "\n".join([events, listing, *pages])


async def token_for(client: httpx.AsyncClient, spelling: str) -> str:
    reply = await client.get(
        f"/cgi-bin/token?grant_type=client_credential&appid={DEMO_APPID}&{spelling}={DEMO_SECRET}"
    )
    token = reply.json().get("access_token")
    assert isinstance(token, str), reply.text  # the sandbox accepted the spelling
    return token


@pytest.mark.anyio
@pytest.mark.parametrize("spelling", SPELLINGS[:2])
async def test_a_secret_in_the_query_is_masked_however_spelled(
    client: httpx.AsyncClient, spelling: str
) -> None:
    await token_for(client, spelling)
    shown = await everything_shown(client)
    assert DEMO_SECRET not in shown
    assert f"{spelling}={DEMO_SECRET[:4]}" in shown


@pytest.mark.anyio
@pytest.mark.parametrize("spelling", TOKEN_SPELLINGS)
async def test_an_access_token_in_the_query_is_masked_however_spelled(
    client: httpx.AsyncClient, spelling: str
) -> None:
    token = await token_for(client, "secret")
    reply = await client.get(f"/cgi-bin/material/get_materialcount?{spelling}={token}")
    assert "voice_count" in reply.json()  # accepted under this spelling
    shown = await everything_shown(client)
    assert token not in shown
    assert DEMO_SECRET not in shown


@pytest.mark.anyio
@pytest.mark.parametrize("spelling", ADMIN_SPELLINGS)
async def test_an_admin_token_in_an_api_query_is_masked(
    client: httpx.AsyncClient, spelling: str
) -> None:
    await client.get(f"/cgi-bin/material/get_materialcount?{spelling}={ADMIN_TOKEN}")
    shown = await everything_shown(client)
    assert ADMIN_TOKEN not in shown


@pytest.mark.anyio
@pytest.mark.parametrize("spelling", SPELLINGS[:2] + TOKEN_SPELLINGS[:2] + ADMIN_SPELLINGS[:2])
async def test_secrets_in_a_form_body_are_never_shown(
    client: httpx.AsyncClient, spelling: str
) -> None:
    body = f"grant_type=client_credential&appid={DEMO_APPID}&{spelling}={DEMO_SECRET}"
    for path in ("/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/draft/add"):
        await client.post(
            path, content=body, headers={"content-type": "application/x-www-form-urlencoded"}
        )
    shown = await everything_shown(client)
    assert DEMO_SECRET not in shown


def test_one_function_reads_names_decoded() -> None:
    query = f"a=1&%73ecret={DEMO_SECRET}&Access%5FToken=tok123456&admin%5Ftoken=adm123456&b"
    masked = hide_query_secrets(query, names=HIDDEN_NAMES)
    assert masked == (
        "a=1&%73ecret=0123…(32 chars)&Access%5FToken=tok1…(9 chars)&admin%5Ftoken=adm1…(9 chars)&b"
    )
    # The SDK's own list leaves the sandbox's admin token alone; the log hides all three.
    assert "adm123456" in hide_query_secrets(query)
    target = hide_target_secrets(f"/ui/?{query}")
    assert target == "/ui/?a=1&%73ecret=***&Access%5FToken=***&admin%5Ftoken=***&b"
    # The one pattern runs first: names it knows keep its spans (client_secret too).
    plain = "SECRET=abcdef&client_secret=ghijkl&secret=mnopqr#frag"
    assert hide_query_secrets(plain, lambda _: "*") == "SECRET=*&client_secret=*&secret=*#frag"


def raw_get(base_url: str, target: str) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.mark.slow
def test_the_server_output_never_carries_a_secret() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "wechat_material.sandbox", "--port", "0", "--memory",
         "--admin-token", ADMIN_TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        granted = raw_get(
            base_url,
            f"/cgi-bin/token?grant_type=client_credential&appid={DEMO_APPID}"
            f"&%73ecret={DEMO_SECRET}",
        )
        token = granted.rpartition(b'"access_token":"')[2].partition(b'"')[0].decode()
        assert len(token) > 20, granted
        for spelling in TOKEN_SPELLINGS:
            raw_get(base_url, f"/cgi-bin/draft/count?{spelling}={token}")
        for spelling in ADMIN_SPELLINGS:
            # The console takes the token, sets its cookie and sends the browser on.
            assert b" 303 " in raw_get(base_url, f"/ui/journal?{spelling}={ADMIN_TOKEN}")
            raw_get(base_url, f"/cgi-bin/draft/count?{spelling}={ADMIN_TOKEN}")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    output = out + err
    assert "GET /ui/journal?admin%5Ftoken=*** HTTP/1.1" in output  # the access log ran
    for secret in (DEMO_SECRET, token, ADMIN_TOKEN):
        assert secret not in output
