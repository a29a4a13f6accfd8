"""Articles as files, both ways: the files ``wxm news`` and ``wxm draft`` read
(JSON or TOML), and the files ``wxm get``, ``news get`` and ``draft get`` write
(JSON, as WeChat sends them, or Markdown, to read).

A file to read holds one article, a list of articles, or ``{"articles": [...]}``::

    # post.toml
    [[articles]]
    title = "Hello"
    thumb_media_id = "..."
    content_file = "post.html"     # instead of content: read from a file beside this one
    author = "Ming"

Each article is checked against WeChat's rules before anything is sent, and a
problem is reported with the file, the article's number and the field. A field
WeChat does not know (a typo, most likely) gets a warning, since WeChat would
ignore it without a word.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from wechat_material._files import AtomicFile, prepare_target, safe_filename
from wechat_material.checks import article_problem, articles_problem
from wechat_material.cli.errors import LocalInputError
from wechat_material.limits import ARTICLE_FIELDS_BY_NAME

if TYPE_CHECKING:
    from wechat_material.models import NewsContent

CONTENT_FILE = "content_file"

# Every field of an article file, for the help of the commands that read one (and README);
# whether it is required and how long it may be come from wechat_material.limits.
FILE_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "the headline"),
    ("content", "the HTML body (images in it: URLs from 'wxm image'), or content_file"),
    ("content_file", "instead of content: an HTML file, relative to the article file"),
    ("thumb_media_id", "the cover: a permanent image or thumb's media id (not for newspic)"),
    ("author", "the byline"),
    ("digest", "the summary shown in lists"),
    ("content_source_url", "the 'read more' link"),
    ("show_cover_pic", "0 or 1: show the cover in the body"),
    ("need_open_comment", "0 or 1: open comments"),
    ("only_fans_can_comment", "0 or 1: only followers may comment"),
    ("article_type", "news (default) or newspic, a picture message (drafts only)"),
    ("image_info", "for newspic: {image_list = [{image_media_id = ID}, ...]}, 1 to 20 images"),
    ("pic_crop_235_1", "the cover's 2.35:1 crop, 'X1_Y1_X2_Y2' as fractions"),
    ("pic_crop_1_1", "the cover's 1:1 crop, the same way"),
)


def _field_rules(name: str) -> str:
    spec = ARTICLE_FIELDS_BY_NAME.get(name)
    if spec is None:
        return ""
    rules = ["required" if spec.required else "optional"]
    if spec.max_chars is not None:
        rules.append(f"at most {spec.max_chars} characters")
        if spec.news_max_chars is not None:
            rules.append(f"{spec.news_max_chars} outside the draft box")
    elif spec.max_bytes is not None:
        rules.append(f"at most {spec.max_bytes} bytes")
    return f" ({', '.join(rules)})"


def article_file_help() -> str:
    """The article file format, as a help epilog (rich markup)."""
    fields = "\n\n".join(
        f"  [bold]{name}[/bold]: {escape(what)}{_field_rules(name)}" for name, what in FILE_FIELDS
    )
    shape = escape(
        'An article file (JSON or TOML, UTF-8) holds one article, a list, or {"articles": '
        "[...]} (TOML: [[articles]] tables): 1 to 8 articles. Fields:"
    )
    return (
        f"[bold]Article files[/bold]\n\n{shape}\n\n{fields}\n\n"
        "An unknown field gets a warning (WeChat would ignore it); every article is "
        "checked before anything is sent."
    )


@cache
def known_fields() -> frozenset[str]:
    """The fields an article may have (the model loads when an article file is read)."""
    from wechat_material.models import Article

    return frozenset(Article.model_fields)


Warn = Callable[[str], None]


# reading article files -----------------------------------------------------


def _parse(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LocalInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LocalInputError(f"{path}: is a directory, not an article file") from None
    suffix = path.suffix.lower()
    import tomllib  # only for the commands that read article files

    try:
        text = raw.decode("utf-8-sig")
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return tomllib.loads(text)
    except UnicodeDecodeError:
        raise LocalInputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise LocalInputError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise LocalInputError(f"{path}: invalid TOML: {exc}") from None
    raise LocalInputError(
        f"{path}: unknown article file type '{suffix or '(none)'}'",
        hint="use a .json or .toml file.",
    )


def _as_list(document: Any, path: Path) -> list[Any]:
    if isinstance(document, dict) and "articles" in document:
        articles = document["articles"]
        if not isinstance(articles, list):
            raise LocalInputError(f"{path}: 'articles' must be a list of articles")
        return articles
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise LocalInputError(f"{path}: expected an article, a list of articles or 'articles'")


def _inline_content(article: dict[str, Any], index: int, path: Path) -> dict[str, Any]:
    if CONTENT_FILE not in article:
        return article
    where = f"{path}: article {index + 1}"
    if "content" in article:
        raise LocalInputError(f"{where}: give 'content' or '{CONTENT_FILE}', not both")
    name = article[CONTENT_FILE]
    if not isinstance(name, str) or not name:
        raise LocalInputError(f"{where}: '{CONTENT_FILE}' must be a file name")
    body_path = (path.parent / name).expanduser()
    try:
        content = body_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LocalInputError(f"{where}: '{CONTENT_FILE}' {body_path}: no such file") from None
    except UnicodeDecodeError:
        raise LocalInputError(f"{where}: '{CONTENT_FILE}' {body_path}: not UTF-8 text") from None
    rest = {key: value for key, value in article.items() if key != CONTENT_FILE}
    return {**rest, "content": content}


def _warn_unknown(article: dict[str, Any], index: int, path: Path, warn: Warn) -> None:
    for key in article:
        if key not in known_fields():
            warn(f"{path}: article {index + 1}: unknown field '{key}' (WeChat ignores it)")


def load_articles(path: Path, warn: Warn, *, draft: bool = False) -> list[dict[str, Any]]:
    """The articles in a file, checked by the rules of the draft box (``draft``) or of news;
    :class:`LocalInputError` names file, article and field."""
    raw = _as_list(_parse(path), path)
    articles = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise LocalInputError(f"{path}: article {index + 1} must be a table/object")
        article = _inline_content(item, index, path)
        _warn_unknown(article, index, path, warn)
        articles.append(article)
    problem = articles_problem(articles, draft=draft)
    if problem is not None:
        raise LocalInputError(f"{path}: {problem.message}")
    return articles


def load_one_article(path: Path, warn: Warn) -> dict[str, Any]:
    """The single article in a file (for ``news update``)."""
    raw = _as_list(_parse(path), path)
    if len(raw) != 1 or not isinstance(raw[0], dict):
        raise LocalInputError(f"{path}: expected exactly one article, found {len(raw)}")
    article = _inline_content(raw[0], 0, path)
    _warn_unknown(article, 0, path, warn)
    problem = article_problem(article, 0)
    if problem is not None:
        raise LocalInputError(f"{path}: {problem.message}")
    return article


# writing news --------------------------------------------------------------


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


def save_news(
    news: NewsContent, output: str | None, name: str, fmt: NewsFormat | None, *, force: bool
) -> Path:
    """Write the articles to ``output`` (a file, a directory, or None: here as NAME.json/.md).

    The file appears whole or not at all; an existing file is replaced only with ``force``
    (:class:`~wechat_material.errors.TargetExistsError` otherwise, before anything is written).
    """
    given = Path(output).expanduser() if output is not None else None
    chosen = fmt or NewsFormat.for_path(given)
    own_name = f"{safe_filename(name) or 'news'}{chosen.suffix}"
    where = prepare_target(output if output is not None else ".", overwrite=force)
    target = where.directory / (where.name or own_name)
    if where.name is None:  # a directory: the file in it is checked like a named one
        where = prepare_target(target, overwrite=force)
        target = where.directory / (where.name or own_name)
    with AtomicFile(where.directory) as part:
        part.file.write(render_news(news, chosen).encode("utf-8"))
        return part.commit(target, replace=force)
