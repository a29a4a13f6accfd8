"""``wxm sandbox serve|reset``: run the local WeChat sandbox, or wipe the embedded one.

One sandbox at a time may use a data directory: ``serve`` on a directory a
running sandbox holds, or ``reset`` under it, stops with exit 3
(:class:`~wechat_material.cli.errors.SandboxBusy`) and says how to go on.
"""

from __future__ import annotations

import shutil
import socket
import stat
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wechat_material.cli.config import SERVE_HOST, SERVE_PORT, sandbox_data_dir
from wechat_material.cli.context import session
from wechat_material.cli.errors import LocalInputError, UsageProblem, sandbox_busy
from wechat_material.cli.output import JsonFlag, YesFlag, confirm, examples


class NewsApiMode(StrEnum):
    RETIRED = "retired"
    LEGACY = "legacy"


STOP_IT_FIRST = "stop that sandbox first (Ctrl-C where it runs); nothing was deleted."

app = typer.Typer(
    help="Run the local WeChat sandbox, or wipe the embedded one's data.",
    epilog=examples("wxm sandbox serve --port 8900", "wxm sandbox reset --yes"),
    no_args_is_help=True,
)


@app.command(
    "serve",
    epilog=examples(
        "wxm sandbox serve",
        "wxm sandbox serve --port 8900 --memory",
        "wxm sandbox serve --news-api legacy   # add_news/update_news still work",
        "wxm sandbox serve --account wxaaaaaaaaaaaaaaaa:0123456789abcdef0123456789abcdef",
        "wxm --sandbox --base-url http://127.0.0.1:8900 ls   # in another terminal",
    ),
)
def serve_sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = SERVE_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = SERVE_PORT,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the sandbox's state here (default: the embedded sandbox's directory)."
        ),
    ] = None,
    memory: Annotated[
        bool, typer.Option("--memory", help="Keep everything in memory (gone on exit).")
    ] = False,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            help="An account APPID:SECRET (repeatable; default: the demo account).",
            show_default=False,
        ),
    ] = None,
    admin_token: Annotated[
        str | None,
        typer.Option(
            help="Admin API calls must send 'Authorization: Bearer TOKEN' "
            "(off loopback without it, a new one is printed).",
            envvar="WXM_SANDBOX_ADMIN_TOKEN",
            show_default=False,
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Another Host NAME[:PORT] the admin API answers to (repeatable).",
            show_default=False,
        ),
    ] = None,
    news_api: Annotated[
        NewsApiMode,
        typer.Option(
            "--news-api",
            help="add_news/update_news: 'retired' answers 45106 as WeChat does; "
            "'legacy' keeps them working.",
        ),
    ] = NewsApiMode.RETIRED,
    keep_alive_timeout: Annotated[
        int, typer.Option(help="Close idle kept-alive connections after this many seconds.", min=1)
    ] = 5,
    header_timeout: Annotated[
        float,
        typer.Option(help="Close connections whose request headers take longer (seconds)."),
    ] = 10.0,
    max_connections: Annotated[
        int, typer.Option(help="Answer HTTP 503 past this many connections.", min=1)
    ] = 200,
    publish_seconds: Annotated[
        float,
        typer.Option(
            help="How long a publication takes, in seconds of the sandbox's clock.",
            min=0,
        ),
    ] = 3.0,
) -> None:
    """Run the sandbox in the foreground (Ctrl-C stops it); it prints its base URL."""
    from wechat_material.sandbox import SandboxInUseError, ServerLimits
    from wechat_material.sandbox.server import parse_account, serve

    if memory and data_dir is not None:
        raise UsageProblem("--memory and --data-dir exclude each other")
    try:
        accounts = [parse_account(item) for item in account or []]
    except ValueError as exc:
        raise UsageProblem(f"invalid --account: {exc}", hint="use APPID:SECRET.") from None
    directory = None if memory else (data_dir or sandbox_data_dir())
    if directory is not None:
        check_directory(directory, "--data-dir")
    check_host(host, port)
    try:
        limits = ServerLimits(keep_alive_timeout, header_timeout, max_connections)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    try:
        serve(
            host,
            port,
            directory,
            memory,
            accounts,
            admin_token=admin_token,
            allowed_hosts=allowed_host or [],
            news_api=news_api.value,
            limits=limits,
            publish_seconds=publish_seconds,
        )
    except SandboxInUseError as exc:
        raise sandbox_busy(
            exc.data_dir,
            exc.pid,
            "use the running one (--base-url with the URL it printed), "
            "or serve another --data-dir, or --memory.",
        ) from None


def check_directory(path: Path, flag: str) -> None:
    """A directory to keep data in: missing (it is made) or a directory, else say what it is."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LocalInputError(f"{flag} {path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        from wechat_material._files import kind_of

        kind = "a file" if stat.S_ISREG(info.st_mode) else kind_of(info.st_mode)
        raise LocalInputError(
            f"{flag} {path}: {path.name} is {kind}, not a directory",
            hint="give a directory (a new one is made), or --memory to keep nothing.",
        )


def check_host(host: str, port: int) -> None:
    """The address to listen on must resolve; the error names it."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise UsageProblem(
            f"--host {host}: the name does not resolve ({reason})",
            hint="give an address of this machine, such as 127.0.0.1 or 0.0.0.0 (every "
            "interface), or a name that resolves to one.",
        ) from None


@app.command(
    "reset",
    epilog=examples("wxm sandbox reset", "wxm sandbox reset --yes"),
)
def reset_sandbox(ctx: typer.Context, yes: YesFlag = False, json_out: JsonFlag = False) -> None:
    """Delete the embedded sandbox's data (all its media, drafts and tokens).

    Refused while a sandbox is running on it (``wxm sandbox serve``): stop it first.
    """
    from wechat_material.sandbox import DataDirLock, SandboxInUseError, data_dir_in_use

    out = session(ctx, json_out).output
    directory = sandbox_data_dir()
    if not directory.exists():
        out.note(f"nothing to reset: {directory} does not exist")
        out.result({"reset": False, "data_dir": str(directory)})
        return
    if data_dir_in_use(directory):
        raise sandbox_busy(directory, None, STOP_IT_FIRST)
    if not yes and not confirm(f"Delete the embedded sandbox's data in {directory}?"):
        out.note("nothing was deleted")
        out.result({"reset": False, "data_dir": str(directory)})
        return
    try:
        # Held while deleting, so that no sandbox starts on the directory meanwhile.
        with DataDirLock(directory):
            shutil.rmtree(directory)
    except SandboxInUseError as exc:
        raise sandbox_busy(exc.data_dir, exc.pid, STOP_IT_FIRST) from None
    out.success(f"deleted {directory}")
    out.result({"reset": True, "data_dir": str(directory)})


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="sandbox")
