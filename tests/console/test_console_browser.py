"""The console in a real browser: live gallery, articles at phone width, faults, the journal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material.client import WeChatClient
from wechat_material.errors import APIError
from wechat_material.sandbox import RunningSandbox

MEDIA = Path(__file__).parents[1] / "media"


def _draft(sandbox: RunningSandbox, client: WeChatClient) -> tuple[str, str]:
    """A draft whose content has a script, an outside image and one of the account's own."""
    cover = client.material.add_material("image", MEDIA / "image.jpg").media_id
    inline = client.material.upload_image(MEDIA / "image.png").url
    content = (
        "<p>春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。</p>"
        f'<p><img src="{inline}"></p><script>alert("hi")</script>'
        '<p><img src="https://example.com/elsewhere.png"></p>'
        "<p>The sandbox keeps what WeChat keeps.</p>"
    )
    article = {"title": "春晓 · Spring dawn", "author": "孟浩然", "thumb_media_id": cover,
               "content": content}  # fmt: skip
    reply = httpx.post(
        f"{sandbox.base_url}/cgi-bin/draft/add",
        params={"access_token": client.get_access_token()},
        json={"articles": [article]},
    ).json()
    return reply["media_id"], cover


def test_an_upload_appears_in_the_open_gallery(page: Any, client: WeChatClient) -> None:
    page.goto("/ui/gallery")
    page.get_by_test_id("gallery-empty").wait_for()

    uploaded = client.material.add_material("image", MEDIA / "image.jpg")
    temporary = client.material.upload_media("voice", MEDIA / "voice-2s.mp3")

    item = page.locator(f'[data-testid=media-item][data-media-id="{uploaded.media_id}"]')
    item.wait_for()
    picture = item.locator("img")
    assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    voice = page.locator(f'[data-testid=media-item][data-media-id="{temporary.media_id}"]')
    voice.wait_for()
    assert "expires in 3d" in voice.get_by_test_id("expires-in").inner_text() or re.search(
        r"expires in 2d 23h", voice.get_by_test_id("expires-in").inner_text()
    )
    assert voice.locator("audio").count() == 1


def test_the_gallery_searches_by_name_and_filters_by_type(page: Any, client: WeChatClient) -> None:
    client.material.add_material("image", MEDIA / "image.jpg", filename="cat.jpg")
    client.material.add_material("image", MEDIA / "image.png", filename="dog.png")
    client.material.add_material("voice", MEDIA / "voice-2s.mp3", filename="purr.mp3")

    page.goto("/ui/gallery")
    page.get_by_test_id("gallery-search").fill("cat")
    page.get_by_test_id("gallery-filters").locator("button").click()
    page.wait_for_url(re.compile(r"q=cat"))
    names = page.get_by_test_id("media-name").all_inner_texts()
    assert names == ["cat.jpg"]

    page.goto("/ui/gallery?type=voice")
    assert page.get_by_test_id("media-name").all_inner_texts() == ["purr.mp3"]


def test_the_gallery_shows_every_type(page: Any, client: WeChatClient, screenshots: Path) -> None:
    client.material.add_material("image", MEDIA / "image.jpg", filename="封面 cover.jpg")
    client.material.add_material("image", MEDIA / "image.png", filename="chart.png")
    client.material.add_material("image", MEDIA / "image.gif", filename="loop.gif")
    client.material.add_material("thumb", MEDIA / "thumb.jpg", filename="thumb.jpg")
    client.material.add_material("voice", MEDIA / "voice-2s.mp3", filename="问候 hello.mp3")
    client.material.add_video_material(
        MEDIA / "video.mp4", title="开箱 Unboxing", introduction="a short clip"
    )
    client.material.upload_media("image", MEDIA / "image.png")

    page.set_viewport_size({"width": 1100, "height": 760})
    page.goto("/ui/gallery")
    for type_name in ("image", "thumb", "voice", "video"):
        page.get_by_test_id(f"gallery-{type_name}").wait_for()
    assert page.locator("[data-testid=media-item] video").count() == 1
    for picture in page.locator("[data-testid=media-item] img").all():
        assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    page.screenshot(path=str(screenshots / "console-gallery.png"), full_page=True)


def test_a_media_id_is_copied_in_one_click(page: Any, client: WeChatClient) -> None:
    uploaded = client.material.add_material("image", MEDIA / "image.jpg")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/ui/gallery")
    item = page.locator(f'[data-testid=media-item][data-media-id="{uploaded.media_id}"]')
    item.get_by_test_id("copy-media-id").click()
    page.get_by_test_id("status").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == uploaded.media_id


def test_a_draft_renders_at_phone_width(
    page: Any, sandbox: RunningSandbox, client: WeChatClient, screenshots: Path
) -> None:
    media_id, cover = _draft(sandbox, client)

    page.goto("/ui/latest")
    assert f"/ui/articles/draft/{media_id}/0" in page.url
    frame_box = page.get_by_test_id("article-frame").bounding_box()
    assert frame_box["width"] == 375
    article = page.frame_locator("[data-testid=article-frame]")
    article.locator("#title").filter(has_text="春晓").wait_for()
    content = article.locator("#content")
    assert "春眠不觉晓" in content.inner_text()
    assert content.locator("img").count() == 1  # the outside image was dropped
    # The account's own image loads (decode() waits for it, and fails if it cannot).
    assert content.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    # Nothing wider than the phone: no sideways scrolling.
    assert article.locator("body").evaluate("b => b.scrollWidth") <= 375

    dropped = page.get_by_test_id("dropped").all_inner_texts()
    assert any("<script>" in text and "alert" in text for text in dropped)
    assert any("elsewhere.png" in text for text in dropped)
    page.locator(".phone").screenshot(path=str(screenshots / "draft-375.png"))
    assert (screenshots / "draft-375.png").stat().st_size > 1000
    page.set_viewport_size({"width": 1100, "height": 760})
    page.screenshot(path=str(screenshots / "console-article.png"))

    page.goto("/ui/articles")
    ledger = page.get_by_test_id("ledger-row").all_inner_texts()
    assert any(cover in row and "cover" in row for row in ledger)


def test_a_fault_injected_from_the_page_fails_the_next_call(
    page: Any, client: WeChatClient
) -> None:
    client.material.get_material_count()  # a token, so the fault meets the upload itself
    page.goto("/ui/controls")
    page.get_by_test_id("fault-endpoint").select_option("/cgi-bin/material/add_material")
    page.get_by_test_id("fault-code").select_option(label="45009 daily quota reached")
    page.get_by_test_id("fault-inject").click()
    page.get_by_test_id("fault-rule").filter(has_text="errcode 45009").wait_for()

    with pytest.raises(APIError) as refused:
        client.material.add_material("image", MEDIA / "image.jpg")
    assert refused.value.errcode == 45009
    assert client.material.add_material("image", MEDIA / "image.jpg").media_id  # once only


def test_the_clock_moves_and_tokens_are_revoked_from_the_page(
    page: Any, sandbox: RunningSandbox, client: WeChatClient
) -> None:
    client.material.get_material_count()
    before = sandbox.backend.clock.now()
    page.goto("/ui/controls")
    page.get_by_test_id("clock-seconds").fill("90")
    page.get_by_test_id("clock-advance").click()
    page.get_by_test_id("status").filter(has_text="Done").wait_for()
    assert sandbox.backend.clock.now() == before + 90

    page.goto("/")
    page.get_by_test_id("token").first.wait_for()
    page.get_by_test_id("revoke-tokens").click()
    page.locator("[data-testid=account] >> text=no live token").wait_for()


def test_the_journal_shows_calls_live_and_filters_them(
    page: Any, sandbox: RunningSandbox, client: WeChatClient
) -> None:
    client.material.get_material_count()
    page.goto("/ui/journal")
    rows = page.get_by_test_id("journal-row")
    rows.first.wait_for()

    with pytest.raises(APIError):
        client.material.del_material("no-such-media-id")
    failed = page.locator("[data-testid=journal-row][data-errcode='40007']")
    failed.wait_for()  # arrived without a reload

    page.get_by_test_id("filter-errcode").fill("40007")
    assert rows.locator("visible=true").count() == 1
    assert "/cgi-bin/material/del_material" in rows.locator("visible=true").inner_text()
    page.get_by_test_id("filter-errcode").fill("")
    page.get_by_test_id("filter-path").fill("token")
    visible = rows.locator("visible=true").all_inner_texts()
    assert visible
    assert all("/cgi-bin/token" in text for text in visible)
    assert "path=token" in page.url

    # The detail view masks the token's secret.
    rows.locator("visible=true").first.get_by_test_id("journal-path").click()
    detail = page.get_by_test_id("journal-entry").inner_text()
    secret = sandbox.backend.config.accounts[0][1]
    assert "secret=" in detail
    assert secret not in detail
