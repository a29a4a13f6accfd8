"""The server's bounds on connections: slow headers, idle connections, too many at once."""

from __future__ import annotations

import select
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    RunningSandbox,
    SandboxConfig,
    ServerLimits,
    run_in_thread,
)

from ..wechat_wire import START

# Real sockets and clocks: these wait for timeouts to pass.
pytestmark = pytest.mark.slow

GUARD = 30.0  # a socket timeout that only stops a broken test from hanging


def connect(sandbox: RunningSandbox) -> socket.socket:
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=GUARD)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (rather than the guard timing out)."""
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


@pytest.fixture(scope="module")
def quick() -> Iterator[RunningSandbox]:
    limits = ServerLimits(keep_alive_seconds=1, header_seconds=0.5, max_connections=50)
    with run_in_thread(SandboxConfig(seed=3, start_time=START), limits=limits) as running:
        yield running


def test_half_a_request_line_is_disconnected(quick: RunningSandbox) -> None:
    with connect(quick) as sock:
        sock.sendall(b"GET /cgi-bin/tok")
        assert closed_by_server(sock)


def test_headers_sent_byte_by_byte_are_disconnected(quick: RunningSandbox) -> None:
    request = b"GET /cgi-bin/token HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100
    with connect(quick) as sock:
        # Each byte restarts uvicorn's own idle timer; the header deadline stays.
        for byte in request:
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                break  # closed (or answered): the check below tells
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
        assert closed_by_server(sock)


def test_an_idle_kept_alive_connection_is_closed(quick: RunningSandbox) -> None:
    with connect(quick) as sock:
        host = quick.base_url.removeprefix("http://").encode()
        sock.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        reply = b""
        while b'{"ok":true}' not in reply:
            chunk = sock.recv(4096)
            assert chunk, reply  # closed before the whole reply came
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
        assert closed_by_server(sock)


def test_a_slow_call_is_not_cut_by_the_header_deadline(quick: RunningSandbox) -> None:
    quick.admin.set_faults(endpoint="token", latency_ms=1500)
    try:
        grant = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
        reply = httpx.get(f"{quick.base_url}/cgi-bin/token", params=grant, timeout=GUARD)
        assert "access_token" in reply.json()
    finally:
        quick.admin.clear_faults()


def test_past_the_connection_limit_calls_get_503() -> None:
    limits = ServerLimits(header_seconds=GUARD, max_connections=3)
    with run_in_thread(SandboxConfig(seed=3), limits=limits) as sandbox:
        idle = [connect(sandbox) for _ in range(3)]
        try:
            reply = httpx.get(f"{sandbox.base_url}/_sandbox/health", timeout=GUARD)
            assert reply.status_code == 503
        finally:
            for sock in idle:
                sock.close()


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        ServerLimits(header_seconds=0)
    with pytest.raises(ValueError, match="max_connections"):
        ServerLimits(max_connections=0)


def test_the_command_line_takes_the_limits() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wechat_material.sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = ("--keep-alive-timeout", "--header-timeout", "--max-connections", "--body-timeout")
    for flag in (*flags, "--max-connections-per-client", "--http"):
        assert flag in out
