"""The ``wxm`` command: the root options and the command groups (run by ``cli.main``)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from wechat_material.cli.exit_codes import EXIT_USAGE
from wechat_material.cli.output import examples, show_utc, show_wide
from wechat_material.cli.version import version_line

if TYPE_CHECKING:
    from wechat_material.cli.context import Session
    from wechat_material.cli.output import Output

# Every command, in the order the help lists them: its name, the function that adds
# it to a typer app (``module:attribute``, the module under ``wechat_material.cli``),
# and the line ``wxm --help`` shows for it. A command's module is imported only when
# that command runs or shows its own help, so that ``wxm --help`` and ``wxm --version``
# load neither the SDK nor httpx. Adding a command is one entry here
# (tests/cli/test_startup.py checks each help line against the command's own).
_ACCESS = "Get a valid access token (from the token store, or fetched once) and its expiry."
_LS = "List permanent material, newest first, paging through everything automatically."
_UPLOAD = "Upload images, voice, video or thumbs; every file is checked before any is sent."
_IMAGE = "Upload images for article HTML (JPG/PNG under 1 MB); prints their URLs, one a line."
_GET = "Download any material: a file, a video (through its URL), news as JSON or Markdown."
_PUBLISH = "Publish a Markdown post as a draft: render, upload new images, save, read back."
_CONFIG = (
    "Named profiles of credentials, stored in config.toml (mode 0600) in the "
    "platform's config directory, or in WXM_CONFIG_DIR."
)
_NEWS = "Permanent news material (WeChat retired add/update in 2022: prefer 'wxm draft')."
_BACKUP = (
    "Back up the whole library (material, news, drafts, published articles) into DIR, "
    "check a backup, or summarise it. Run it again to update: only what changed is fetched."
)
_RESTORE = "Restore a backup into another account: material, then articles as drafts."
_DEMO = "Upload, list, count, download, draft and publish on a throw-away sandbox."
_SANDBOX = "Run the local WeChat sandbox, or wipe the embedded one's data."
_MCP = "Serve the account's material, drafts and publishing to an assistant (MCP)."
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("token", "account:register", _ACCESS),
    ("ls", "material:register", _LS),
    ("count", "material:register", "How many images, voices, videos and news the account holds."),
    ("upload", "material:register", _UPLOAD),
    ("image", "material:register", _IMAGE),
    ("get", "material:register", _GET),
    ("rm", "material:register", "Delete permanent material (asks first unless --yes)."),
    ("publish", "publish:register", _PUBLISH),
    ("restore", "backup:register", _RESTORE),
    ("demo", "demo:register", _DEMO),
    ("config", "account:register", _CONFIG),
    ("news", "drafts:register", _NEWS),
    ("draft", "drafts:register", "The draft box, and publishing drafts."),
    ("backup", "backup:register", _BACKUP),
    ("sandbox", "sandbox:register", _SANDBOX),
    ("mcp", "mcp:register", _MCP),
)

_loaded: dict[str, TyperGroup] = {}


def load_commands(target: str) -> TyperGroup:
    """The commands that ``module:attribute`` adds to a typer app, as a click group."""
    group = _loaded.get(target)
    if group is None:
        module, _, attribute = target.partition(":")
        register: Callable[[typer.Typer], None] = getattr(
            import_module(f"wechat_material.cli.{module}"), attribute
        )
        holder = typer.Typer(rich_markup_mode="rich", add_completion=False)
        register(holder)
        group = typer.main.get_group(holder)
        _plain_flags(group)
        _text_without_pydantic(group)
        _loaded[target] = group
    return group


def load_command(name: str) -> Any:
    """The command ``name`` of the table (a typer command), its module imported now."""
    for command, target, _help in COMMANDS:
        if command == name:
            group = load_commands(target)
            return group.get_command(typer.Context(group), name)
    return None


class WxmGroup(TyperGroup):
    """Turns every failure inside a command into its exit code and a short message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_flags(self)
        _text_without_pydantic(self)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [name for name, _target, _help in COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing:
            # The root's help lists the commands from the table, loading none of them.
            for name, _target, text in COMMANDS:
                if name == cmd_name:
                    return TyperCommand(name, help=text, short_help=text)
            return None
        return load_command(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **kw: Any) -> Any:
        # The root options themselves may not parse (``wxm --json --appid``).
        given = list(args)  # parsing consumes the list
        try:
            return super().make_context(info_name, args, *rest, **kw)
        except typer.TyperException as exc:
            if "--json" in given:
                from wechat_material.cli.output import Output

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
            from wechat_material.cli.errors import failure_for

            report(ctx, exc)
            raise typer.Exit(failure_for(exc).exit_code) from None


def _params_of(command: Any) -> list[Any]:
    """The parameters of ``command``, its help option (made once, then kept) included."""
    help_option = command.get_help_option(typer.Context(command, help_option_names=HELP_NAMES))
    return [*command.params, *([help_option] if help_option is not None else [])]


def _plain_flags(command: Any) -> None:
    """No ``<bool>`` after on/off flags in the help (this typer shows a type for them)."""
    for option in _params_of(command):
        if getattr(option, "is_flag", False) and option.metavar is None:
            option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)


class _TextCoercion:
    """What typer's coercion gives a text parameter, for the values that need no pydantic.

    typer builds a pydantic ``TypeAdapter`` for every parameter it processes, even one
    left out, and importing pydantic for that costs more than most commands take. A
    value left out stays ``None`` (``()`` for one taking many) and a text stays the
    same text, as with typer's own adapter for ``str``; any other value goes to typer.
    """

    def __init__(self, typers: Callable[[], Any], plain_text: bool) -> None:
        self._typers = typers
        self._plain_text = plain_text

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        many = param.multiple or param.nargs == -1
        if value is None:
            return () if many else None
        if self._plain_text and not many and type(value) is str:
            return value
        return self._typers().coerce(value, param=param, ctx=ctx)


def _text_without_pydantic(command: Any) -> None:
    """Spare the parameters of ``command`` (and its subcommands) typer's pydantic adapter.

    Only the parameters typer made (a ``get_runtime_param`` and a ``type_descriptor``)
    are touched; a typer without them keeps its own coercion for all of them.
    """
    for param in _params_of(command):
        descriptor = getattr(param, "type_descriptor", None)
        typers = getattr(param, "get_runtime_param", None)
        if descriptor is None or typers is None:
            continue
        info = descriptor.parameter_info
        plain_text = (
            descriptor.annotation is str
            and descriptor.file_annotation is None
            and getattr(info, "parser", None) is None
            and getattr(info, "click_type", None) is None
        )
        light = _TextCoercion(typers, plain_text)
        param.get_runtime_param = lambda light=light: light
    for sub in getattr(command, "commands", {}).values():
        _text_without_pydantic(sub)


def _usage_document(output: Output, exc: Exception) -> None:
    """The --json error document for a usage error that typer reports itself."""
    if getattr(exc, "exit_code", None) != EXIT_USAGE:
        return
    from wechat_material.cli.errors import Failure

    message = getattr(exc, "format_message", exc.__str__)()
    output.json_mode = True
    output.error_document(Failure(EXIT_USAGE, message, "see the command's --help."), None, None)


def _output(ctx: typer.Context) -> Output:
    from wechat_material.cli.context import Session
    from wechat_material.cli.output import Output

    current = ctx.find_root().obj
    return current.output if isinstance(current, Session) else Output()


def _wants_json(ctx: typer.Context, args: list[str]) -> bool:
    # ctx.params: the root's --json, before the root callback made the session.
    return _output(ctx).json_mode or bool(ctx.params.get("json_out")) or "--json" in args


def report(ctx: typer.Context, exc: BaseException) -> None:
    """Tell the user what went wrong, with the traceback under ``-v``.

    The message goes to stderr; with ``--json``, stdout gets one JSON error document.
    """
    from wechat_material.cli.errors import CliError, Failure, failure_for
    from wechat_material.errors import APIError

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


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
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
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Seconds a reply may go without a byte (default 15; connecting: 5). "
            "Also WECHAT_TIMEOUT or a profile's timeout.",
            show_default=False,
        ),
    ] = None,
    proxy: Annotated[
        str | None,
        typer.Option(
            "--proxy",
            metavar="URL",
            help="Call WeChat through this proxy: http://, https:// or socks5:// "
            "(default: the profile's proxy, else HTTPS_PROXY/ALL_PROXY/NO_PROXY).",
            show_default=False,
        ),
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
    wide: Annotated[
        bool,
        typer.Option("--wide", help="Tables show every column, even wider than the terminal."),
    ] = False,
    utc: Annotated[
        bool, typer.Option("--utc", help="Show times in UTC (default: the local time zone).")
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
    from wechat_material.cli.connection import ConnectionOptions
    from wechat_material.cli.context import Session
    from wechat_material.cli.output import Output

    options = ConnectionOptions(
        profile=profile,
        appid=appid,
        secret=secret,
        base_url=base_url,
        sandbox=use_sandbox,
        timeout=timeout,
        proxy=proxy,
    )
    if not verbose:
        _quiet_library_log()
    show_wide(wide)
    show_utc(utc)
    current = Session(options, Output(json_mode=json_out, verbose=verbose))
    ctx.obj = current
    ctx.call_on_close(lambda: close_session(ctx, current))


def _quiet_library_log() -> None:
    """Keep the SDK's log warnings off stderr: wxm says what went wrong itself, once.

    Without a handler, Python prints the warnings of a library's logger on stderr
    (a failed token fetch, then the error that explains it). A do-nothing handler
    stops that; an application that sets up logging still gets every record, and
    ``-v`` shows them.
    """
    import logging

    log = logging.getLogger("wechat_material")
    if not any(isinstance(handler, logging.NullHandler) for handler in log.handlers):
        log.addHandler(logging.NullHandler())


def close_session(ctx: typer.Context, current: Session) -> None:
    """Close the run's clients and sandbox once the command is done.

    Ctrl-C (or a failure) while they close, e.g. while the embedded sandbox
    stops, is reported like one inside a command: one line and its exit code.
    """
    try:
        current.close()
    except (Exception, KeyboardInterrupt) as exc:
        from wechat_material.cli.errors import failure_for

        report(ctx, exc)
        raise typer.Exit(failure_for(exc).exit_code) from None
