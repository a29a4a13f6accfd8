"""``wxm news add|update|get``: permanent news material (retired by WeChat in 2022).

WeChat switched ``add_news``/``update_news`` off on 2022-02-28: real accounts
get an error whose hint points to ``wxm draft``. They still work on the
sandbox (its ``legacy`` news mode) and on accounts that kept them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wechat_material.cli.articles import load_articles, load_one_article
from wechat_material.cli.context import session
from wechat_material.cli.news_format import (
    NewsFormatOption,
    fetch_news,
    show_or_save_news,
)
from wechat_material.cli.options import JsonFlag, OutputOption, examples

app = typer.Typer(
    help="Permanent news material (WeChat retired add/update in 2022: prefer 'wxm draft').",
    epilog=examples("wxm news add post.toml", "wxm news get NEWS_ID -o post.md"),
    no_args_is_help=True,
)

ArticleFileArg = Annotated[
    Path, typer.Argument(help="A JSON or TOML article file.", metavar="FILE", show_default=False)
]
MediaIdArg = Annotated[
    str, typer.Argument(help="The news media id.", metavar="NEWS_ID", show_default=False)
]


@app.command(
    "add",
    epilog=examples("wxm news add post.toml", "wxm news add articles.json --json"),
)
def add_news(ctx: typer.Context, file: ArticleFileArg, json_out: JsonFlag = False) -> None:
    """Create a news material from 1 to 8 articles in a file."""
    current = session(ctx, json_out)
    articles = load_articles(file, current.output.warn)
    material = current.client().material.add_news(articles)
    current.output.success(f"added news {material.media_id} ({len(articles)} articles)")
    current.output.result(
        {"media_id": material.media_id, "articles": len(articles)}, material.media_id
    )


@app.command(
    "update",
    epilog=examples("wxm news update NEWS_ID article.toml --index 1"),
)
def update_news(
    ctx: typer.Context,
    media_id: MediaIdArg,
    file: ArticleFileArg,
    index: Annotated[
        int, typer.Option("--index", "-i", min=0, help="Which article to replace (0 = first).")
    ] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Replace one article of a news material with the single article in a file."""
    current = session(ctx, json_out)
    article = load_one_article(file, current.output.warn)
    current.client().material.update_news(media_id, index, article)
    current.output.success(f"updated article {index} of news {media_id}")
    current.output.result({"media_id": media_id, "index": index, "updated": True})


@app.command(
    "get",
    epilog=examples(
        "wxm news get NEWS_ID",
        "wxm news get NEWS_ID -o post.md",
        "wxm news get NEWS_ID --json",
    ),
)
def get_news(
    ctx: typer.Context,
    media_id: MediaIdArg,
    output: OutputOption = None,
    format: NewsFormatOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a news material's articles, or save them as JSON or Markdown."""
    current = session(ctx, json_out)
    material = fetch_news(current.client(), media_id)
    show_or_save_news(current, material, "news", media_id, output, format)
