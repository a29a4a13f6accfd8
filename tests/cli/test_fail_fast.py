"""A server that never answers, one that hangs up, a closed port, a name that does not
resolve: each ends ``wxm`` with one line naming the host (and, for a timeout, how
to wait longer), after at most one more try.

The timeouts are shortened the ways a user can (``--timeout``, ``WECHAT_TIMEOUT``,
a profile's ``timeout``); the defaults themselves are asserted on their own.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wechat_material._config import DEFAULT_TIMEOUT, DEFAULT_UPLOAD_TIMEOUT
from wechat_material.cli.exit_codes import EXIT_API

from .conftest import MEDIA, WXM, Home

# The tests start wxm in processes of their own.
pytestmark = pytest.mark.slow

Process = Callable[..., subprocess.CompletedProcess[str]]


class Listener:
    """A loopback port that accepts connections and then does ``mode`` with each:
    ``silent`` holds it open and never writes a byte; ``hangup`` closes it at once."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "hangup":
                conn.close()
            else:
                self._held.append(conn)

    @contextmanager
    def running(self) -> Iterator[Listener]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=5)
            for conn in self._held:
                conn.close()
            self.sock.close()


def closed_port() -> str:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_the_defaults_connect_in_5_s_and_read_in_15_s() -> None:
    for timeout in (DEFAULT_TIMEOUT, DEFAULT_UPLOAD_TIMEOUT):
        assert timeout.connect == 5.0
        assert timeout.read == 15.0
    assert DEFAULT_TIMEOUT.write == 15.0


@pytest.mark.parametrize("how", ["flag", "environment", "profile"])
def test_a_server_that_never_answers_ends_in_one_line(
    wxm_process: Process, home: Home, how: str
) -> None:
    with Listener("silent").running() as server:
        args = ["--sandbox", "--base-url", server.url, "count"]
        env = home.env()
        if how == "flag":
            args = ["--timeout", "0.5", *args]
        elif how == "environment":
            env["WECHAT_TIMEOUT"] = "0.5"
        else:
            set_profile = [
                "config",
                "set",
                "slow",
                "--sandbox",
                "--base-url",
                server.url,
                "--timeout",
                "0.5",
            ]
            assert wxm_process(*set_profile).returncode == 0
            args = ["count"]
        result = subprocess.run(
            [str(WXM), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

        line = _one_line(result)
        assert result.returncode == EXIT_API
        assert "127.0.0.1 did not answer within 0.5 s" in line
        for way in ("--timeout", "WECHAT_TIMEOUT", "timeout"):
            assert way in line
        # One more try after the first timeout, not one per attempt of the retry policy.
        assert server.accepted == 2


class _SilentOnUploads(BaseHTTPRequestHandler):
    """Hands out tokens, and reads uploads without ever answering them."""

    server: _UploadSink

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.split("?")[0].endswith("token"):
            body = json.dumps({"access_token": "t" * 64, "expires_in": 7200}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.server.uploads += 1
        self.server.stop.wait(30)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _UploadSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SilentOnUploads)
        self.uploads = 0
        self.stop = threading.Event()


def test_an_upload_that_times_out_is_not_sent_again(wxm_process: Process) -> None:
    server = _UploadSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = wxm_process(
            "--timeout", "0.5", "--sandbox", "--base-url", url, "upload",
            str(MEDIA / "image.jpg"),
        )  # fmt: skip
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()

    assert result.returncode == EXIT_API, result.stderr
    assert "127.0.0.1 did not answer within 0.5 s" in result.stderr
    assert server.uploads == 1  # an upload that may have landed is never sent twice


def test_a_server_that_hangs_up_is_named(wxm_process: Process) -> None:
    with Listener("hangup").running() as server:
        result = wxm_process("--sandbox", "--base-url", server.url, "count")

    line = _one_line(result)
    assert result.returncode == EXIT_API
    assert "127.0.0.1" in line
    # The peer hung up: httpx says so as a reset or a disconnect, depending on timing.
    assert "ReadError" in line or "RemoteProtocolError" in line


def test_a_closed_port_is_named_in_one_line(wxm_process: Process) -> None:
    url = closed_port()
    result = wxm_process("--sandbox", "--base-url", url, "count")

    line = _one_line(result)
    assert result.returncode == EXIT_API
    assert f"could not connect to {url.removeprefix('http://')}" in line
    assert "2 attempts" in line


def test_a_name_that_does_not_resolve_is_named(wxm_process: Process) -> None:
    result = wxm_process("--sandbox", "--base-url", "http://nohost.invalid:8080", "count")

    line = _one_line(result)
    assert result.returncode == EXIT_API
    assert "nohost.invalid: no such host" in line


def test_the_sdk_error_carries_the_host_and_the_timeout() -> None:
    from wechat_material import WeChatClient
    from wechat_material.errors import TransportError

    with Listener("silent").running() as server:
        client = WeChatClient("wx0123456789abcdef", "s" * 32, base_url=server.url, timeout=0.3)
        with client, pytest.raises(TransportError) as caught:
            client.get_access_token()

    assert caught.value.host == "127.0.0.1"
    assert caught.value.timeout == 0.3
    assert str(caught.value).startswith("127.0.0.1 did not answer within 0.3 s")
    assert server.accepted == 2


def test_a_timeout_is_a_positive_number(wxm_process: Process) -> None:
    for bad in ("0", "-1", "nan", "soon"):
        result = wxm_process("--timeout", bad, "--sandbox", "count")

        assert result.returncode == 2, result.stderr
        assert "--timeout" in result.stderr
        assert "is not a timeout" in result.stderr


def test_an_upload_batch_without_a_token_says_so_once(wxm_process: Process) -> None:
    url = closed_port()
    files = [str(MEDIA / "image.jpg"), str(MEDIA / "image.png"), str(MEDIA / "thumb.jpg")]
    result = wxm_process("--sandbox", "--base-url", url, "upload", *files)

    line = _one_line(result)  # not one line per file
    assert result.returncode == EXIT_API
    assert "could not connect to 127.0.0.1" in line
