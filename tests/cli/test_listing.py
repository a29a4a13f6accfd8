"""``wxm ls``: every page, every type, news titles, limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json

IMAGES = 23  # more than one page of 20


@pytest.fixture
def client(sandbox: Any) -> Iterator[WeChatClient]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as sdk:
        yield sdk


@pytest.fixture
def stocked(sandbox: Any, client: WeChatClient) -> dict[str, Any]:
    """An account with 23 images, a voice and a two-article news material."""
    images = [
        client.material.add_material("image", MEDIA / "image.png", f"photo-{i:02}.png").media_id
        for i in range(IMAGES)
    ]
    voice = client.material.add_material("voice", MEDIA / "voice-2s.mp3").media_id
    thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    article = {"thumb_media_id": thumb, "content": "<p>body</p>"}
    news = client.material.add_news(
        [{"title": "First story", **article}, {"title": "第二篇", **article}]
    ).media_id
    sandbox.admin.reset_counters()
    return {"images": images, "voice": voice, "news": news, "thumb": thumb}


def test_lists_every_page_of_every_type(on_sandbox: Run, sandbox: Any, stocked: Any) -> None:
    data = run_json(on_sandbox("ls", "--json"))

    by_type: dict[str, list[str]] = {}
    for item in data["items"]:
        by_type.setdefault(item["type"], []).append(item["media_id"])
    assert sorted(by_type["image"]) == sorted([*stocked["images"], stocked["thumb"]])
    assert by_type["voice"] == [stocked["voice"]]
    assert by_type["news"] == [stocked["news"]]
    assert data["count"] == IMAGES + 3
    assert sandbox.admin.counters(DEMO_APPID)["/cgi-bin/material/batchget_material"] >= 5


def test_news_rows_show_the_article_titles(on_sandbox: Run, stocked: Any) -> None:
    data = run_json(on_sandbox("ls", "--type", "news", "--json"))
    table = on_sandbox("ls", "--type", "news")

    assert data["items"][0]["titles"] == ["First story", "第二篇"]
    assert table.exit_code == 0
    assert "First story" in table.stdout
    assert "第二篇" in table.stdout
    assert stocked["news"] in table.stdout


def test_limit_and_type(on_sandbox: Run, sandbox: Any, stocked: Any) -> None:
    limited = run_json(on_sandbox("ls", "--type", "image", "--limit", "5", "--json"))
    table = on_sandbox("ls", "-t", "image", "-n", "21")

    assert limited["count"] == 5
    assert {item["type"] for item in limited["items"]} == {"image"}
    assert table.exit_code == 0
    listed = [*stocked["images"], stocked["thumb"]]  # WeChat lists thumbs with the images
    assert sum(media_id in table.stdout for media_id in listed) == 21
    assert "photo-" in table.stdout  # the name column


def test_bad_type_is_a_usage_error(on_sandbox: Run) -> None:
    result = on_sandbox("ls", "--type", "thumb")

    assert result.exit_code == 2


def test_empty_account(on_sandbox: Run) -> None:
    result = on_sandbox("ls", "--json")

    assert run_json(result) == {"items": [], "count": 0}
