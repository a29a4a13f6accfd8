"""``wxm rm``: delete permanent material, after asking."""

from __future__ import annotations

from typing import Annotated

import typer

from wechat_material.cli.context import session
from wechat_material.cli.deletion import ask_or_stop, delete_each
from wechat_material.cli.options import JsonFlag, YesFlag, examples


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
    app.command(
        "rm",
        epilog=examples(
            "wxm rm MEDIA_ID",
            "wxm rm ID1 ID2 ID3 --yes",
            "wxm ls --type voice --json | jq -r '.items[].media_id' | xargs wxm rm --yes",
        ),
    )(remove)
