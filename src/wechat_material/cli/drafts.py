"""``wxm draft`` and ``wxm news``: articles, as drafts to publish or as news material.

``wxm draft add|get|ls|rm|publish|status`` work the draft box and publishing.

``wxm news add|update|get`` work permanent news material, which WeChat
retired: it switched ``add_news``/``update_news`` off on 2022-02-28, and real
accounts get an error whose hint points to ``wxm draft``. They still work on
the sandbox (its ``legacy`` news mode) and on accounts that kept them.
"""

from __future__ import annotations

import math
import sys
import time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import RenderableType

from wechat_material.cli.articles import (
    NewsFormat,
    NewsFormatOption,
    article_file_help,
    load_articles,
    load_one_article,
    render_news,
    save_news,
)
from wechat_material.cli.context import Session, session
from wechat_material.cli.errors import CliError
from wechat_material.cli.material import ask_or_stop, delete_each, fetch_news
from wechat_material.cli.output import (
    MAX_ITEMS,
    STDOUT,
    ForceFlag,
    JsonFlag,
    Output,
    OutputOption,
    YesFlag,
    examples,
    table,
)
from wechat_material.errors import PublishTimeoutError
from wechat_material.limits import ARTICLES_MAX

if TYPE_CHECKING:
    from wechat_material import PublishResult, WeChatClient
    from wechat_material.models import NewsContent

MAX_WAIT = 24 * 3600.0
POLL_SECONDS = 3.0
# Off a terminal, how often a line says the publish is still being waited for.
PROGRESS_SECONDS = 10.0

ArticleFileArg = Annotated[
    Path, typer.Argument(help="A JSON or TOML article file.", metavar="FILE", show_default=False)
]


def articles_table(news: NewsContent, title: str | None = None) -> RenderableType:
    """One row per article: its number, title, author, digest and link."""
    rows = [(index, a.title, a.author, a.digest, a.url) for index, a in enumerate(news.articles)]
    return table(title, ("#", "title", "author", "digest", "url"), rows)


def show_or_save_news(
    current: Session,
    news: NewsContent,
    kind: str,
    media_id: str,
    output: str | None,
    fmt: NewsFormat | None,
    force: bool,
) -> None:
    """Print a news material's or draft's articles, or save them when ``-o`` is given."""
    if output == STDOUT:
        sys.stdout.write(render_news(news, fmt or NewsFormat.JSON))
        return
    if output is not None:
        path = save_news(news, output, media_id, fmt, force=force)
        current.output.success(f"saved {path}")
        current.output.result({"media_id": media_id, "path": path}, str(path))
        return
    data = {"media_id": media_id, **news.model_dump(mode="json", by_alias=True)}
    current.output.result(data, articles_table(news, f"{kind} {media_id}"))


# wxm draft -----------------------------------------------------------------

draft_app = typer.Typer(
    help="The draft box, and publishing drafts.",
    epilog=examples("wxm draft add post.toml", "wxm draft ls", "wxm draft publish DRAFT_ID"),
    no_args_is_help=True,
)

DraftIdArg = Annotated[
    str, typer.Argument(help="The draft's media id.", metavar="DRAFT_ID", show_default=False)
]


@draft_app.command(
    "add",
    epilog=article_file_help()
    + "\n\n"
    + examples("wxm draft add post.toml", "wxm draft add post.json --json"),
)
def add_draft(
    ctx: typer.Context,
    file: ArticleFileArg,
    json_out: JsonFlag = False,
) -> None:
    """Create a draft from 1 to 8 articles in a file."""
    current = session(ctx, json_out)
    articles = load_articles(file, current.output.warn, draft=True)
    media_id = current.client().draft.add(articles)
    current.output.success(f"added draft {media_id} ({len(articles)} articles)")
    current.output.result({"media_id": media_id, "articles": len(articles)}, media_id)


@draft_app.command(
    "get",
    epilog=examples("wxm draft get DRAFT_ID", "wxm draft get DRAFT_ID -o draft.md"),
)
def get_draft(
    ctx: typer.Context,
    media_id: DraftIdArg,
    output: OutputOption = None,
    format: NewsFormatOption = None,
    force: ForceFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Show a draft's articles, or save them as JSON or Markdown (-o - prints them)."""
    current = session(ctx, json_out)
    draft = current.client().draft.get(media_id)
    show_or_save_news(current, draft, "draft", media_id, output, format, force)


@draft_app.command("ls", epilog=examples("wxm draft ls", "wxm draft ls --limit 5 --json"))
def list_drafts(
    ctx: typer.Context,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, max=MAX_ITEMS, help="At most this many drafts."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """List drafts, newest first, paging through all of them automatically."""
    current = session(ctx, json_out)
    drafts = list(islice(current.client().draft.stream(no_content=True), limit))
    items = [
        {
            "media_id": d.media_id,
            "titles": [a.title for a in d.content.articles],
            "update_time": d.update_time,
        }
        for d in drafts
    ]
    if not items:
        current.output.note("the draft box is empty")
    rows = [
        (d.media_id, " | ".join(a.title for a in d.content.articles), d.update_time) for d in drafts
    ]
    current.output.result(
        {"items": items, "count": len(items)}, table(None, ("media id", "titles", "updated"), rows)
    )


@draft_app.command("rm", epilog=examples("wxm draft rm DRAFT_ID", "wxm draft rm ID1 ID2 --yes"))
def remove_drafts(
    ctx: typer.Context,
    media_ids: Annotated[
        list[str],
        typer.Argument(help="The drafts to delete.", metavar="DRAFT_ID", show_default=False),
    ],
    yes: YesFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Delete drafts (asks first unless --yes)."""
    current = session(ctx, json_out)
    if not ask_or_stop(current, media_ids, "draft", yes):
        return
    delete_each(current, media_ids, current.client().draft.delete, "draft id")


def _show_publish(out: Output, result: PublishResult) -> None:
    from wechat_material.models import publish_status_name

    status = publish_status_name(result.publish_status)
    data: dict[str, Any] = {
        "publish_id": result.publish_id,
        "status": status,
        "publish_status": int(result.publish_status),
        "article_id": result.article_id,
        "article_urls": result.article_urls,
        "fail_idx": result.fail_idx,
    }
    rows = [
        ("publish id", result.publish_id),
        ("status", status),
        ("article id", result.article_id),
        *[(f"article {i + 1}", url) for i, url in enumerate(result.article_urls)],
    ]
    out.result(data, table(None, ("", ""), rows))
    if result.done and not result.succeeded:
        raise CliError(
            f"publishing {result.publish_id} ended as {status}",
            hint="check the article in the WeChat console (failed items: "
            f"{result.fail_idx or 'none listed'}).",
        )


@draft_app.command(
    "publish",
    epilog=examples(
        "wxm draft publish DRAFT_ID",
        "wxm draft publish DRAFT_ID --no-wait --json",
    ),
)
def publish_draft(
    ctx: typer.Context,
    media_id: DraftIdArg,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until WeChat has published it.")
    ] = True,
    max_wait: Annotated[
        float,
        typer.Option(min=0, max=MAX_WAIT, help="Give up waiting after this many seconds."),
    ] = 300.0,
    json_out: JsonFlag = False,
) -> None:
    """Publish a draft; by default waits for the result and prints the article links."""
    current = session(ctx, json_out)
    client = current.client()
    submission = client.publish.submit(media_id)
    current.output.note(f"submitted: publish id {submission.publish_id}")
    if not wait:
        current.output.result(
            {"publish_id": submission.publish_id, "status": "publishing"},
            submission.publish_id,
        )
        return
    result = wait_for_publication(current.output, client, submission.publish_id, max_wait)
    _show_publish(current.output, result)


def wait_for_publication(
    out: Output,
    client: WeChatClient,
    publish_id: str,
    max_wait: float,
    *,
    every: float | None = None,
) -> PublishResult:
    """Wait with ``client.publish.wait`` until the publish is done, saying how it stands.

    On a terminal a live status; otherwise a line every ``every`` seconds
    (:data:`PROGRESS_SECONDS`), so a log shows the run is alive.
    """
    from wechat_material.models import publish_status_name

    every = every or PROGRESS_SECONDS
    # Polls spaced evenly inside each ``every`` seconds, so that a line comes at
    # each of them rather than at the next multiple of the interval.
    polls = math.ceil(every / POLL_SECONDS)
    started = time.monotonic()
    with out.status(f"publish {publish_id}: waiting for WeChat") as show:
        count = 0

        def still_publishing(result: PublishResult) -> None:
            nonlocal count
            count += 1
            if count % polls == 0:
                waited = time.monotonic() - started
                status = publish_status_name(result.publish_status)
                show(f"publish {publish_id}: {status} ({waited:.0f} s)")

        try:
            result = client.publish.wait(
                publish_id, interval=every / polls, max_wait=max_wait, on_poll=still_publishing
            )
        except PublishTimeoutError as exc:
            raise PublishTimeoutError(
                f"publish {publish_id} was still in progress after {max_wait:g} s; "
                f"check it later with 'wxm draft status {publish_id}'",
                exc.result,
            ) from None
        show(f"publish {publish_id}: {publish_status_name(result.publish_status)}")
        return result


@draft_app.command("status", epilog=examples("wxm draft status PUBLISH_ID"))
def publish_status(
    ctx: typer.Context,
    publish_id: Annotated[
        str, typer.Argument(help="The publish id.", metavar="PUBLISH_ID", show_default=False)
    ],
    json_out: JsonFlag = False,
) -> None:
    """Where a publish stands, and its article links once published."""
    current = session(ctx, json_out)
    _show_publish(current.output, current.client().publish.get(publish_id))


# wxm news ------------------------------------------------------------------

news_app = typer.Typer(
    help="Permanent news material (WeChat retired add/update in 2022: prefer 'wxm draft').",
    epilog=examples("wxm news add post.toml", "wxm news get NEWS_ID -o post.md"),
    no_args_is_help=True,
)

MediaIdArg = Annotated[
    str, typer.Argument(help="The news media id.", metavar="NEWS_ID", show_default=False)
]


@news_app.command(
    "add",
    epilog=article_file_help()
    + "\n\n"
    + examples("wxm news add post.toml", "wxm news add articles.json --json"),
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


@news_app.command(
    "update",
    epilog=examples("wxm news update NEWS_ID article.toml --index 1"),
)
def update_news(
    ctx: typer.Context,
    media_id: MediaIdArg,
    file: ArticleFileArg,
    index: Annotated[
        int,
        typer.Option(
            "--index",
            "-i",
            min=0,
            max=ARTICLES_MAX - 1,
            help="Which article to replace (0 = first).",
        ),
    ] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Replace one article of a news material with the single article in a file."""
    current = session(ctx, json_out)
    article = load_one_article(file, current.output.warn)
    current.client().material.update_news(media_id, index, article)
    current.output.success(f"updated article {index} of news {media_id}")
    current.output.result({"media_id": media_id, "index": index, "updated": True})


@news_app.command(
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
    force: ForceFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Show a news material's articles, or save them as JSON or Markdown (-o - prints them)."""
    current = session(ctx, json_out)
    material = fetch_news(current.client(), media_id)
    show_or_save_news(current, material, "news", media_id, output, format, force)


def register(app: typer.Typer) -> None:
    app.add_typer(news_app, name="news")
    app.add_typer(draft_app, name="draft")
