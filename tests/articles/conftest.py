"""Fixtures for publishing posts: a sandbox, a client, a cache per test, a web server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner, Result

pytest.importorskip("markdown_it")

from wechat_material import WeChatClient
from wechat_material.cli import app
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig

HERE = Path(__file__).resolve().parent
POSTS = HERE / "posts"
MEDIA = HERE.parent / "media"


@pytest.fixture
def wechat_shared_sandbox_config() -> SandboxConfig:
    """The sandbox of these tests publishes at once, so waiting returns the links."""
    return SandboxConfig(publish_seconds=0)


@pytest.fixture
def sandbox(wechat_shared_sandbox: Any) -> Any:
    """The run's shared sandbox, reset to new by the package's pytest plugin."""
    return wechat_shared_sandbox


@pytest.fixture
def client(sandbox: Any) -> Iterator[WeChatClient]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as made:
        yield made


@pytest.fixture
def wxm(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``wxm --sandbox --base-url SANDBOX ARGS...`` in-process with a home of its own."""
    monkeypatch.setenv("WXM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WXM_DATA_DIR", str(tmp_path / "data"))
    for name in ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_BASE_URL", "WXM_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, ["--sandbox", "--base-url", sandbox.base_url, *args])

    return run


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has its own upload cache (the sandbox forgets its images on reset)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("WECHAT_MATERIAL_CACHE_DIR", str(path))
    return path


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    """A copy of the sample posts with a copy of the media they refer to in their folder."""
    root = tmp_path / "blog" / "posts"
    shutil.copytree(POSTS, root)
    shutil.copytree(MEDIA, root / "media")
    return root


class _Files(BaseHTTPRequestHandler):
    # Set on the subclass each server makes, so that servers share nothing.
    files: ClassVar[dict[str, bytes]]
    redirects: ClassVar[dict[str, str]]
    hits: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebServer:
    """A loopback HTTP server serving ``files`` (path → bytes) and ``redirects``
    (path → Location); ``hits`` lists the requests that reached it."""

    def __init__(self) -> None:
        handler = type("Handler", (_Files,), {"files": {}, "redirects": {}, "hits": []})
        self.handler = handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def files(self) -> dict[str, bytes]:
        return self.handler.files  # type: ignore[no-any-return]

    @property
    def redirects(self) -> dict[str, str]:
        return self.handler.redirects  # type: ignore[no-any-return]

    @property
    def hits(self) -> list[str]:
        return self.handler.hits  # type: ignore[no-any-return]

    def url(self, path: str, host: str | None = None) -> str:
        """The URL of ``path``; ``host`` names the server another way (e.g. ``localhost``)."""
        address, port = self.server.server_address[:2]
        return f"http://{host or address!s}:{port}{path}"


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
