"""Stalled bodies, crowds from one address and oversized headers, with each HTTP parser."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wechat_material.sandbox import RunningSandbox, SandboxConfig, ServerLimits, run_in_thread

from ..wechat_wire import START

# Real sockets and clocks: these wait for timeouts to pass.
pytestmark = pytest.mark.slow

GUARD = 30.0  # a socket timeout that only stops a broken test from hanging
BODY_SECONDS = 1.5
STALLED = (
    b"POST /cgi-bin/draft/add?access_token=invalid HTTP/1.1\r\n"
    b"Host: sandbox.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    b'{"articles":'
)
# Loopback has all of 127/8: the crowd comes from one address, the checks from another.
CROWD = "127.0.0.2"
KB = 1024


@pytest.fixture(scope="module", params=["h11", "httptools"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    limits = ServerLimits(
        header_seconds=GUARD,
        body_seconds=BODY_SECONDS,
        max_connections=400,
        max_connections_per_client=250,
        http=request.param,
    )
    with run_in_thread(SandboxConfig(seed=5, start_time=START), limits=limits) as running:
        yield running


def address(sandbox: RunningSandbox) -> tuple[str, int]:
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    return host, int(port)


def connect(sandbox: RunningSandbox, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(address(sandbox), timeout=GUARD, source_address=(source, 0))


def health_request(sandbox: RunningSandbox, extra: bytes = b"") -> bytes:
    host = sandbox.base_url.removeprefix("http://").encode()
    return b"GET /_sandbox/health HTTP/1.1\r\nHost: " + host + b"\r\n" + extra + b"\r\n"


def whole_reply(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def resident_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


def hold_stalled_bodies(sandbox: RunningSandbox, count: int) -> None:
    """``count`` requests whose body stops after 12 of 1000 bytes: each gets 408 in time."""
    socks = []
    try:
        for _ in range(count):
            sock = connect(sandbox, CROWD)
            sock.sendall(STALLED)
            socks.append(sock)
        sent = time.monotonic()
        # The server still answers everyone else at once.
        health = httpx.get(f"{sandbox.base_url}/_sandbox/health", timeout=1.0)
        assert health.json() == {"ok": True}
        console = httpx.get(f"{sandbox.base_url}/ui/journal", timeout=1.0)
        assert console.status_code == 200
        for sock in socks:
            reply = whole_reply(sock)
            assert reply.startswith(b"HTTP/1.1 408 "), reply[:80]
            assert b"did not arrive within 1.5 s" in reply
        # Every one answered within the window (plus room for a busy machine).
        assert time.monotonic() - sent < BODY_SECONDS + 10
    finally:
        for sock in socks:
            sock.close()


def test_stalled_bodies_get_408_while_the_server_answers_others(sandbox: RunningSandbox) -> None:
    hold_stalled_bodies(sandbox, 200)
    before = resident_bytes()
    hold_stalled_bodies(sandbox, 200)
    # Memory stays flat: a second crowd costs (almost) nothing more than the first.
    assert resident_bytes() - before < 16 * 1024 * 1024


def test_a_body_sent_in_time_is_not_cut(sandbox: RunningSandbox) -> None:
    body = b'{"articles": []}'
    head = (
        b"POST /cgi-bin/draft/add?access_token=invalid HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with connect(sandbox) as sock:
        sock.sendall(head + body[:5])
        time.sleep(BODY_SECONDS / 3)
        sock.sendall(body[5:])
        reply = whole_reply(sock)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:80]
    assert b"40014" in reply


def test_a_body_the_server_is_slow_to_read_is_not_cut(sandbox: RunningSandbox) -> None:
    # A latency fault holds the call before its body is read: past 64 KB uvicorn stops
    # reading, the client cannot send the rest, and that wait is not the client's fault.
    sandbox.admin.set_faults("draft/add", latency_ms=int(BODY_SECONDS * 2000))
    try:
        reply = httpx.post(
            f"{sandbox.base_url}/cgi-bin/draft/add",
            params={"access_token": "invalid"},
            content=b'{"articles": [' + b" " * (300 * KB) + b"]}",
            headers={"content-type": "application/json"},
            timeout=GUARD,
        )
    finally:
        sandbox.admin.clear_faults()
    assert reply.status_code == 200
    assert reply.json()["errcode"] == 40014


def test_once_the_server_reads_again_the_client_gets_a_whole_window(
    sandbox: RunningSandbox,
) -> None:
    # The fault ends just before the body clock runs out a second time; the client
    # sends its last bytes after that moment. The server held the body through the
    # last window, so the client gets a new one for the rest, not a 408.
    latency = 2 * BODY_SECONDS - 0.1
    head_and_most = (
        b"POST /cgi-bin/draft/add?access_token=invalid HTTP/1.1\r\nHost: sandbox.test\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    )
    most = b'{"articles": [' + b" " * (300 * KB)
    rest = b"]}"
    sandbox.admin.set_faults("draft/add", latency_ms=int(latency * 1000))
    try:
        with connect(sandbox) as sock:
            started = time.monotonic()
            sock.sendall(head_and_most % (len(most) + len(rest)) + most)
            time.sleep(max(0.0, 2 * BODY_SECONDS + 0.4 - (time.monotonic() - started)))
            sock.sendall(rest)
            reply = whole_reply_or_first(sock)
    finally:
        sandbox.admin.clear_faults()
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:120]
    assert b"40014" in reply


def whole_reply_or_first(sock: socket.socket) -> bytes:
    """The reply's head and as much as came with it (the connection stays open)."""
    reply = b""
    while b"\r\n\r\n" not in reply and (chunk := sock.recv(65536)):
        reply += chunk
    return reply


@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_past_its_limit_a_client_gets_503_and_others_are_served(http: str) -> None:
    limits = ServerLimits(header_seconds=GUARD, max_connections_per_client=5, http=http)  # type: ignore[arg-type]
    with run_in_thread(SandboxConfig(seed=5), limits=limits) as running:
        held = [connect(running, CROWD) for _ in range(5)]
        try:
            for sock in held:
                sock.sendall(STALLED)
            with connect(running, CROWD) as extra:
                extra.sendall(health_request(running))
                reply = whole_reply(extra)
            assert reply.startswith(b"HTTP/1.1 503 "), reply[:80]
            assert b"too many connections from your address" in reply
            assert httpx.get(f"{running.base_url}/_sandbox/health", timeout=GUARD).is_success
        finally:
            for sock in held:
                sock.close()
        # Once they are closed, the address is served again.
        deadline = time.monotonic() + GUARD
        while True:
            with connect(running, CROWD) as again:
                again.sendall(health_request(running))
                if again.recv(65536).startswith(b"HTTP/1.1 200 "):
                    break
            assert time.monotonic() < deadline
            time.sleep(0.05)


@pytest.mark.parametrize(
    ("size", "status"),
    [(63 * KB, 200), (65 * KB, 431), (100 * KB, 431), (1024 * KB, 431), (16 * 1024 * KB, 431)],
    ids=["63KB", "65KB", "100KB", "1MB", "16MB"],
)
def test_headers_over_64_kb_get_431_never_a_reset(
    sandbox: RunningSandbox, size: int, status: int
) -> None:
    request = health_request(sandbox, b"X-Pad: " + b"a" * size + b"\r\nConnection: close\r\n")
    with connect(sandbox) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        reply = whole_reply(sock)  # a reset would raise ConnectionResetError here
    assert reply.startswith(f"HTTP/1.1 {status} ".encode()), reply[:80]
    if status == 431:
        head, _, body = reply.partition(b"\r\n\r\n")
        assert b"connection: close" in head.lower()
        assert body == b"request line and headers over 64 KB; send smaller headers\n"


def test_a_malformed_request_gets_400_never_a_reset(sandbox: RunningSandbox) -> None:
    # The parser refuses it at once; the client goes on sending 2 MB it announced.
    with connect(sandbox) as sock:
        sock.sendall(
            health_request(sandbox, b"Bad header line\r\nContent-Length: 2097152\r\n")
            + b"x" * 2097152
        )
        sock.shutdown(socket.SHUT_WR)
        reply = whole_reply(sock)  # a reset would raise ConnectionResetError here
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:80]
    assert reply.endswith(b"Invalid HTTP request received.\n")
    assert reply.count(b"HTTP/1.1 ") == 1


def test_a_malformed_request_after_a_good_one_gets_400(sandbox: RunningSandbox) -> None:
    # On a kept-alive connection: the earlier reply is done, the refusal is answered.
    with connect(sandbox) as sock:
        sock.sendall(health_request(sandbox))
        first = b""
        while b'{"ok":true}' not in first:
            first += sock.recv(65536)
        sock.sendall(health_request(sandbox, b"Bad header line\r\n"))
        sock.shutdown(socket.SHUT_WR)
        reply = whole_reply(sock)
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:80]


def test_headers_over_the_limit_in_small_pieces_get_431(sandbox: RunningSandbox) -> None:
    with connect(sandbox) as sock:
        sock.sendall(health_request(sandbox)[:-2])
        for _ in range(80):
            sock.sendall(b"X-Many: " + b"b" * 1000 + b"\r\n")
        sock.shutdown(socket.SHUT_WR)
        reply = whole_reply(sock)
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:80]


def test_httpx_sending_huge_headers_reads_the_431(sandbox: RunningSandbox) -> None:
    reply = httpx.get(
        f"{sandbox.base_url}/_sandbox/health", headers={"x-pad": "c" * (1024 * KB)}, timeout=GUARD
    )
    assert reply.status_code == 431
    assert "over 64 KB" in reply.text


def test_small_headers_with_a_large_body_in_one_piece_are_not_refused(
    sandbox: RunningSandbox,
) -> None:
    body = b'{"articles": [' + b" " * (200 * KB) + b"]}"
    reply = httpx.post(
        f"{sandbox.base_url}/cgi-bin/draft/add",
        params={"access_token": "invalid"},
        content=body,
        headers={"content-type": "application/json"},
        timeout=GUARD,
    )
    assert reply.status_code == 200
    assert reply.json()["errcode"] == 40014


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        ServerLimits(body_seconds=0)
    with pytest.raises(ValueError, match="per_client"):
        ServerLimits(max_connections_per_client=0)
    with pytest.raises(ValueError, match="httptools"):
        ServerLimits(http="h2")  # type: ignore[arg-type]


def test_the_command_line_checks_the_new_limits() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "wechat_material.sandbox", "--memory", "--body-timeout", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "timeouts must be positive" in refused.stderr
