"""The ``wxm`` command: the root options and the command groups (run by ``cli.main``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from wechat_material.cli import account, backup, demo, drafts, material, publish, sandbox
from wechat_material.cli.connection import ConnectionOptions
from wechat_material.cli.context import Session
from wechat_material.cli.errors import CliError, Failure, failure_for
from wechat_material.cli.exit_codes import EXIT_USAGE
from wechat_material.cli.output import Output, examples
from wechat_material.errors import APIError


class WxmGroup(TyperGroup):
    """Turns every failure inside a command into its exit code and a short message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_flags(self)

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **kw: Any) -> Any:
        # The root options themselves may not parse (``wxm --json --appid``).
        given = list(args)  # parsing consumes the list
        try:
            return super().make_context(info_name, args, *rest, **kw)
        except typer.TyperException as exc:
            if "--json" in given:
                _usage_document(Output(), exc)
            raise

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        # The subcommand's own arguments, for their --json should they not parse.
        rest = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            # typer prints a usage error; a --json run also gets its error document.
            if _wants_json(ctx, rest):
                _usage_document(_output(ctx), exc)
            raise
        except (typer.Exit, typer.Abort):
            raise  # typer ends the run with their exit code
        except BrokenPipeError:
            raise  # a closed pipe (`wxm ls | head`): typer exits quietly
        except (Exception, KeyboardInterrupt) as exc:
            report(ctx, exc)
            raise typer.Exit(failure_for(exc).exit_code) from None


def _plain_flags(command: Any) -> None:
    """No ``<bool>`` after on/off flags in the help (this typer shows a type for them)."""
    options = [p for p in command.params if getattr(p, "is_flag", False)]
    help_option = command.get_help_option(typer.Context(command, help_option_names=HELP_NAMES))
    for option in [*options, *([help_option] if help_option is not None else [])]:
        if option.metavar is None:
            option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)


def _usage_document(output: Output, exc: Exception) -> None:
    """The --json error document for a usage error that typer reports itself."""
    if getattr(exc, "exit_code", None) != EXIT_USAGE:
        return
    message = getattr(exc, "format_message", exc.__str__)()
    output.json_mode = True
    output.error_document(Failure(EXIT_USAGE, message, "see the command's --help."), None, None)


def _output(ctx: typer.Context) -> Output:
    current = ctx.find_root().obj
    return current.output if isinstance(current, Session) else Output()


def _wants_json(ctx: typer.Context, args: list[str]) -> bool:
    # ctx.params: the root's --json, before the root callback made the session.
    return _output(ctx).json_mode or bool(ctx.params.get("json_out")) or "--json" in args


def report(ctx: typer.Context, exc: BaseException) -> None:
    """Tell the user what went wrong, with the traceback under ``-v``.

    The message goes to stderr; with ``--json``, stdout gets one JSON error document.
    """
    output = _output(ctx)
    failure: Failure = failure_for(exc)
    # -v shows where an unexpected failure came from; wxm's own errors say all there is.
    if output.verbose and not isinstance(exc, KeyboardInterrupt | CliError):
        output.traceback(exc)
    output.failure(failure)
    if isinstance(exc, APIError):
        output.error_document(failure, exc.errcode, exc.errmsg)
    else:
        output.error_document(failure, None, None)


def package_version() -> str:
    try:
        return version("wechat-material")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"wxm (wechat-material) {package_version()}")
        raise typer.Exit()


HELP_NAMES = ["-h", "--help"]


app = typer.Typer(
    name="wxm",
    cls=WxmGroup,
    help=(
        "Manage the material of a WeChat Official Account: images, voice, video, "
        "thumbnails, articles, drafts and publishing.\n\n"
        "Settings come from, highest first: flags (--appid, --secret, --base-url), the "
        "environment (WECHAT_APPID, WECHAT_SECRET, WECHAT_BASE_URL), the profile "
        "(--profile, WXM_PROFILE, or the current one: 'wxm config set'), then defaults. "
        "A profile named with --profile (or restore's --to) beats the environment: "
        "its appid, secret and base URL are used even when WECHAT_* are set. "
        "The same order holds on a sandbox (--sandbox or a sandbox profile), whose default "
        "account is the sandbox's demo account. --sandbox runs any command on a local "
        "sandbox, no WeChat account needed.\n\n"
        "Exit codes: 0 success, 1 WeChat error, 2 usage error, 3 invalid local input, "
        "130 interrupted (143 SIGTERM, 129 SIGHUP)."
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
    context_settings={"help_option_names": HELP_NAMES},
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
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print wxm's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
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
publish.register(app)
backup.register(app)
sandbox.register(app)
demo.register(app)
