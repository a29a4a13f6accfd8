"""``wxm ls``, ``wxm count``, ``wxm get`` and ``wxm rm``: the account's material.

Uploads (``wxm upload``, ``wxm image``) have their own module,
:mod:`~wechat_material.cli.upload`; :func:`register` adds them with the rest.
``wxm get`` downloads any material or temporary media, streamed and atomic;
news comes back as JSON or Markdown. ``wxm ls`` and ``wxm count`` show what
permanent material the account holds. ``wxm rm`` (and ``wxm draft rm``)
delete several things in one go: ask once, delete each, report each; a
failure on one id does not stop the others, and the exit code is that of the
first failure.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, cast

import typer

from wechat_material.cli import upload
from wechat_material.cli.articles import NewsFormat, render_news, save_news
from wechat_material.cli.context import Session, session
from wechat_material.cli.errors import Failure, LocalInputError, UsageProblem, failure_for
from wechat_material.cli.output import (
    MAX_ITEMS,
    STDOUT,
    ForceFlag,
    JsonFlag,
    WideFlag,
    YesFlag,
    confirm,
    examples,
    show_wide,
    table,
)
from wechat_material.errors import NotAFileError
from wechat_material.limits import MaterialType

if TYPE_CHECKING:
    # The client, its models (pydantic) and httpx load when a command calls WeChat,
    # not for its --help.
    from wechat_material import WeChatClient
    from wechat_material.cli.metering import Advance
    from wechat_material.models import MaterialItem, NewsItem, NewsMaterial

# wxm get -------------------------------------------------------------------


def fetch_news(client: WeChatClient, media_id: str) -> NewsMaterial:
    """The news material ``media_id``; :class:`UsageProblem` if the id is a file or a video."""
    from wechat_material.media_file import MediaFile
    from wechat_material.models import NewsMaterial, VideoMaterial

    material = client.material.get_material(media_id)
    if isinstance(material, NewsMaterial):
        return material
    kind = "a video" if isinstance(material, VideoMaterial) else "a file"
    what = material.filename if isinstance(material, MediaFile) else media_id
    raise UsageProblem(
        f"{what} is {kind}, not a news material", hint="download files with 'wxm get -o PATH'."
    )


def _download_file(
    current: Session, media_id: str, target: str | BinaryIO, temporary: bool, force: bool
) -> Path | int | NotAFileError:
    """Stream the file to ``target``; the error when the reply was not a file (news?)."""
    with current.output.transfer_progress() as progress:

        def on_download(total: int | None) -> Advance:
            task = progress.add_task(f"downloading {media_id[:12]}…", total=total)
            return lambda n: progress.advance(task, n)

        client = current.client(on_download=on_download)
        download = (
            client.material.download_media if temporary else client.material.download_material
        )
        try:
            if isinstance(target, str):
                return download(media_id, target, overwrite=force)
            return download(media_id, target)
        except NotAFileError as exc:
            # A news id answers articles, not a file: the caller reads it as news.
            if temporary:
                raise
            return exc


# How far `wxm get` looks for the name `wxm ls` shows, per type (newest first).
NAME_LOOKUP_ITEMS = 1000


def _under_listed_name(current: Session, media_id: str, output: str) -> str:
    """The path to save permanent material to when ``output`` is a directory: the item's
    name as ``wxm ls`` shows it (made safe, numbered if taken), found in the material
    lists; ``output`` itself (so ``MEDIA_ID.EXT``) when no list gives one."""
    from wechat_material._files import numbered, prepare_target, safe_filename

    target = prepare_target(output)  # checked, and made if it ends with /, before any call
    if target.name is not None:
        return output
    name = safe_filename(_listed_name(current.client(), media_id))
    if name is None:
        return output
    path, number = target.directory / name, 0
    while path.exists() or path.is_symlink():  # the SDK's rule: 'photo (1).jpg' next
        number += 1
        path = target.directory / numbered(name, number)
    return str(path)


def _listed_name(client: WeChatClient, media_id: str) -> str | None:
    """The name batchget_material gives ``media_id`` (images and thumbs, voices, videos)."""
    from wechat_material.models import MaterialItem

    for kind in (MaterialType.IMAGE, MaterialType.VOICE, MaterialType.VIDEO):
        for item in islice(client.material.stream_get_material(kind), NAME_LOOKUP_ITEMS):
            if isinstance(item, MaterialItem) and item.media_id == media_id:
                return item.name or None
    return None


class _BinaryStdout:
    """stdout for a file's bytes: refused on a terminal, where they would be garbage."""

    def __init__(self) -> None:
        self._out = sys.stdout.buffer
        self._checked = False

    def write(self, chunk: bytes) -> int:
        if not self._checked:
            self._checked = True
            if sys.stdout.isatty():
                raise LocalInputError(
                    "will not print a binary file on a terminal",
                    hint="redirect it ('-o - > file', '-o - | command') or give a file with -o.",
                )
        return self._out.write(chunk)

    def flush(self) -> None:
        self._out.flush()


def _save_news(
    current: Session,
    material: NewsMaterial,
    media_id: str,
    output: str | None,
    format: NewsFormat | None,
    force: bool,
) -> None:
    if output == STDOUT:
        sys.stdout.write(render_news(material, format or NewsFormat.JSON))
        return
    path = save_news(material, output, media_id, format, force=force)
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
            help="File or directory to save to (default: here, under the name 'wxm ls' "
            "shows, else MEDIA_ID.EXT; numbered if taken: 'photo (2).jpg'). '-' writes to "
            "stdout (a file only into a pipe or a redirection).",
        ),
    ] = None,
    temporary: Annotated[
        bool, typer.Option("--temporary", help="The id is temporary media (media/get).")
    ] = False,
    format: Annotated[
        NewsFormat | None,
        typer.Option("--format", "-f", help="For news: json or markdown (default: from -o)."),
    ] = None,
    force: ForceFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Download any material: a file, a video (through its URL), news as JSON or Markdown.

    An existing file given with -o is replaced only with --force.
    """
    current = session(ctx, json_out)
    out = current.output
    if output == STDOUT and format is None and sys.stdout.isatty():
        # Refused before anything is fetched: a file's bytes would be garbage here.
        raise LocalInputError(
            "will not print a binary file on a terminal",
            hint="redirect it ('-o - > file', '-o - | command') or give a file with -o; "
            "news prints as text with --format json or --format markdown.",
        )
    if output == STDOUT:
        sink = cast(BinaryIO, _BinaryStdout())
        saved: Path | int | NotAFileError = _download_file(
            current, media_id, sink, temporary, force
        )
    else:
        where = output or "."
        if not temporary:
            where = _under_listed_name(current, media_id, where)
        saved = _download_file(current, media_id, where, temporary, force)
    if isinstance(saved, int):
        out.note(f"wrote {saved} bytes to stdout")
        return
    if isinstance(saved, Path):
        size = saved.stat().st_size
        out.success(f"saved {saved} ({size} bytes)")
        out.result({"media_id": media_id, "kind": "file", "path": saved, "size": size}, str(saved))
        return
    # Not a file: a news material (its articles came with the reply), or the error it was.
    from wechat_material.models import NewsMaterial

    if not isinstance(saved.news, NewsMaterial):
        raise saved
    _save_news(current, saved.news, media_id, output, format, force)


# wxm ls, wxm count ---------------------------------------------------------


class ListType(StrEnum):
    """The types ``batchget_material`` lists (thumbs are listed with images by WeChat)."""

    IMAGE = "image"
    VIDEO = "video"
    VOICE = "voice"
    NEWS = "news"


def _row(kind: ListType, item: MaterialItem | NewsItem) -> dict[str, Any]:
    from wechat_material.models import NewsItem

    if isinstance(item, NewsItem):
        titles = [article.title for article in item.content.articles]
        return {
            "type": kind.value,
            "media_id": item.media_id,
            "name": " | ".join(titles),
            "titles": titles,
            "update_time": item.update_time,
            "url": item.content.articles[0].url if item.content.articles else None,
        }
    return {
        "type": kind.value,
        "media_id": item.media_id,
        "name": item.name,
        "update_time": item.update_time,
        "url": item.url,
    }


def list_material(
    ctx: typer.Context,
    type: Annotated[
        ListType | None,
        typer.Option("--type", "-t", help="Only this type (default: all four)."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, max=MAX_ITEMS, help="At most this many items in all."),
    ] = None,
    wide: WideFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """List permanent material, newest first, paging through everything automatically."""
    if wide:
        show_wide(True)
    current = session(ctx, json_out)
    client = current.client()
    kinds = [type] if type is not None else list(ListType)
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        left = None if limit is None else limit - len(rows)
        if left == 0:
            break
        items = client.material.stream_get_material(MaterialType(kind.value))
        rows.extend(_row(kind, item) for item in islice(items, left))
    view = table(
        None,
        ("type", "media id", "name / titles", "updated", "url"),
        [(r["type"], r["media_id"], r["name"], r["update_time"], r["url"]) for r in rows],
    )
    if not rows:
        current.output.note("no material found")
    current.output.result({"items": rows, "count": len(rows)}, view)


def count_material(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """How many images, voices, videos and news the account holds."""
    current = session(ctx, json_out)
    counts = current.client().material.get_material_count()
    data = {
        "image_count": counts.image_count,
        "voice_count": counts.voice_count,
        "video_count": counts.video_count,
        "news_count": counts.news_count,
    }
    view = table(
        None,
        ("image", "voice", "video", "news"),
        [(counts.image_count, counts.voice_count, counts.video_count, counts.news_count)],
    )
    current.output.result(data, view)


# wxm rm --------------------------------------------------------------------


def delete_each(current: Session, ids: list[str], delete: Callable[[str], None], what: str) -> None:
    """Delete every id (going on past failures), report each, and exit with the first error."""
    out = current.output
    results: list[dict[str, Any]] = []
    exit_code = 0
    for media_id in ids:
        try:
            delete(media_id)
        except Exception as exc:  # reported per id; the others are still deleted
            failure = failure_for(exc)
            exit_code = exit_code or failure.exit_code
            out.failure(Failure(failure.exit_code, f"{media_id}: {failure.message}", failure.hint))
            results.append(
                {
                    "media_id": media_id,
                    "deleted": False,
                    "error": failure.message,
                    "errcode": getattr(exc, "errcode", None),
                }
            )
            continue
        results.append({"media_id": media_id, "deleted": True})
    rows = [(r["media_id"], "deleted" if r["deleted"] else r["error"]) for r in results]
    out.result({"results": results}, table(None, (what, "result"), rows))
    if exit_code:
        raise typer.Exit(exit_code)


def ask_or_stop(current: Session, ids: list[str], noun: str, yes: bool) -> bool:
    """True to go ahead: ``--yes``, or the user said yes."""
    current.connection()  # no credentials: say so before asking anything
    if yes:
        return True
    label = ids[0] if len(ids) == 1 else f"{len(ids)} {noun}s"
    if confirm(f"Delete {label}? This cannot be undone."):
        return True
    current.output.note("nothing was deleted")
    current.output.result({"results": [], "cancelled": True})
    return False


def remove(
    ctx: typer.Context,
    media_ids: Annotated[
        list[str],
        typer.Argument(help="The media ids to delete.", metavar="MEDIA_ID", show_default=False),
    ],
    yes: YesFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Delete permanent material (asks first unless --yes)."""
    current = session(ctx, json_out)
    if not ask_or_stop(current, media_ids, "material", yes):
        return
    client = current.client()
    delete_each(current, media_ids, client.material.del_material, "media id")


def register(app: typer.Typer) -> None:
    """Add the material commands, ``wxm upload`` and ``wxm image`` among them."""
    app.command(
        "ls",
        epilog=examples(
            "wxm ls",
            "wxm ls --type image --limit 50",
            "wxm ls --type news --json | jq '.items[].titles'",
        ),
    )(list_material)
    app.command("count", epilog=examples("wxm count", "wxm count --json"))(count_material)
    upload.register(app)
    app.command(
        "get",
        epilog=examples(
            "wxm get MEDIA_ID",
            "wxm get MEDIA_ID -o photos/",
            "wxm get NEWS_ID -o news.md",
            "wxm get NEWS_ID -o - --format markdown",
            "wxm get MEDIA_ID -o - > photo.jpg",
            "wxm get MEDIA_ID -o photo.jpg --force",
            "wxm get MEDIA_ID --temporary -o voice.amr",
        ),
    )(get)
    app.command(
        "rm",
        epilog=examples(
            "wxm rm MEDIA_ID",
            "wxm rm ID1 ID2 ID3 --yes",
            "wxm ls --type voice --json | jq -r '.items[].media_id' | xargs wxm rm --yes",
        ),
    )(remove)
