"""Calls of the draft box (草稿箱), the successor of add_news/update_news."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wechat_material import _endpoints as ep
from wechat_material._call import Call, ignore_reply, json_of, model_parser
from wechat_material._calls import args
from wechat_material._calls.args import ArticleInput
from wechat_material._reply import Reply
from wechat_material.errors import UnexpectedReplyError
from wechat_material.models import Draft, NewsItem, Page


def _media_id(reply: Reply) -> str:
    media_id = json_of(reply, ep.DRAFT_ADD).get("media_id")
    if not isinstance(media_id, str) or not media_id:
        raise UnexpectedReplyError(f"{ep.DRAFT_ADD.path}: the reply has no media_id")
    return media_id


def add(articles: Sequence[ArticleInput]) -> Call[str]:
    return Call(
        ep.DRAFT_ADD, _media_id, json={"articles": args.articles_json(articles, draft=True)}
    )


def get(media_id: str) -> Call[Draft]:
    args.identifier(media_id)
    return Call(ep.DRAFT_GET, model_parser(Draft, ep.DRAFT_GET), json={"media_id": media_id})


def delete(media_id: str) -> Call[None]:
    args.identifier(media_id)
    return Call(ep.DRAFT_DELETE, ignore_reply, json={"media_id": media_id})


def update(media_id: str, index: int, article: ArticleInput) -> Call[None]:
    args.identifier(media_id)
    args.index(index)
    body = {
        "media_id": media_id,
        "index": index,
        "articles": args.one_article_json(article, index, draft=True),
    }
    return Call(ep.DRAFT_UPDATE, ignore_reply, json=body)


def _total(reply: Reply) -> int:
    total = json_of(reply, ep.DRAFT_COUNT).get("total_count")
    if isinstance(total, bool) or not isinstance(total, int):
        raise UnexpectedReplyError(f"{ep.DRAFT_COUNT.path}: the reply has no total_count")
    return total


def count() -> Call[int]:
    return Call(ep.DRAFT_COUNT, _total)


def batch_get(offset: int = 0, count: int = 20, no_content: bool = False) -> Call[Page[NewsItem]]:
    body: dict[str, Any] = {**args.page(offset, count), "no_content": int(bool(no_content))}
    return Call(ep.DRAFT_BATCHGET, model_parser(Page[NewsItem], ep.DRAFT_BATCHGET), json=body)


def page_call(no_content: bool) -> Callable[[int, int], Call[Page[NewsItem]]]:
    return lambda offset, count: batch_get(offset, count, no_content)
