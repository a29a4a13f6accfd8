"""Articles as WeChat keeps them: checked, completed with defaults and cleaned.

Used by news material (add_news/update_news), mass-send news (uploadnews) and
the draft box. The field rules are :mod:`wechat_material.checks`; this adds
the parts that need the account's state (which ids are valid thumbnails,
which image URLs are the account's own) and what WeChat does to the content
(:func:`clean_article_html`, from :mod:`wechat_material.article_html`): whatever could run
is removed (scripts, frames, forms, event handlers, ``javascript:`` URLs...),
and so are ``<img>`` tags whose ``src`` is not an image WeChat hosts
(uploadimg or material URLs).

It also says how stored articles are listed (:func:`render_articles`, with
their links; :class:`ArticleListing`), checks the paging of the batchget
endpoints and gives their replies' one shape (:func:`page_reply`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wechat_material.article_html import CleanedHtml as CleanedHtml
from wechat_material.article_html import clean_article_html as clean_article_html
from wechat_material.checks import article_problem, articles_problem, flag_value, text_of
from wechat_material.limits import (
    ARTICLE_FIELDS,
    DIGEST_DEFAULT_CHARS,
    NEWS_DIGEST_DEFAULT_CHARS,
    PAGE_MAX,
    PAGE_MIN,
)
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.links import LinkPath, Links, link_path

NEWS = "news"
NEWSPIC = "newspic"
DRAFT_EXTRAS = ("article_type", "image_info", "pic_crop_235_1", "pic_crop_1_1")
COMMENT_FLAGS = ("need_open_comment", "only_fans_can_comment")
# The content as sent, kept beside the cleaned one when clean-up changed it, so the
# console can show what was dropped; never part of a reply (see news_item).
SENT_CONTENT = "_sent_content"


@dataclass(frozen=True)
class ArticleRules:
    """What the account's state says about ids and URLs in an article."""

    thumb_ok: Callable[[str], bool]
    """May this id be the cover (thumb_media_id)?"""
    image_ok: Callable[[str], bool]
    """May this id be an image of a newspic article (permanent images)?"""
    image_url_ok: Callable[[str], bool]
    """Is this ``<img src>`` an image WeChat hosts?"""
    draft: bool = False
    """Draft box articles: article_type, newspic images and crops are allowed."""


def _article_type(article: Mapping[str, Any], rules: ArticleRules) -> str:
    # Outside the draft box every article is a plain one, whatever it says.
    return (article.get("article_type") or NEWS) if rules.draft else NEWS


def _with_newspic_cover(
    article: Mapping[str, Any], rules: ArticleRules, index: int
) -> Mapping[str, Any]:
    """A checked newspic article whose images are the account's permanent images,
    its cover defaulting to the first of them."""
    if _article_type(article, rules) != NEWSPIC:
        return article
    # The shape (1 to 20 entries, each with an image_media_id) is already checked.
    ids = [image["image_media_id"] for image in article["image_info"]["image_list"]]
    for image_id in ids:
        if not isinstance(image_id, str) or not rules.image_ok(image_id):
            raise SandboxError(40007, f"article {index + 1}: {image_id!r} is not a permanent image")
    if article.get("thumb_media_id"):
        return article
    return {**article, "thumb_media_id": ids[0]}


def _complete(
    article: Mapping[str, Any], rules: ArticleRules, index: int, single: bool
) -> dict[str, Any]:
    thumb = article["thumb_media_id"]
    if not rules.thumb_ok(thumb):
        raise SandboxError(
            40007, f"article {index + 1}: thumb_media_id {thumb!r} cannot be a cover"
        )
    stored: dict[str, Any] = {}
    for spec in ARTICLE_FIELDS:
        value = article.get(spec.name)
        if value is None:
            stored[spec.name] = 0 if spec.flag else ""
        elif spec.flag and isinstance(value, str):
            stored[spec.name] = flag_value(value)  # checked: "0" or "1", kept as the number
        else:
            stored[spec.name] = value
    sent = stored["content"]
    stored["content"] = clean_article_html(sent, rules.image_url_ok).html
    if stored["content"] != sent:
        stored[SENT_CONTENT] = sent
    if single and not stored["digest"]:
        chars = DIGEST_DEFAULT_CHARS if rules.draft else NEWS_DIGEST_DEFAULT_CHARS
        stored["digest"] = text_of(stored["content"])[:chars]
    if rules.draft:
        stored["article_type"] = _article_type(article, rules)
        for name in DRAFT_EXTRAS[1:]:
            if article.get(name) is not None:
                stored[name] = article[name]
    return stored


def prepare_articles(articles: Any, rules: ArticleRules) -> list[dict[str, Any]]:
    """A whole list (news, uploadnews, draft/add): 1 to 8 valid articles."""
    problem = articles_problem(articles, draft=rules.draft)
    if problem is not None:
        raise SandboxError(problem.errcode, problem.message)
    single = len(articles) == 1
    return [
        _complete(_with_newspic_cover(a, rules, i), rules, i, single)
        for i, a in enumerate(articles)
    ]


def prepare_article(article: Any, rules: ArticleRules, index: int, single: bool) -> dict[str, Any]:
    """One article replacing ``index`` of a list (update_news, draft/update)."""
    problem = article_problem(article, index, draft=rules.draft)
    if problem is not None:
        raise SandboxError(problem.errcode, problem.message)
    return _complete(_with_newspic_cover(article, rules, index), rules, index, single)


def news_item(
    article: Mapping[str, Any],
    *,
    url: LinkPath | str,
    thumb_url: LinkPath | str | None = None,
    with_content: bool = True,
) -> dict[str, Any]:
    """An article as get_material, draft/get and the batchget replies show it."""
    item = dict(article)
    item.pop(SENT_CONTENT, None)
    if not with_content:
        item.pop("content", None)
    item["url"] = url
    if thumb_url is not None:
        item["thumb_url"] = thumb_url
    return item


MAX_OFFSET = 2**31 - 1


def check_page(offset: int, count: int) -> None:
    """batchget paging: offset ≥ 0 and count 1..20, else 40097 [assumed]."""
    if not 0 <= offset <= MAX_OFFSET or not PAGE_MIN <= count <= PAGE_MAX:
        raise SandboxError(40097, f"offset must be ≥ 0 and count {PAGE_MIN}..{PAGE_MAX}")


def page_reply(total_count: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of a batchget listing (material, drafts, publications), as WeChat shapes it."""
    return {"total_count": total_count, "item_count": len(items), "item": items}


@dataclass(frozen=True)
class ArticleListing:
    """How a batchget lists the rows of one table of stored articles (news material,
    drafts, publications): the kind of their pages, the id they are listed under, and
    the columns of their articles and times."""

    kind: str
    id_name: str
    articles: str
    created: str
    updated: str

    def item(self, links: Links, row: sqlite3.Row, *, with_content: bool = True) -> dict[str, Any]:
        """One item of the listing, its articles with their links."""
        owner = row[self.id_name]
        articles = json.loads(row[self.articles])
        updated = int(row[self.updated])
        return {
            self.id_name: owner,
            "content": {
                "news_item": render_articles(
                    links, self.kind, owner, articles, with_content=with_content
                ),
                "create_time": int(row[self.created]),
                "update_time": updated,
            },
            "update_time": updated,
        }


def render_articles(
    links: Links,
    kind: str,
    owner: str,
    articles: Sequence[Mapping[str, Any]],
    *,
    with_content: bool = True,
    thumb_urls: bool = True,
) -> list[dict[str, Any]]:
    """The ``news_item`` list of a news material, draft or published article."""
    pages = links.page_keys(kind, owner)
    items = []
    for idx, article in enumerate(articles):
        thumb_url = None
        if thumb_urls:
            thumb_url = link_path(links.file_key(article["thumb_media_id"]))
        page = pages.get(idx)
        items.append(
            news_item(
                article,
                url=link_path(page),
                thumb_url=thumb_url,
                with_content=with_content,
            )
        )
    return items
