"""``wxm mcp`` over stdio, end to end: the SDK's client, a ``wxm`` subprocess, a sandbox."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from wechat_material import WeChatClient
from wechat_material.errcodes import lookup
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Place, call, refused, stdio_server

pytestmark = [pytest.mark.slow, pytest.mark.anyio, pytest.mark.timeout(120)]

TOOLS = {
    "material_counts",
    "list_material",
    "find_material",
    "upload_material",
    "download_material",
    "describe_material",
    "render_markdown",
    "publish_markdown",
    "list_drafts",
    "publication_status",
    "backup_status",
    "verify_backup",
    "find_unused_images",
    "delete_material",
    "delete_draft",
    "submit_publication",
}
DESTRUCTIVE = {"delete_material", "delete_draft", "submit_publication"}

POST = """---
title: A post from an assistant
---

![the cover](image.jpg)

Some **bold** text, and a picture:

![a picture](image.png)
"""


def sdk(sandbox: Any) -> WeChatClient:
    return WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url)


async def test_the_tools_and_their_schemas(place: Place, sandbox: Any) -> None:
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description, tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.annotations is not None
        assert tool.annotations.destructive_hint is (tool.name in DESTRUCTIVE), tool.name
    listing = tools["list_material"].input_schema["properties"]
    assert listing["type"]["enum"] == ["image", "voice", "video", "news"]
    assert (listing["count"]["minimum"], listing["count"]["maximum"]) == (1, 20)
    upload = tools["upload_material"].input_schema
    assert upload["required"] == ["path"]
    assert upload["properties"]["type"]["enum"] == ["image", "voice", "video", "thumb"]
    render = tools["render_markdown"].input_schema["properties"]
    assert render["theme"]["enum"] == ["default", "ink", "ocean"]
    assert tools["material_counts"].output_schema["required"] == ["image", "voice", "video", "news"]


async def test_upload_list_describe_and_download_the_same_bytes(place: Place, sandbox: Any) -> None:
    (place.root / "out").mkdir()
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        uploaded = await call(client, "upload_material", path="image.jpg", type="image")
        media_id = uploaded["media_id"]
        listed = await call(client, "list_material", type="image", offset=0, count=20)
        found = await call(client, "find_material", name_contains="IMAGE")
        described = await call(client, "describe_material", media_id=media_id)
        saved = await call(client, "download_material", media_id=media_id, to_dir="out")
        counts = await call(client, "material_counts")
    assert [item["media_id"] for item in listed["items"]] == [media_id]
    assert listed["total_count"] == 1
    assert [item["media_id"] for item in found["items"]] == [media_id]
    original = (MEDIA / "image.jpg").read_bytes()
    assert described["type"] == "image"
    assert described["size"] == len(original)
    path = Path(saved["path"])
    assert path.parent == (place.root / "out").resolve()
    assert path.read_bytes() == original  # noqa: ASYNC240 - a test's check, after the calls
    assert saved["sha256"] == hashlib.sha256(original).hexdigest()
    assert counts["image"] == 1


async def test_render_and_publish_a_post_as_a_draft(place: Place, sandbox: Any) -> None:
    (place.root / "post.md").write_text(POST, encoding="utf-8")
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        rendered = await call(client, "render_markdown", path="post.md", theme="ink")
        inline = await call(
            client, "render_markdown", markdown="# Hi\n\n<script>alert(1)</script>\n"
        )
        published = await call(client, "publish_markdown", path="post.md", theme="ink")
        again = await call(client, "publish_markdown", path="post.md", theme="ink")
        drafts = await call(client, "list_drafts")
    assert rendered["size"]["within_limit"] is True
    assert rendered["size"]["characters"] > len(rendered["html"])  # with WeChat-long URLs
    assert rendered["images"] == ["image.jpg", "image.png"]
    assert "<strong" in rendered["html"]
    assert any("script" in dropped for dropped in inline["dropped"])
    draft_id = published["draft_id"]
    assert published["created"] is True
    assert published["covers_uploaded"] == 1
    assert published["images_uploaded"] == 2
    assert isinstance(published["changes"], list)
    assert published["publish_id"] is None
    # Publishing again updates the same draft and uploads nothing new.
    assert (again["draft_id"], again["created"], again["images_uploaded"]) == (draft_id, False, 0)
    assert [d["media_id"] for d in drafts["items"]] == [draft_id]
    assert drafts["items"][0]["titles"] == ["A post from an assistant"]
    assert (place.root / "post.md").read_text(encoding="utf-8") == POST  # left untouched
    with sdk(sandbox) as check:
        stored = check.draft.get(draft_id).articles[0]
    assert stored.title == "A post from an assistant"


async def _destructive_calls(client: Client, draft_id: str, media_id: str) -> list[Any]:
    return [
        await client.call_tool("delete_material", {"media_id": media_id}),
        await client.call_tool("delete_draft", {"media_id": draft_id}),
        await client.call_tool("submit_publication", {"draft_id": draft_id}),
        await client.call_tool("publish_markdown", {"path": "post.md", "draft_only": False}),
    ]


def _seed(sandbox: Any, place: Place) -> tuple[str, str]:
    """An image and a draft in the library."""
    with sdk(sandbox) as wx:
        image = wx.material.add_material("image", MEDIA / "image.jpg").media_id
        draft = wx.draft.add([{"title": "kept", "content": "<p>x</p>", "thumb_media_id": image}])
    (place.root / "post.md").write_text(POST, encoding="utf-8")
    return image, draft


async def test_every_destructive_tool_is_refused_without_allow(
    place: Place, sandbox: Any, tmp_path: Path
) -> None:
    image, draft = _seed(sandbox, place)
    with (tmp_path / "stderr.txt").open("w+") as errlog:
        async with stdio_server(place, base_url=sandbox.base_url, errlog=errlog) as client:
            outcomes = await _destructive_calls(client, draft, image)
        errlog.seek(0)
        log = errlog.read()
    for outcome in outcomes:
        assert outcome.is_error
        error = outcome.structured_content["error"]
        assert "turned off" in error["message"]
        assert "--allow" in error["hint"]
    with sdk(sandbox) as wx:
        assert wx.material.get_material_count().image_count == 1
        assert wx.draft.count() == 1  # publish_markdown made no draft either
        assert list(wx.publish.stream()) == []
    assert f"refused delete_material(media_id={image})" in log
    assert f"refused delete_draft(media_id={draft})" in log
    assert f"refused submit_publication(draft_id={draft})" in log
    assert "refused publish_markdown(path=post.md" in log


async def test_every_destructive_tool_works_with_allow(
    place: Place, sandbox: Any, tmp_path: Path
) -> None:
    image, draft = _seed(sandbox, place)
    with sdk(sandbox) as wx:
        other = wx.draft.add([{"title": "gone", "content": "<p>y</p>", "thumb_media_id": image}])
    with (tmp_path / "stderr.txt").open("w+") as errlog:
        async with stdio_server(
            place,
            "--allow",
            "delete",
            "--allow",
            "publish",
            base_url=sandbox.base_url,
            errlog=errlog,
        ) as client:
            submitted = await call(client, "submit_publication", draft_id=draft)
            status = await call(client, "publication_status", publish_id=submitted["publish_id"])
            published = await call(client, "publish_markdown", path="post.md", draft_only=False)
            await call(client, "delete_draft", media_id=other)
            await call(client, "delete_material", media_id=image)
        errlog.seek(0)
        log = errlog.read()
    assert status["status"] in {"publishing", "success"}
    assert published["publish_id"]
    with sdk(sandbox) as wx:
        ids = {m.media_id for m in wx.material.stream_get_material("image")}
        assert image not in ids
        drafts = {d.media_id for d in wx.draft.stream(no_content=True)}
        assert other not in drafts
    assert f"delete_material(media_id={image}) (allowed by --allow delete)" in log
    assert f"delete_draft(media_id={other}) (allowed by --allow delete)" in log
    assert f"submit_publication(draft_id={draft}) (allowed by --allow publish)" in log
    assert DEMO_SECRET not in log


def _fifo(path: Path) -> Path:
    """A named pipe: opening it for reading would block until a writer comes, failing the test."""
    os.mkfifo(path)
    return path


async def test_paths_outside_the_roots_are_refused_with_nothing_read(
    place: Place, sandbox: Any
) -> None:
    secret = _fifo(place.outside / "secret.jpg")
    (place.root / "link.jpg").symlink_to(secret)
    (place.root / "escape").symlink_to(place.outside, target_is_directory=True)
    post = place.root / "sneaky.md"
    post.write_text(f"---\ntitle: t\n---\n\n![x]({secret})\n", encoding="utf-8")
    sandbox.admin.reset_counters()
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        for path in (str(secret), "../outside/secret.jpg", "link.jpg", "escape/secret.jpg"):
            error = await refused(client, "upload_material", path=path, type="image")
            assert "is outside" in error["message"], error
            assert "nothing was sent" in error["hint"]
        error = await refused(client, "download_material", media_id="any", to_dir="escape")
        assert "is outside" in error["message"]
        error = await refused(client, "render_markdown", path="../outside/secret.jpg")
        assert "is outside" in error["message"]
        error = await refused(client, "publish_markdown", path="sneaky.md")
        assert "is outside" in error["message"], error
        error = await refused(client, "verify_backup", dir="/")
        assert "is outside" in error["message"]
    assert list(place.outside.iterdir()) == [secret]
    counters = sandbox.admin.counters()
    assert not any(count for path, count in counters.items() if "token" not in path), counters


async def test_bad_arguments_get_a_clear_message_and_nothing_is_sent(
    place: Place, sandbox: Any
) -> None:
    sandbox.admin.reset_counters()
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        for count in (0, 21):
            error = await refused(client, "list_material", type="image", count=count)
            assert "count" in error["message"]
            assert "nothing was sent" in error["hint"]
        error = await refused(client, "list_material", type="pictures")
        assert "type" in error["message"]
        error = await refused(client, "upload_material", path="image.jpg", type="news")
        assert "type" in error["message"]
        error = await refused(client, "render_markdown", theme="ink")
        assert "either path or markdown" in error["message"]
    assert not any(sandbox.admin.counters().values())


async def test_a_wechat_errcode_arrives_as_a_tool_error_with_its_hint(
    place: Place, sandbox: Any
) -> None:
    sandbox.admin.set_faults(endpoint="material/get_materialcount", error_rate=1.0, errcode=45009)
    try:
        async with stdio_server(place, base_url=sandbox.base_url) as client:
            result = await client.call_tool("material_counts", {})
    finally:
        sandbox.admin.clear_faults()
    assert result.is_error
    error = result.structured_content["error"]  # type: ignore[index]
    assert error["errcode"] == 45009
    assert error["errmsg"].startswith("reach max api daily quota limit")
    assert error["hint"] == lookup(45009).hint
    text = result.content[0].text  # type: ignore[union-attr]
    assert "45009" in text
    assert lookup(45009).hint in text
    assert "Traceback" not in text


async def test_unused_images_follow_the_ledger(place: Place, sandbox: Any) -> None:
    with sdk(sandbox) as wx:
        cover = wx.material.add_material("image", MEDIA / "image.jpg")
        inline = wx.material.add_material("image", MEDIA / "image.png")
        spare = wx.material.add_material("image", MEDIA / "image.gif")
        wx.draft.add(
            [
                {
                    "title": "uses two",
                    "content": f'<p><img src="{inline.url}"></p>',
                    "thumb_media_id": cover.media_id,
                }
            ]
        )
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        found = await call(client, "find_unused_images")
        prompt = await client.get_prompt("find_unused_images")
    assert [image["media_id"] for image in found["unused"]] == [spare.media_id]
    assert found["images"] == 3
    assert "find_unused_images" in prompt.messages[0].content.text  # type: ignore[union-attr]


async def test_resources_and_prompts(place: Place, sandbox: Any) -> None:
    async with stdio_server(place, base_url=sandbox.base_url) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        counts = await client.read_resource("wechat://account/counts")
        themes = await client.read_resource("wechat://themes")
        preview = await client.read_resource("wechat://themes/ocean/preview.html")
        errcodes = await client.read_resource("wechat://errcodes")
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        publish = await client.get_prompt(
            "publish_markdown_draft", {"path": "post.md", "theme": "ink"}
        )
    assert {"wechat://account/counts", "wechat://themes", "wechat://errcodes"} <= uris
    import json

    data = json.loads(counts.contents[0].text)  # type: ignore[union-attr]
    assert data["counts"]["image_count"] == 0
    assert data["quotas"]["/cgi-bin/material/add_material"]["daily_limit"] > 0
    listed = json.loads(themes.contents[0].text)  # type: ignore[union-attr]
    assert [t["name"] for t in listed] == ["default", "ink", "ocean"]
    assert listed[1]["preview_image"] == "wechat://themes/ink/preview.png"
    assert preview.contents[0].mime_type == "text/html"
    assert "<h1" in preview.contents[0].text  # type: ignore[union-attr]
    table = {e["errcode"]: e for e in json.loads(errcodes.contents[0].text)}  # type: ignore[union-attr]
    assert table[45009]["hint"] == lookup(45009).hint
    assert prompts == {"publish_markdown_draft", "find_unused_images"}
    text = publish.messages[0].content.text  # type: ignore[union-attr]
    assert "publish_markdown" in text
    assert '"post.md"' in text
    assert "draft_only=true" in text


async def test_the_embedded_sandbox(place: Place) -> None:
    params_env = place.env()  # the embedded sandbox keeps its data in this test's home
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    from .conftest import WXM

    server = StdioServerParameters(
        command=str(WXM),
        args=["mcp", "--sandbox", "--root", str(place.root)],
        env=params_env,
        cwd=str(place.root),
    )
    async with Client(stdio_client(server)) as client:
        uploaded = await call(client, "upload_material", path="image.png")
        listed = await call(client, "list_material")
    assert [item["media_id"] for item in listed["items"]] == [uploaded["media_id"]]
