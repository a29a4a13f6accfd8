"""A preview of a post: one self-contained HTML file showing it at phone width.

The article is shown as readers will see it (375 px wide, the chosen theme,
title and author above), with every image embedded as a ``data:`` URI, so
the file can be opened, mailed or kept without the images beside it. Only
images read under the publishing rules (:mod:`~wechat_material.articles.images`)
are embedded: a file outside the post's folder never ends up in the preview.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from pathlib import Path

from wechat_material._files import AtomicFile
from wechat_material.articles.compact import WECHAT_CSS
from wechat_material.articles.images import ImageData, mime_type
from wechat_material.articles.post import Post

PHONE_WIDTH = 375


def data_uri(image: ImageData) -> str:
    return f"data:{mime_type(image.data)};base64,{base64.b64encode(image.data).decode()}"


def preview_document(post: Post, images: Mapping[str, ImageData]) -> str:
    """The whole HTML document; ``images`` maps each body image source to its bytes.

    An image missing from ``images`` is left out (its ``src`` emptied), never read here.
    """
    body = post.rendered.with_image_urls(
        {
            source: data_uri(images[source]) if source in images else ""
            for source in post.rendered.images
        }
    )
    meta = post.meta
    byline = escape(meta.author or "")
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # WeChat's own rules for article content: the HTML counts on them (compact.py).
        f"<title>{escape(meta.title)}</title><style>{WECHAT_CSS}</style></head>\n"
        '<body style="margin:0;background:#ededed;font-family:-apple-system,'
        "BlinkMacSystemFont,'PingFang SC','Microsoft YaHei',sans-serif\">\n"
        f'<main style="box-sizing:border-box;width:{PHONE_WIDTH}px;margin:24px auto;'
        'padding:20px 16px;background:#ffffff;box-shadow:0 1px 4px rgba(0,0,0,0.12)">\n'
        '<h1 style="font-size:22px;line-height:1.4;margin:0 0 8px 0;color:#222222">'
        f"{escape(meta.title)}</h1>\n"
        f'<p style="font-size:15px;color:#576b95;margin:0 0 24px 0">{byline}</p>\n'
        f'<div class="rich_media_content">{body}</div>\n</main>\n</body></html>\n'
    )


def preview_path(post: Post) -> Path:
    """Where the preview of a post goes by default: ``post.preview.html`` beside it."""
    return post.path.with_name(f"{post.path.stem}.preview.html")


def write_preview(post: Post, images: Mapping[str, ImageData], out: Path | None = None) -> Path:
    """Write the preview (to ``out`` or beside the post) and return its path."""
    target = out or preview_path(post)
    document = preview_document(post, images).encode("utf-8")
    with AtomicFile(target.parent) as part:  # never a half-written preview
        part.file.write(document)
        part.commit(target)
    return target
