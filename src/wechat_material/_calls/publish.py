"""Calls of publishing (发布能力): submit a draft, follow it, list and delete posts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wechat_material import _endpoints as ep
from wechat_material._call import Call, ignore_reply, model_parser
from wechat_material._calls import args
from wechat_material.models import Page, PublishedItem, PublishedNews, PublishResult, Submission


def submit(media_id: str) -> Call[Submission]:
    args.identifier(media_id)
    return Call(
        ep.PUBLISH_SUBMIT, model_parser(Submission, ep.PUBLISH_SUBMIT), json={"media_id": media_id}
    )


def get(publish_id: str) -> Call[PublishResult]:
    args.identifier(publish_id, "publish_id")
    return Call(
        ep.PUBLISH_GET, model_parser(PublishResult, ep.PUBLISH_GET), json={"publish_id": publish_id}
    )


def delete(article_id: str, index: int = 0) -> Call[None]:
    args.identifier(article_id, "article_id")
    args.index(index, name="index (1-based; 0 deletes every article)")
    return Call(ep.PUBLISH_DELETE, ignore_reply, json={"article_id": article_id, "index": index})


def get_article(article_id: str) -> Call[PublishedNews]:
    args.identifier(article_id, "article_id")
    return Call(
        ep.PUBLISH_GET_ARTICLE,
        model_parser(PublishedNews, ep.PUBLISH_GET_ARTICLE),
        json={"article_id": article_id},
    )


def batch_get(
    offset: int = 0, count: int = 20, no_content: bool = False
) -> Call[Page[PublishedItem]]:
    body: dict[str, Any] = {**args.page(offset, count), "no_content": int(bool(no_content))}
    return Call(
        ep.PUBLISH_BATCHGET, model_parser(Page[PublishedItem], ep.PUBLISH_BATCHGET), json=body
    )


def page_call(no_content: bool) -> Callable[[int, int], Call[Page[PublishedItem]]]:
    return lambda offset, count: batch_get(offset, count, no_content)
