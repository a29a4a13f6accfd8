"""``wxm demo``: a tour of every feature on an embedded sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wechat_material.cli.busy_sandbox import sandbox_busy
from wechat_material.cli.context import session
from wechat_material.cli.options import JsonFlag, examples


def demo(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the demo sandbox's state here (default: in memory)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Upload, list, count, download, draft and publish on a throw-away sandbox."""
    from wechat_material.cli.demo import run_demo
    from wechat_material.sandbox import SandboxInUseError

    out = session(ctx, json_out).output
    try:
        report = run_demo(None if out.json_mode else out.out, out.err, data_dir=data_dir)
    except SandboxInUseError as exc:
        raise sandbox_busy(
            exc.data_dir, exc.pid, "give another --data-dir, or none to run the demo in memory."
        ) from None
    out.result(report.as_json())


def register(app: typer.Typer) -> None:
    app.command("demo", epilog=examples("wxm demo", "wxm demo --json"))(demo)
