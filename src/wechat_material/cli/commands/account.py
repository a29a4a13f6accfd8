"""``wxm token``: the account's access token, masked unless asked for whole."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from wechat_material.cli.context import session
from wechat_material.cli.options import JsonFlag, examples
from wechat_material.cli.output import table
from wechat_material.tokens.base import mask


def show_token(
    ctx: typer.Context,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="Print the whole token alone on stdout, for scripts."),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Get a valid access token (from the token store, or fetched once) and its expiry."""
    current = session(ctx, json_out)
    out = current.output
    client = current.client()
    value = client.get_access_token()
    stored = client.token_manager.current()
    expires_at = stored.expires_at if stored is not None and stored.value == value else None
    data = {
        "appid": client.appid,
        "access_token": value if raw else mask(value),
        "expires_at": (datetime.fromtimestamp(expires_at, UTC) if expires_at is not None else None),
        "expires_in": round(expires_at - time.time()) if expires_at is not None else None,
        "token_store": current.connection().token_store.describe(),
    }
    if raw and not out.json_mode:
        out.plain(value)
        return
    view = table(
        None,
        ("appid", "token", "expires at", "expires in", "store"),
        [
            (
                data["appid"],
                data["access_token"],
                data["expires_at"],
                f"{data['expires_in']} s" if data["expires_in"] is not None else None,
                data["token_store"],
            )
        ],
    )
    out.result(data, view, raw=raw)


def register(app: typer.Typer) -> None:
    app.command(
        "token",
        epilog=examples(
            "wxm token",
            'curl "https://api.weixin.qq.com/cgi-bin/draft/count?access_token=$(wxm token --raw)"',
        ),
    )(show_token)
