"""``wxm get``: download any material or temporary media, streamed and atomic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from wechat_material import NewsMaterial, NotAFileError
from wechat_material.cli.context import Session, session
from wechat_material.cli.errors import UsageProblem
from wechat_material.cli.metering import Advance
from wechat_material.cli.news_format import (
    NewsFormat,
    fetch_news,
    render_news,
    save_news,
)
from wechat_material.cli.options import JsonFlag, examples

STDOUT = "-"


def _download_file(
    current: Session, media_id: str, target: str, temporary: bool
) -> Path | NotAFileError:
    """Stream the file to ``target``; the error when the reply was not a file (news?)."""
    with current.output.transfer_progress() as progress:

        def on_download(total: int | None) -> Advance:
            task = progress.add_task(f"downloading {media_id[:12]}…", total=total)
            return lambda n: progress.advance(task, n)

        client = current.client(on_download=on_download)
        try:
            if temporary:
                return client.material.download_media(media_id, target)
            return client.material.download_material(media_id, target)
        except NotAFileError as exc:
            # A news id answers articles, not a file: the caller reads it as news.
            if temporary:
                raise
            return exc


def _save_news(
    current: Session,
    material: NewsMaterial,
    media_id: str,
    output: str | None,
    format: NewsFormat | None,
) -> None:
    path = save_news(material, output, media_id, format)
    count = len(material.articles)
    current.output.success(f"saved news {media_id} ({count} articles) to {path}")
    current.output.result(
        {"media_id": media_id, "kind": "news", "path": path, "articles": count}, str(path)
    )


def get(
    ctx: typer.Context,
    media_id: Annotated[
        str, typer.Argument(help="The media id.", metavar="MEDIA_ID", show_default=False)
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File or directory to save to (default: here, under WeChat's name). "
            "For news, '-' prints it.",
        ),
    ] = None,
    temporary: Annotated[
        bool, typer.Option("--temporary", help="The id is temporary media (media/get).")
    ] = False,
    format: Annotated[
        NewsFormat | None,
        typer.Option("--format", "-f", help="For news: json or markdown (default: from -o)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Download any material: a file, a video (through its URL), news as JSON or Markdown."""
    current = session(ctx, json_out)
    out = current.output
    if output == STDOUT:
        if temporary:
            raise UsageProblem("'-o -' prints news only; give a file name for media")
        sys.stdout.write(
            render_news(fetch_news(current.client(), media_id), format or NewsFormat.JSON)
        )
        return
    saved = _download_file(current, media_id, output or ".", temporary)
    if isinstance(saved, Path):
        size = saved.stat().st_size
        out.success(f"saved {saved} ({size} bytes)")
        out.result({"media_id": media_id, "kind": "file", "path": saved, "size": size}, str(saved))
        return
    # Not a file: a news material (its articles came with the reply), or the error it was.
    if not isinstance(saved.news, NewsMaterial):
        raise saved
    _save_news(current, saved.news, media_id, output, format)


def register(app: typer.Typer) -> None:
    app.command(
        "get",
        epilog=examples(
            "wxm get MEDIA_ID",
            "wxm get MEDIA_ID -o photos/",
            "wxm get NEWS_ID -o news.md",
            "wxm get NEWS_ID -o - --format markdown",
            "wxm get MEDIA_ID --temporary -o voice.amr",
        ),
    )(get)
