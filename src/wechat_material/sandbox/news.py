"""add_news / update_news: news material the way WeChat handled it before 2022-02-28.

In ``legacy`` mode they work as documented; in ``retired`` mode both answer
45106 "This API has been unsupported", as WeChat does today. The routes ask
:meth:`LegacyNews.check_open` before anything else, even before reading the
body: a retired API refuses whatever is sent.
"""

from __future__ import annotations

from typing import Any

from wechat_material.sandbox.articles import (
    COMMENT_FLAGS,
    ArticleRules,
    prepare_article,
    prepare_articles,
)
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.materials import Materials


class LegacyNews:
    def __init__(self, materials: Materials) -> None:
        self._materials = materials
        self.retired = False

    def check_open(self) -> None:
        """45106 when the sandbox mimics today's WeChat."""
        if self.retired:
            raise SandboxError(45106, "add_news/update_news are retired; use the draft box")

    def add(self, appid: str, articles: Any, rules: ArticleRules) -> dict[str, str]:
        """add_news: 1 to 8 articles whose covers are permanent material."""
        prepared = prepare_articles(articles, rules)
        return {"media_id": self._materials.add_news(appid, prepared)}

    def update(
        self, appid: str, media_id: str, index: int, article: Any, rules: ArticleRules
    ) -> None:
        """update_news: replace article ``index`` (0-based); the comment flags stay as they were."""
        articles = self._materials.news_articles(appid, media_id)
        if not 0 <= index < len(articles):
            raise SandboxError(40097, f"index {index} is outside 0..{len(articles) - 1}")
        updated = prepare_article(article, rules, index, single=len(articles) == 1)
        for flag in COMMENT_FLAGS:
            updated[flag] = articles[index][flag]
        articles[index] = updated
        self._materials.replace_news(appid, media_id, articles)
