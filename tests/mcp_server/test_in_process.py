"""The tools in process: the SDK's client connected to the server object, a real sandbox.

The quick loop runs these; ``test_stdio.py`` and ``test_http.py`` run the same
server as a subprocess.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from typer.testing import CliRunner

from wechat_material import WeChatClient
from wechat_material.backup import backup
from wechat_material.cli import app
from wechat_material.cli.mcp import http_binding
from wechat_material.cli.output import Redactor
from wechat_material.errors import APIError, ValidationError
from wechat_material.mcp_server import Workspace, build_server
from wechat_material.mcp_server.results import failure
from wechat_material.mcp_server.serving import BearerGuard, HttpBinding
from wechat_material.mcp_server.tools import Tools
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Place, call, refused

pytestmark = pytest.mark.anyio

TOKEN = "0123456789abcdef0123"


@pytest.fixture
def wx(sandbox: Any) -> Iterator[WeChatClient]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        yield client


@asynccontextmanager
async def connected(
    wx: WeChatClient, place: Place, log: list[str], allow: frozenset[str] = frozenset()
) -> AsyncIterator[Client]:
    workspace = Workspace(client=wx, roots=(place.root,), allow=allow, log=log.append)
    async with Client(build_server(workspace)) as client:
        yield client


def _bytes(path: str) -> bytes:
    return Path(path).read_bytes()


async def test_a_video_needs_its_title_and_keeps_it(
    wx: WeChatClient, place: Place, sandbox: Any
) -> None:
    (place.root / "clip.mp4").write_bytes((MEDIA / "video.mp4").read_bytes())
    (place.root / "out").mkdir()
    sandbox.admin.reset_counters()
    async with connected(wx, place, []) as client:
        untitled = await refused(client, "upload_material", path="clip.mp4", type="video")
        assert "nothing was sent" in untitled["hint"]
        assert not sandbox.admin.counters().get("/cgi-bin/material/add_material")
        video = await call(
            client,
            "upload_material",
            path="clip.mp4",
            type="video",
            title="A clip",
            introduction="Two seconds",
        )
        described = await call(client, "describe_material", media_id=video["media_id"])
        saved = await call(client, "download_material", media_id=video["media_id"], to_dir="out")
    assert (described["type"], described["title"], described["introduction"]) == (
        "video",
        "A clip",
        "Two seconds",
    )
    data = (MEDIA / "video.mp4").read_bytes()
    assert saved["sha256"] == hashlib.sha256(data).hexdigest()
    assert _bytes(saved["path"]) == data


async def test_download_never_replaces_a_file(wx: WeChatClient, place: Place) -> None:
    image = wx.material.add_material("image", MEDIA / "image.jpg")
    async with connected(wx, place, []) as client:
        first = await call(client, "download_material", media_id=image.media_id)
        second = await call(client, "download_material", media_id=image.media_id)
        not_a_folder = await refused(
            client, "download_material", media_id=image.media_id, to_dir="image.jpg"
        )
    assert first["path"] != second["path"]
    assert _bytes(first["path"]) == _bytes(second["path"])
    assert "not a folder" in not_a_folder["message"]


async def test_find_looks_at_names_and_news_titles(wx: WeChatClient, place: Place) -> None:
    wx.material.add_material("image", MEDIA / "image.jpg", "Holiday-beach.jpg")
    wx.material.add_material("image", MEDIA / "image.png", "office.png")
    thumb = wx.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    wx.material.add_news([{"title": "Beach notes", "content": "<p>x</p>", "thumb_media_id": thumb}])
    async with connected(wx, place, []) as client:
        images = await call(client, "find_material", name_contains="BEACH")
        news = await call(client, "find_material", name_contains="beach", type="news")
        nothing = await call(client, "find_material", name_contains="mountain")
    assert [item["name"] for item in images["items"]] == ["Holiday-beach.jpg"]
    assert images["searched"] == 3  # the thumb is listed with the images
    assert [item["titles"] for item in news["items"]] == [["Beach notes"]]
    assert nothing["items"] == []


def test_backup_status_and_verify_read_a_backup(wx: WeChatClient, place: Place) -> None:
    wx.material.add_material("image", MEDIA / "image.jpg")
    backup(wx, place.root / "backup")  # runs an event loop of its own: before the client's

    async def scenario() -> list[dict[str, Any]]:
        async with connected(wx, place, []) as client:
            status = await call(client, "backup_status", dir="backup")
            verified = await call(client, "verify_backup", dir="backup")
            stored = next(p for p in (place.root / "backup" / "objects").rglob("*") if p.is_file())
            stored.write_bytes(b"damaged")
            damaged = await call(client, "verify_backup", dir="backup")
            missing = await refused(client, "backup_status", dir="nowhere")
        return [status, verified, damaged, missing]

    status, verified, damaged, missing = anyio.run(scenario)
    assert status["appid"] == DEMO_APPID
    assert {k["kind"]: k["items"] for k in status["kinds"]}["image"] == 1
    assert verified["ok"] is True
    assert damaged["ok"] is False
    assert damaged["damaged"]
    assert missing["message"]


async def test_an_unforeseen_failure_shows_no_traceback(
    wx: WeChatClient, place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Tools) -> Any:
        raise RuntimeError(f"broken with secret={DEMO_SECRET}")

    # Nothing real fails this way; a stand-in for a bug in a tool.
    monkeypatch.setattr(Tools, "material_counts", broken)
    log: list[str] = []
    async with connected(wx, place, log) as client:
        result = await client.call_tool("material_counts", {})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("unexpected RuntimeError")
    assert "Traceback" not in text
    assert DEMO_SECRET not in text
    assert "server's log" in text
    assert any("Traceback" in line for line in log)
    assert not any(DEMO_SECRET in line for line in log)


def test_errors_mask_secrets_and_tokens() -> None:
    redactor = Redactor()
    redactor.add(DEMO_SECRET)
    exc = APIError(40001, f"invalid credential, access_token=abcdef123456 secret {DEMO_SECRET}")
    result = failure(exc, redactor)
    shown = str(result.structured_content) + result.content[0].text  # type: ignore[union-attr]
    assert result.structured_content["error"]["errcode"] == 40001  # type: ignore[index]
    assert "abcdef123456" not in shown
    assert DEMO_SECRET not in shown
    plain = failure(ValidationError("a.jpg is outside /srv"), redactor)
    assert plain.structured_content == {  # type: ignore[comparison-overlap]
        "error": {"message": "a.jpg is outside /srv", "hint": "nothing was sent."}
    }


async def test_an_unknown_theme_preview_is_an_error(wx: WeChatClient, place: Place) -> None:
    async with connected(wx, place, []) as client:
        with pytest.raises(Exception, match="no theme"):
            await client.read_resource("wechat://themes/neon/preview.html")
        with pytest.raises(Exception, match="no theme"):
            await client.read_resource("wechat://themes/neon/preview.png")
        ink = await client.read_resource("wechat://themes/ink/preview.html")
        picture = await client.read_resource("wechat://themes/ink/preview.png")
    assert "font-family" in ink.contents[0].text  # type: ignore[union-attr]
    assert picture.contents[0].mime_type == "image/png"
    shipped = (files("wechat_material.mcp_server") / "previews" / "ink.png").read_bytes()
    assert base64.b64decode(picture.contents[0].blob) == shipped  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("address", "host", "expected"),
    [
        ("8765", None, ("127.0.0.1", 8765)),
        ("127.0.0.1:8765", None, ("127.0.0.1", 8765)),
        ("[::1]:8765", None, ("::1", 8765)),
        ("localhost:80", None, ("localhost", 80)),
    ],
)
def test_http_addresses(address: str, host: str | None, expected: tuple[str, int]) -> None:
    binding = http_binding(address, host, {})
    assert (binding.host, binding.port, binding.token) == (*expected, None)


@pytest.mark.parametrize(
    ("address", "host", "env", "message"),
    [
        ("0", None, {}, "is not a port"),
        ("127.0.0.1:70000", None, {}, "is not a port"),
        ("127.0.0.1:http", None, {}, "is not a port"),
        ("192.168.1.5:8765", None, {}, "not a loopback address"),
        ("8765", "192.168.1.5", {}, "without a bearer token"),
        ("8765", "192.168.1.5", {"WXM_MCP_TOKEN": "short"}, "too short"),
    ],
)
def test_http_addresses_refused(
    address: str, host: str | None, env: dict[str, str], message: str
) -> None:
    from wechat_material.cli.errors import UsageProblem

    with pytest.raises(UsageProblem, match=message):
        http_binding(address, host, env)


def test_off_loopback_with_a_token() -> None:
    binding = http_binding("8765", "192.168.1.5", {"WXM_MCP_TOKEN": TOKEN})
    assert binding == HttpBinding("192.168.1.5", 8765, TOKEN)
    assert TOKEN not in repr(binding)


async def test_the_bearer_guard_checks_every_request() -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"in"})

    transport = httpx.ASGITransport(app=BearerGuard(inner, TOKEN))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for headers in (
            {},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": f"Bearer {TOKEN[:-1]}"},
        ):
            refused = await http.post("/mcp", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json()["error"] == "unauthorized"
        for scheme in ("Bearer", "bearer"):
            allowed = await http.get("/mcp", headers={"Authorization": f"{scheme} {TOKEN}"})
            assert (allowed.status_code, allowed.text) == (200, "in")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--allow", "everything"], "'everything' is not something to allow"),
        (["--root", "/no/such/folder"], "no such folder"),
        (["--host", "127.0.0.1"], "--host goes with --http"),
    ],
)
def test_command_line_mistakes(args: list[str], message: str, place: Place) -> None:
    result = CliRunner().invoke(app, ["--sandbox", "mcp", "--root", str(place.root), *args])
    assert result.exit_code == 2
    assert message in result.output


async def test_render_reports_size_and_problems_without_failing(
    wx: WeChatClient, place: Place
) -> None:
    outside = place.outside / "far.png"
    (place.root / "post.md").write_text(
        f"---\ntitle: t\n---\n\n![in](image.png)\n\n![out]({outside})\n", encoding="utf-8"
    )
    (place.root / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    long_text = "\n\n".join(["一段很长的文字。" * 40] * 80)
    async with connected(wx, place, []) as client:
        post = await call(client, "render_markdown", path="post.md")
        long = await call(client, "render_markdown", markdown=long_text, theme="ocean")
        latin1 = await refused(client, "render_markdown", path="latin1.md")
        both = await refused(client, "render_markdown", path="post.md", markdown="# x")
    assert post["images"] == ["image.png", str(outside)]
    assert [w for w in post["warnings"] if "is outside" in w] == [
        f"{outside} is outside {place.root.resolve()}: publishing would refuse it"
    ]
    # Measured with each image's path as long as a WeChat URL: more than the HTML shown.
    assert post["size"]["characters"] > len(post["html"])
    assert post["size"]["within_limit"] is True
    assert long["size"]["within_limit"] is False
    assert long["size"]["characters"] > long["size"]["max_characters"] == 19_999
    assert "is outside" not in str(long["warnings"])
    assert "not UTF-8" in latin1["message"]
    assert "either path or markdown" in both["message"]


def test_the_profile_is_taken_from_the_command(place: Place) -> None:
    result = CliRunner().invoke(app, ["mcp", "-p", "nosuch", "--root", str(place.root)])
    assert result.exit_code == 2
    assert "nosuch" in result.output
    both = CliRunner().invoke(app, ["-p", "one", "mcp", "-p", "two", "--root", str(place.root)])
    assert both.exit_code == 2
    assert "two profiles given: one and two" in both.output


def test_a_missing_extra_names_the_pip_command() -> None:
    from wechat_material.extras import MissingExtraError

    missing = MissingExtraError("publishing Markdown needs the 'publish' extra: pip install x")
    result = failure(missing, Redactor())
    assert result.structured_content == {  # type: ignore[comparison-overlap]
        "error": {
            "message": "publishing Markdown needs the 'publish' extra: pip install x",
            "hint": "install it where wxm runs, then restart the server.",
        }
    }
