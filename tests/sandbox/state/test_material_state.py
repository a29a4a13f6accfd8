"""The permanent material state on its own: what each refusal says in the sandbox's log."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.articles import ArticleRules

from ..wechat_wire import WeChat, article

pytestmark = pytest.mark.anyio
ANY_ID = ArticleRules(thumb_ok=lambda _: True, image_ok=lambda _: True, image_url_ok=lambda _: True)


def refusal(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(SandboxError) as caught:
        call()
    return caught.value.code, caught.value.detail


async def test_each_refusal_says_why_in_the_log_detail(wx: WeChat, backend: SandboxBackend) -> None:
    materials, news = backend.materials, backend.news
    image = await wx.add_image()
    two = news.add(DEMO_APPID, [article(image), article(image)], ANY_ID)["media_id"]
    missing = (40007, "no permanent material with this media_id")

    assert refusal(lambda: materials.get(DEMO_APPID, "nope")) == missing
    assert refusal(lambda: materials.delete(DEMO_APPID, "nope")) == missing
    assert refusal(lambda: materials.news_articles(DEMO_APPID, image)) == (
        40007,
        f"{image!r} is not news",
    )
    assert refusal(lambda: materials.batchget(DEMO_APPID, "thumb", 0, 5)) == (
        40004,
        "type must be one of image, voice, video, news",
    )
    assert refusal(lambda: news.update(DEMO_APPID, two, 2, article(image), ANY_ID)) == (
        40097,
        "index 2 is outside 0..1",
    )
    materials.protect(DEMO_APPID, image)
    assert refusal(lambda: materials.delete(DEMO_APPID, image)) == (
        48005,
        "the material is marked as used by a menu",
    )
    news.retired = True
    assert refusal(news.check_open) == (
        45106,
        "add_news/update_news are retired; use the draft box",
    )


async def test_an_account_holds_nothing_until_it_adds(backend: SandboxBackend) -> None:
    assert backend.materials.count(DEMO_APPID) == {
        "voice_count": 0,
        "video_count": 0,
        "image_count": 0,
        "news_count": 0,
    }


def test_the_listable_material_types_are_the_shared_list_kinds(backend: SandboxBackend) -> None:
    """batchget_material takes the kinds of limits.LIST_KINDS that are material types;
    the draft box and publications have listings of their own."""
    from wechat_material.limits import LIST_KINDS, MaterialType

    for kind in LIST_KINDS:
        if kind in set(MaterialType):
            page = backend.materials.batchget(DEMO_APPID, kind, 0, 5)
            assert page == {"total_count": 0, "item_count": 0, "item": []}
        else:
            assert refusal(partial(backend.materials.batchget, DEMO_APPID, kind, 0, 5))[0] == 40004
    assert backend.drafts.batchget(DEMO_APPID, 0, 5, no_content=True)["item_count"] == 0
    assert backend.publishing.batchget(DEMO_APPID, 0, 5, no_content=True)["item_count"] == 0
