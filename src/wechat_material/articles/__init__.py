"""Articles written in Markdown, rendered for WeChat and published as drafts.

Needs the ``publish`` extra (``pip install 'wechat-material[publish]'``)::

    from wechat_material import WeChatClient
    from wechat_material.articles import render, publish_post

    rendered = render(Path("post.md").read_text())        # HTML with every style inline
    with WeChatClient.from_env() as client:
        outcome = publish_post(client, "post.md")          # a draft, updated on every run
        print(outcome.draft_id, outcome.uploads)

See ``docs/publishing.en.md`` for what rendering does and why.
"""

from __future__ import annotations

from wechat_material.extras import MissingExtraError, require_extra

require_extra("publish")

from wechat_material.articles.cache import AccountCache, default_cache_dir  # noqa: E402
from wechat_material.articles.frontmatter import FrontMatter, PostError  # noqa: E402
from wechat_material.articles.images import ImageRules  # noqa: E402
from wechat_material.articles.post import Post, load_post  # noqa: E402
from wechat_material.articles.preview import preview_document, write_preview  # noqa: E402
from wechat_material.articles.publisher import (  # noqa: E402
    PublishOptions,
    PublishOutcome,
    Uploads,
    publish_post,
    read_post_images,
)
from wechat_material.articles.readback import Change, compare  # noqa: E402
from wechat_material.articles.rendering import Rendered, render  # noqa: E402
from wechat_material.articles.size import Block, SizeReport, size_report  # noqa: E402
from wechat_material.articles.themes import DEFAULT_THEME, THEMES  # noqa: E402

__all__ = [
    "DEFAULT_THEME",
    "THEMES",
    "AccountCache",
    "Block",
    "Change",
    "FrontMatter",
    "ImageRules",
    "MissingExtraError",
    "Post",
    "PostError",
    "PublishOptions",
    "PublishOutcome",
    "Rendered",
    "SizeReport",
    "Uploads",
    "compare",
    "default_cache_dir",
    "load_post",
    "preview_document",
    "publish_post",
    "read_post_images",
    "render",
    "size_report",
    "write_preview",
]
