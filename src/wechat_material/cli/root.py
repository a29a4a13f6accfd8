"""The ``wxm`` command: the root options and the command groups (run by ``cli.main``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from wechat_material.cli import account, backup, demo, drafts, material, sandbox
from wechat_material.cli.config import ConnectionOptions
from wechat_material.cli.context import Session
from wechat_material.cli.errors import CliError, Failure, failure_for
from wechat_material.cli.output import Output, examples


class WxmGroup(TyperGroup):
    """Turns every failure inside a command into its exit code and a short message."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # exits and usage errors: typer reports them (exit 2 for usage)
        except BrokenPipeError:
            raise  # a closed pipe (`wxm ls | head`): typer exits quietly
        except (Exception, KeyboardInterrupt) as exc:
            report(ctx, exc)
            raise typer.Exit(failure_for(exc).exit_code) from None


def report(ctx: typer.Context, exc: BaseException) -> None:
    """Tell the user what went wrong, with the traceback under ``-v``."""
    current = ctx.find_root().obj
    output = current.output if isinstance(current, Session) else Output()
    failure: Failure = failure_for(exc)
    # -v shows where an unexpected failure came from; wxm's own errors say all there is.
    if output.verbose and not isinstance(exc, KeyboardInterrupt | CliError):
        output.traceback(exc)
    output.failure(failure)


app = typer.Typer(
    name="wxm",
    cls=WxmGroup,
    help=(
        "Manage the material of a WeChat Official Account: images, voice, video, "
        "thumbnails, articles, drafts and publishing.\n\n"
        "Credentials come from --appid/--secret, WECHAT_APPID/WECHAT_SECRET/WECHAT_BASE_URL "
        "or a profile ('wxm config set'). --sandbox runs any command on a local sandbox "
        "with a demo account, no WeChat account needed.\n\n"
        "Exit codes: 0 success, 1 WeChat error, 2 usage error, 3 invalid local input, "
        "130 interrupted."
    ),
    epilog=examples(
        "wxm --sandbox upload photo.jpg",
        "wxm config set prod --appid wx1234567890abcdef",
        "wxm ls --type image --limit 50",
        "wxm get MEDIA_ID -o photo.jpg",
        "wxm demo",
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Use this profile (default: WXM_PROFILE or current)."),
    ] = None,
    appid: Annotated[str | None, typer.Option("--appid", help="The account's AppID.")] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            help="The AppSecret (prefer WECHAT_SECRET or a profile: flags show in `ps`).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="API base URL (a sandbox's URL with --sandbox)."),
    ] = None,
    use_sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Talk to a local sandbox: --base-url, or an embedded one with a demo account.",
        ),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print results as one JSON document on stdout.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show details (tracebacks) on errors.")
    ] = False,
) -> None:
    options = ConnectionOptions(
        profile=profile, appid=appid, secret=secret, base_url=base_url, sandbox=use_sandbox
    )
    current = Session(options, Output(json_mode=json_out, verbose=verbose))
    ctx.obj = current
    ctx.call_on_close(lambda: close_session(ctx, current))


def close_session(ctx: typer.Context, current: Session) -> None:
    """Close the run's clients and sandbox once the command is done.

    Ctrl-C (or a failure) while they close, e.g. while the embedded sandbox
    stops, is reported like one inside a command: one line and its exit code.
    """
    try:
        current.close()
    except (Exception, KeyboardInterrupt) as exc:
        report(ctx, exc)
        raise typer.Exit(failure_for(exc).exit_code) from None


# The help lists the commands in the order they are added here, then the groups.
account.register(app)
material.register(app)
drafts.register(app)
backup.register(app)
sandbox.register(app)
demo.register(app)
