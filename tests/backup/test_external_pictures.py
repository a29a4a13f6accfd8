"""Pictures come from WeChat only: any other address in an article is kept as a link, unfetched.

A draft points at two loopback services: one that would answer, one that
would redirect to it. Neither sees a request; the backup is complete and lists
both as pictures kept as links (its summary, its progress, ``index.html``).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from wechat_material import WeChatClient
from wechat_material.backup import Progress, abackup, backup
from wechat_material.backup.manifest import ASSET, Manifest
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import Sandbox, png


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]]
    redirect_to: ClassVar[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        body = png(7)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Service:
    """A loopback HTTP service that records every request it gets."""

    def __init__(self, redirect_to: str = "") -> None:
        self.hits: list[str] = []
        handler = type("Handler", (_Recorder,), {"hits": self.hits, "redirect_to": redirect_to})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def services() -> Iterator[tuple[Service, Service]]:
    victim = Service()
    redirector = Service(redirect_to=victim.url("/private.png"))
    try:
        yield victim, redirector
    finally:
        victim.close()
        redirector.close()


def article_html(figure: str, victim: Service, redirector: Service) -> tuple[str, list[str]]:
    """A WeChat-hosted picture whose data-src, and a second one's, point at the services."""
    outside = [victim.url("/private.png?a=1&b=2"), redirector.url("/go")]
    content = (
        f'<p>hi</p><img src="{figure}" data-src="{html.escape(outside[0])}">'
        f'<p>and</p><img src="{figure}" data-src="{html.escape(outside[1])}">'
    )
    return content, outside


@pytest.mark.anyio
async def test_pictures_off_wechat_are_kept_as_links_and_never_fetched(
    sandbox: Sandbox, services: tuple[Service, Service], tmp_path: Path
) -> None:
    victim, redirector = services
    client = sandbox.client()
    figure = (await client.material.upload_image(png(1), "f.png")).url
    cover = (await client.material.add_material("image", png(2), "c.png")).media_id
    content, outside = article_html(figure, victim, redirector)
    await client.draft.add([{"title": "Links", "thumb_media_id": cover, "content": content}])
    seen: list[Progress] = []

    summary = await abackup(client, tmp_path, concurrency=4, on_progress=seen.append)

    assert victim.hits == []
    assert redirector.hits == []
    assert summary.status == "complete", summary.failures
    assert [p.url for p in summary.external] == outside
    assert all("not a host pictures are fetched from" in p.reason for p in summary.external)
    assert seen[-1].external == 2
    with Manifest(tmp_path, readonly=True) as manifest:
        kept = {e.id for e in manifest.entries(ASSET)}
    assert figure in kept
    assert kept.isdisjoint(outside)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Pictures kept as links, not in the backup (2)" in index
    for url in outside:
        assert html.escape(url) in index

    again = await abackup(client, tmp_path, concurrency=4)  # an incremental run: the same
    assert again.status == "complete"
    assert [p.url for p in again.external] == outside
    assert victim.hits == redirector.hits == []


def test_another_port_on_the_api_host_is_not_fetched(
    services: tuple[Service, Service], tmp_path: Path
) -> None:
    # The sandbox on 127.0.0.1 is trusted for its own pictures; 127.0.0.1 on
    # another port is another service.
    victim, redirector = services
    with (
        run_in_thread(SandboxConfig()) as running,
        WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=running.base_url) as client,
    ):
        figure = client.material.upload_image(png(1), "f.png").url
        cover = client.material.add_material("image", png(2), "c.png").media_id
        content, outside = article_html(figure, victim, redirector)
        client.draft.add([{"title": "Links", "thumb_media_id": cover, "content": content}])

        summary = backup(client, tmp_path, concurrency=4)

    assert summary.status == "complete", summary.failures
    assert victim.hits == []
    assert redirector.hits == []
    assert [p.url for p in summary.external] == outside
    assert all("is not trusted (only" in p.reason for p in summary.external)


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_wechat_picture_too_slow_to_come_is_a_failure_not_a_link(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # A picture WeChat serves but too slowly may come next time: the run is
    # incomplete, and the picture is not written off as a foreign one.
    client = sandbox.client()
    figure = (await client.material.upload_image(png(1), "f.png")).url
    cover = (await client.material.add_material("image", png(2), "c.png")).media_id
    await client.draft.add(
        [{"title": "Slow", "thumb_media_id": cover, "content": f'<img src="{figure}">'}]
    )
    await sandbox.admin.set_faults("/mmbiz/*", latency_ms=10_500)

    summary = await abackup(client, tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    assert summary.external == []
    assert figure in {f.id for f in summary.failures}
    assert all("took longer than" in f.error for f in summary.failures)
