"""Calls through a proxy: ``--proxy``, a profile's ``proxy``, the standard variables.

A small HTTP proxy runs on loopback in the test (absolute-form requests are
forwarded, ``CONNECT`` is tunnelled) and notes every request it carries; the
sandbox sits behind it. The sandbox speaks http://, so the variable that
applies is ``HTTP_PROXY`` (or ``ALL_PROXY``); ``HTTPS_PROXY`` is WeChat's, whose
API is https:// (httpx reads all three, and ``NO_PROXY``, the same way).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import AsyncWeChatClient, WeChatClient
from wechat_material.errcodes import WHITELIST_HINT
from wechat_material.errors import api_error
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class LoopbackProxy:
    """An HTTP proxy on 127.0.0.1 (or a SOCKS5 one, ``socks=True``); ``seen`` lists
    each request's target as it was asked (for SOCKS5: ``CONNECT host:port``)."""

    def __init__(self, *, socks: bool = False) -> None:
        self.socks = socks
        self.seen: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"{'socks5' if self.socks else 'http'}://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.socks:
            await self._socks_client(reader, writer)
            return
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *headers = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ")
            self.seen.append(f"{method} {target}")
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                # Absolute form: forward one request in origin form, then close.
                rest = target.split("://", 1)[1]
                authority, _, path = rest.partition("/")
                host, _, port = authority.partition(":")
                up_reader, up_writer = await asyncio.open_connection(host, int(port or 80))
                kept = [
                    h
                    for h in headers
                    if h and not h.lower().startswith(("connection:", "proxy-", "keep-alive:"))
                ]
                forwarded = [f"{method} /{path} {version}", *kept, "Connection: close", "", ""]
                up_writer.write("\r\n".join(forwarded).encode("latin-1"))
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _socks_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # RFC 1928, no authentication, CONNECT only.
        try:
            _version, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            writer.write(b"\x05\x00")
            _version, _command, _reserved, kind = await reader.readexactly(4)
            if kind == 1:
                host = ".".join(str(b) for b in await reader.readexactly(4))
            else:  # a name
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            port = int.from_bytes(await reader.readexactly(2), "big")
            self.seen.append(f"CONNECT {host}:{port}")
            up_reader, up_writer = await asyncio.open_connection(host, port)
            writer.write(b"\x05\x00\x00\x01" + bytes(4) + bytes(2))
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @contextlib.contextmanager
    def running(self) -> Iterator[LoopbackProxy]:
        self._thread.start()
        self._ready.wait(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    async def _shutdown(self) -> None:
        """End the connections still open (kept alive by the clients) before the loop stops."""
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    finally:
        with contextlib.suppress(OSError):
            sink.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackProxy]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with LoopbackProxy().running() as running:
        yield running


def _through(proxy: LoopbackProxy, path: str) -> list[str]:
    return [line for line in proxy.seen if path in line]


def test_the_proxy_flag_carries_every_kind_of_call(
    on_sandbox: Run, proxy: LoopbackProxy, tmp_path: Path
) -> None:
    # count: the sync client; upload: the async lane transport; get: the metered download.
    counted = on_sandbox("--proxy", proxy.url, "count")
    uploaded = run_json(
        on_sandbox("--proxy", proxy.url, "upload", str(MEDIA / "image.jpg"), "--json")
    )
    media_id = uploaded["uploaded"][0]["media_id"]
    fetched = on_sandbox("--proxy", proxy.url, "get", media_id, "-o", str(tmp_path))

    assert counted.exit_code == 0, counted.output
    assert fetched.exit_code == 0, fetched.output
    assert _through(proxy, "/cgi-bin/material/get_materialcount")
    assert _through(proxy, "/cgi-bin/material/add_material")
    assert _through(proxy, "/cgi-bin/material/get_material")
    # Absolute-form requests: the proxy was asked for the sandbox itself.
    assert all("http://127.0.0.1:" in line for line in proxy.seen)


def test_a_profile_proxy_is_used(wxm: Run, sandbox: Any, proxy: LoopbackProxy) -> None:
    made = wxm(
        "config", "set", "behind", "--sandbox", "--base-url", sandbox.base_url,
        "--proxy", proxy.url, "--use",
    )  # fmt: skip
    counted = wxm("count")

    assert made.exit_code == 0, made.output
    assert counted.exit_code == 0, counted.output
    assert _through(proxy, "/cgi-bin/material/get_materialcount")


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_the_standard_variables_are_honoured(
    on_sandbox: Run, proxy: LoopbackProxy, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, proxy.url)

    counted = on_sandbox("count")
    uploaded = on_sandbox("upload", str(MEDIA / "image.jpg"))

    assert counted.exit_code == 0, counted.output
    assert uploaded.exit_code == 0, uploaded.output
    assert _through(proxy, "/cgi-bin/material/get_materialcount")
    assert _through(proxy, "/cgi-bin/material/add_material")


def test_no_proxy_keeps_calls_direct(
    on_sandbox: Run, proxy: LoopbackProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    counted = on_sandbox("count")
    uploaded = on_sandbox("upload", str(MEDIA / "image.jpg"))

    assert counted.exit_code == 0, counted.output
    assert uploaded.exit_code == 0, uploaded.output
    assert proxy.seen == []


def test_the_embedded_sandbox_takes_no_proxy(
    wxm: Run, proxy: LoopbackProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy.url)

    counted = wxm("--sandbox", "--proxy", proxy.url, "count")

    assert counted.exit_code == 0, counted.output
    assert proxy.seen == []


def test_the_sdk_clients_take_a_proxy(sandbox: Any, proxy: LoopbackProxy) -> None:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, proxy=proxy.url) as c:
        c.material.get_material_count()

    async def count() -> None:
        client = AsyncWeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, proxy=proxy.url
        )
        async with client:
            await client.material.get_material_count()

    asyncio.run(count())

    assert len(_through(proxy, "/cgi-bin/material/get_materialcount")) == 2


@pytest.mark.parametrize("bad", ["ftp://127.0.0.1:21", "127.0.0.1:8080", "http://", "not a url"])
def test_a_proxy_that_is_no_url_is_refused_before_anything_is_sent(
    wxm: Run, bad: str, home: Any
) -> None:
    flagged = wxm("--proxy", bad, "--sandbox", "count")
    stored = wxm("config", "set", "p", "--sandbox", "--proxy", bad)

    assert flagged.exit_code == 2
    assert "--proxy" in flagged.stderr
    assert stored.exit_code == 2
    assert "--proxy" in stored.stderr
    assert not home.config_file.exists()


def test_the_sdk_refuses_a_proxy_beside_its_own_http_client() -> None:
    import httpx

    from wechat_material.errors import ValidationError

    with httpx.Client() as http, pytest.raises(ValidationError, match="http_client"):
        WeChatClient(DEMO_APPID, DEMO_SECRET, http_client=http, proxy="http://127.0.0.1:1")


# the IP whitelist (40164) -----------------------------------------------------


def test_the_whitelist_hint_quotes_the_address_and_names_the_proxy_flag(
    on_sandbox: Run, sandbox: Any
) -> None:
    sandbox.admin.set_whitelist(DEMO_APPID, ["192.0.2.1"])
    try:
        result = on_sandbox("count")
    finally:
        sandbox.admin.set_whitelist(DEMO_APPID, None)

    assert result.exit_code == 1
    assert "40164" in result.stderr
    hint = result.stderr.split("hint:", 1)[1]
    assert "127.0.0.1" in hint
    assert "IP白名单" in hint
    assert "--proxy socks5://127.0.0.1:1080" in hint
    assert "proxy=" not in hint  # the SDK's argument has no place in the command line's advice


def test_the_sdk_hint_quotes_the_address_it_was_refused_from() -> None:
    error = api_error(40164, "invalid ip 203.0.113.9 ipv6 ::ffff:203.0.113.9, not in whitelist")

    assert error.hint == WHITELIST_HINT.format(ip="203.0.113.9")
    assert "203.0.113.9" in error.hint
    assert "proxy=" in error.hint


def test_a_socks5_proxy_carries_the_calls(
    on_sandbox: Run, proxy: LoopbackProxy, sandbox: Any
) -> None:
    with LoopbackProxy(socks=True).running() as socks:
        counted = on_sandbox("--proxy", socks.url, "count")
        uploaded = on_sandbox("--proxy", socks.url, "upload", str(MEDIA / "image.jpg"))

    assert counted.exit_code == 0, counted.output
    assert uploaded.exit_code == 0, uploaded.output
    port = sandbox.base_url.rsplit(":", 1)[1]
    assert socks.seen
    assert set(socks.seen) == {f"CONNECT 127.0.0.1:{port}"}


def test_a_blocking_backup_goes_through_the_clients_proxy(
    sandbox: Any, proxy: LoopbackProxy, tmp_path: Path
) -> None:
    # backup() runs on an async twin of the client: the twin keeps its proxy.
    from wechat_material.backup import backup

    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, proxy=proxy.url) as c:
        c.material.add_material("image", MEDIA / "image.jpg")
        proxy.seen.clear()
        summary = backup(c, tmp_path / "bk", kinds=("image",))

    assert summary.status == "complete"
    assert _through(proxy, "/cgi-bin/material/batchget_material")
    assert _through(proxy, "/cgi-bin/material/get_material")
