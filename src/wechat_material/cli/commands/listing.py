"""``wxm ls`` and ``wxm count``: what permanent material the account holds."""

from __future__ import annotations

from enum import StrEnum
from itertools import islice
from typing import Annotated, Any

import typer

from wechat_material.cli.context import session
from wechat_material.cli.options import JsonFlag, examples
from wechat_material.cli.output import table
from wechat_material.limits import MaterialType
from wechat_material.models import MaterialItem, NewsItem


class ListType(StrEnum):
    """The types ``batchget_material`` lists (thumbs are listed with images by WeChat)."""

    IMAGE = "image"
    VIDEO = "video"
    VOICE = "voice"
    NEWS = "news"


def _row(kind: ListType, item: MaterialItem | NewsItem) -> dict[str, Any]:
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
        typer.Option("--limit", "-n", min=1, help="At most this many items in all."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """List permanent material, newest first, paging through everything automatically."""
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


def register(app: typer.Typer) -> None:
    app.command(
        "ls",
        epilog=examples(
            "wxm ls",
            "wxm ls --type image --limit 50",
            "wxm ls --type news --json | jq '.items[].titles'",
        ),
    )(list_material)
    app.command("count", epilog=examples("wxm count", "wxm count --json"))(count_material)
