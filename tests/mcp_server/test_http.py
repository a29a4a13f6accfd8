"""``wxm mcp --http``: streamable HTTP, loopback by default, a bearer token beyond it."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from .conftest import WXM, Place

pytestmark = [pytest.mark.slow, pytest.mark.anyio, pytest.mark.timeout(120)]

ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - refused before anything is bound
TOKEN = "a-long-random-token-for-the-tests-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def http_server(
    place: Place, base_url: str, *args: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``wxm mcp --http 127.0.0.1:PORT ARGS...`` running; yields its URL."""
    port = _free_port()
    command = [str(WXM), "--sandbox", "--base-url", base_url, "mcp"]
    command += ["--root", str(place.root), "--http", f"127.0.0.1:{port}", *args]
    process = subprocess.Popen(
        command,
        env={**place.env(), **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _smoke(client: Client) -> None:
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert "upload_material" in names
    uploaded = await client.call_tool("upload_material", {"path": "image.jpg"})
    assert not uploaded.is_error, uploaded.content
    listed = await client.call_tool("list_material", {"type": "image"})
    media_id = uploaded.structured_content["media_id"]  # type: ignore[index]
    assert [i["media_id"] for i in listed.structured_content["items"]] == [media_id]  # type: ignore[index]
    outside = await client.call_tool("upload_material", {"path": "/etc/hostname"})
    assert outside.is_error


async def test_the_same_tools_over_streamable_http(place: Place, sandbox: Any) -> None:
    with http_server(place, sandbox.base_url) as url:
        async with Client(url) as client:
            await _smoke(client)


async def test_with_a_token_every_request_must_carry_it(place: Place, sandbox: Any) -> None:
    with http_server(place, sandbox.base_url, env={"WXM_MCP_TOKEN": TOKEN}) as url:
        async with httpx.AsyncClient() as plain:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                reply = await plain.post(url, json={}, headers=headers)
                assert reply.status_code == 401, headers
                assert reply.headers["www-authenticate"].startswith("Bearer")
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
        async with Client(streamable_http_client(url, http_client=client)) as mcp_client:
            await _smoke(mcp_client)


def _refusal(place: Place, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(WXM), "--sandbox", "mcp", "--root", str(place.root), *args],
        env={**place.env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    return done.stderr


def test_off_loopback_is_refused_without_a_token(place: Place) -> None:
    port = str(_free_port())
    message = _refusal(place, "--http", f"127.0.0.1:{port}", "--host", ANY_ADDRESS)
    assert f"refusing to serve on {ANY_ADDRESS} without a bearer token" in message
    assert "WXM_MCP_TOKEN" in message
    message = _refusal(place, "--http", f"{ANY_ADDRESS}:{port}")
    assert "not a loopback address" in message
    message = _refusal(place, "--http", port, "--host", ANY_ADDRESS, env={"WXM_MCP_TOKEN": "short"})
    assert "too short" in message
    assert "short" not in message.replace("too short", "")
