"""News materials and drafts as files: JSON (as WeChat sends them) or Markdown (to read)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wechat_material import MediaFile, NewsMaterial, VideoMaterial, WeChatClient
from wechat_material._files import AtomicFile, prepare_target
from wechat_material.cli.context import Session
from wechat_material.cli.errors import UsageProblem
from wechat_material.cli.output import table
from wechat_material.models import NewsContent


class NewsFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"

    @property
    def suffix(self) -> str:
        return ".md" if self is NewsFormat.MARKDOWN else ".json"

    @classmethod
    def for_path(cls, path: Path | None) -> NewsFormat:
        """Markdown for ``.md`` / ``.markdown`` files, JSON otherwise."""
        if path is not None and path.suffix.lower() in (".md", ".markdown"):
            return cls.MARKDOWN
        return cls.JSON


NewsFormatOption = Annotated[
    NewsFormat | None,
    typer.Option("--format", "-f", help="json or markdown (default: from -o's extension)."),
]


def news_json(news: NewsContent) -> str:
    """The articles as WeChat's JSON (``news_item``), non-ASCII kept readable."""
    data = news.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def news_markdown(news: NewsContent) -> str:
    """The articles as one Markdown document; the HTML content is kept as it is."""
    parts: list[str] = []
    for article in news.articles:
        lines = [f"# {article.title}", ""]
        byline = " · ".join(x for x in (article.author, article.digest) if x)
        if byline:
            lines += [f"*{byline}*", ""]
        if article.thumb_url:
            lines += [f"![cover]({article.thumb_url})", ""]
        lines += [article.content.strip(), ""]
        if article.content_source_url:
            lines += [f"[Read more]({article.content_source_url})", ""]
        if article.url:
            lines += [f"Link: <{article.url}>", ""]
        parts.append("\n".join(lines))
    return "\n---\n\n".join(parts)


def render_news(news: NewsContent, fmt: NewsFormat) -> str:
    return news_markdown(news) if fmt is NewsFormat.MARKDOWN else news_json(news)


def save_news(news: NewsContent, output: str | None, name: str, fmt: NewsFormat | None) -> Path:
    """Write the articles to ``output`` (a file, a directory, or None: here as NAME.json/.md).

    The file appears whole or not at all.
    """
    given = Path(output).expanduser() if output is not None else None
    chosen = fmt or NewsFormat.for_path(given)
    if given is None:
        target = Path(f"{name}{chosen.suffix}")
    elif given.is_dir() or str(output).endswith("/"):
        target = given / f"{name}{chosen.suffix}"
    else:
        target = given
    directory, _ = prepare_target(target)
    with AtomicFile(directory) as part:
        part.file.write(render_news(news, chosen).encode("utf-8"))
        return part.commit(target)


def articles_table(news: NewsContent, title: str | None = None) -> Table:
    """One row per article: its number, title, author, digest and link."""
    rows = [(index, a.title, a.author, a.digest, a.url) for index, a in enumerate(news.articles)]
    return table(title, ("#", "title", "author", "digest", "url"), rows)


def fetch_news(client: WeChatClient, media_id: str) -> NewsMaterial:
    """The news material ``media_id``; :class:`UsageProblem` if the id is a file or a video."""
    material = client.material.get_material(media_id)
    if isinstance(material, NewsMaterial):
        return material
    kind = "a video" if isinstance(material, VideoMaterial) else "a file"
    what = material.filename if isinstance(material, MediaFile) else media_id
    raise UsageProblem(
        f"{what} is {kind}, not a news material", hint="download files with 'wxm get -o PATH'."
    )


def show_or_save_news(
    current: Session,
    news: NewsContent,
    kind: str,
    media_id: str,
    output: str | None,
    fmt: NewsFormat | None,
) -> None:
    """Print a news material's or draft's articles, or save them when ``-o`` is given."""
    if output is not None:
        path = save_news(news, output, media_id, fmt)
        current.output.success(f"saved {path}")
        current.output.result({"media_id": media_id, "path": path}, str(path))
        return
    data = {"media_id": media_id, **news.model_dump(mode="json", by_alias=True)}
    current.output.result(data, articles_table(news, f"{kind} {media_id}"))
