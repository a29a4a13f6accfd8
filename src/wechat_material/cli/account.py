"""The account ``wxm`` talks to: ``wxm config set|show|list|use`` keep named
profiles of credentials (the file is described in :mod:`~wechat_material.cli.config`),
and ``wxm token`` shows the account's access token, masked unless asked for whole.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import RenderableType

from wechat_material.cli.config import (
    TOKEN_MODES,
    ConfigFile,
    Profile,
    TokenStoreChoice,
    check_profile_name,
    mask,
)
from wechat_material.cli.connection import is_wechat
from wechat_material.cli.context import session
from wechat_material.cli.errors import UsageProblem
from wechat_material.cli.output import JsonFlag, Output, examples, table
from wechat_material.cli.validate import (
    check_appid,
    check_base_url,
    check_proxy,
    check_secret,
    check_timeout,
    check_wechat_appid,
    flag,
)

# wxm config ----------------------------------------------------------------

config_app = typer.Typer(
    help=(
        "Named profiles of credentials, stored in config.toml (mode 0600) in the platform's "
        "config directory, or in WXM_CONFIG_DIR."
    ),
    epilog=examples(
        "wxm config set prod --appid wx1234567890abcdef", "wxm config list", "wxm config use prod"
    ),
    no_args_is_help=True,
)

NameArg = Annotated[
    str, typer.Argument(help="The profile's name.", metavar="NAME", show_default=False)
]


def _read_secret(name: str, from_stdin: bool) -> str:
    """The AppSecret: asked for (hidden) on a terminal, else the first line of stdin."""
    if not from_stdin and sys.stdin.isatty():
        value: str = typer.prompt(
            f"AppSecret for profile {name!r}", hide_input=True, confirmation_prompt=False, err=True
        )
    else:
        # No terminal to ask on (a script, a pipe, < /dev/null): read one line, never prompt.
        value = sys.stdin.readline()
        if not value:
            raise UsageProblem(
                f"no AppSecret for profile {name!r}: stdin is closed and there is no terminal "
                "to ask on",
                hint=f"pipe it in: printf '%s\\n' \"$WECHAT_SECRET\" | wxm config set {name} "
                "--secret-stdin; or pass --secret (visible to other users in ps).",
            )
    if not value.strip():
        raise UsageProblem("the AppSecret cannot be empty")
    return check_secret(value.strip(), flag("the AppSecret"))


@config_app.command(
    "set",
    epilog=examples(
        "wxm config set prod --appid wx1234567890abcdef   # asks for the AppSecret",
        "wxm config set prod --token-store redis://localhost:6379/0",
        "wxm config set local --sandbox --base-url http://127.0.0.1:8900 --use",
    ),
)
def set_profile(
    ctx: typer.Context,
    name: NameArg,
    appid: Annotated[str | None, typer.Option(help="The account's AppID.")] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            help="The AppSecret (visible in ps: prefer --secret-stdin or the prompt).",
            show_default=False,
        ),
    ] = None,
    secret_stdin: Annotated[
        bool,
        typer.Option(
            "--secret-stdin",
            help="Read the AppSecret from the first line of stdin. Without it (and without "
            "--secret) it is asked for on a terminal, or read from stdin when there is none.",
        ),
    ] = False,
    base_url: Annotated[str | None, typer.Option(help="API base URL (http or https).")] = None,
    token_store: Annotated[
        str | None,
        typer.Option(help="Where tokens live: memory, file, file:PATH or a redis:// URL."),
    ] = None,
    token_mode: Annotated[
        str | None,
        typer.Option(help="stable (/stable_token, the default) or token (/token)."),
    ] = None,
    sandbox: Annotated[
        bool | None,
        typer.Option("--sandbox/--no-sandbox", help="The profile talks to a sandbox."),
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            metavar="SECONDS",
            help="Seconds a reply may go without a byte (as --timeout of any command); "
            "'' removes it.",
        ),
    ] = None,
    proxy: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Call WeChat through this proxy (http://, https://, socks5://); '' removes it.",
        ),
    ] = None,
    use: Annotated[bool, typer.Option("--use", help="Also make it the current profile.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Create or change a profile; the secret is asked for when not given."""
    current = session(ctx, json_out)
    out = current.output
    check_profile_name(name)
    if secret is not None and secret_stdin:
        raise UsageProblem("give --secret or --secret-stdin, not both")
    config = current.config()
    profile = _profile_to_change(config, name, out)
    if appid is not None:
        profile.appid = check_appid(appid.strip(), flag("--appid"))
    if base_url is not None:
        url = base_url.strip()
        profile.base_url = check_base_url(url, flag("--base-url")) if url else None
    if token_store is not None:
        TokenStoreChoice.parse(token_store)  # fails with the accepted forms
        profile.token_store = token_store.strip()
    if token_mode is not None:
        if token_mode not in TOKEN_MODES:
            raise UsageProblem(
                f"unknown token mode {token_mode!r}", hint=f"use {' or '.join(TOKEN_MODES)}."
            )
        profile.token_mode = token_mode
    if sandbox is not None:
        profile.sandbox = sandbox
    if timeout is not None:
        seconds = timeout.strip()
        profile.timeout = check_timeout(seconds, flag("--timeout")) if seconds else None
    if proxy is not None:
        via = proxy.strip()
        profile.proxy = check_proxy(via, flag("--proxy")) if via else None
    if profile.appid and not profile.sandbox and is_wechat(profile.base_url):
        # What the global --appid refuses for WeChat is refused here too.
        check_wechat_appid(profile.appid, flag("--appid"))
    if secret is not None:
        profile.secret = check_secret(secret.strip(), flag("--secret")) if secret.strip() else None
    if secret_stdin:
        profile.secret = _read_secret(name, from_stdin=True)
    if not profile.sandbox:
        if not profile.appid:
            raise UsageProblem(f"profile {name!r} needs an AppID", hint="pass --appid wx....")
        if not profile.secret:
            profile.secret = _read_secret(name, from_stdin=False)
    out.redact.add(profile.secret)
    config.profiles[name] = profile
    config.broken.pop(name, None)
    if use or config.current is None:
        config.current = name
    config.save()
    out.success(f"saved profile {name!r} in {config.path}")
    out.result(
        {"profile": name, "current": config.current == name, **profile.public_view()},
        _profile_table(name, profile, config.current == name),
    )


def _profile_to_change(config: ConfigFile, name: str, out: Output) -> Profile:
    """The profile ``config set`` changes; a broken one keeps its good settings."""
    if name not in config.broken:
        return config.profiles.get(name, Profile())
    error, raw = config.broken[name]
    out.warn(f"{error.message}; settings that are not valid are dropped")
    profile, _ = Profile.parse(name, raw)
    return profile


def _profile_table(name: str, profile: Profile, current: bool) -> RenderableType:
    rows = [
        (key, ("yes" if value else "no") if isinstance(value, bool) else value)
        for key, value in profile.public_view().items()
    ]
    title = f"profile {name}" + (" (current)" if current else "")
    return table(title, ("setting", "value"), rows)


@config_app.command("show", epilog=examples("wxm config show", "wxm config show prod --json"))
def show_profile(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="The profile (default: the current one).", metavar="NAME")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a profile's settings (the secret masked)."""
    current = session(ctx, json_out)
    out = current.output
    config = current.config()
    chosen = name or config.current
    if chosen is None:
        raise UsageProblem(
            f"no current profile in {config.path}",
            hint="create one with 'wxm config set NAME --appid wx...'.",
        )
    profile = config.profile(chosen)
    out.result(
        {"profile": chosen, "current": config.current == chosen, **profile.public_view()},
        _profile_table(chosen, profile, config.current == chosen),
    )


@config_app.command("list", epilog=examples("wxm config list", "wxm config list --json"))
def list_profiles(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """List the profiles; the current one is marked."""
    current = session(ctx, json_out)
    out = current.output
    config = current.config()
    items = [
        {"profile": name, "current": name == config.current, **profile.public_view()}
        for name, profile in sorted(config.profiles.items())
    ]
    for name, (error, _) in sorted(config.broken.items()):
        out.warn(error.message)
        items.append({"profile": name, "current": name == config.current, "error": error.message})
    if not items:
        out.note(f"no profiles yet in {config.path}; create one with 'wxm config set'")
    rows = [
        (
            ("* " if item["current"] else "  ") + item["profile"],
            item["appid"],
            item["base_url"] or "(WeChat)",
            item["token_store"],
            item["token_mode"],
            "yes" if item["sandbox"] else "no",
        )
        if "error" not in item
        else (("* " if item["current"] else "  ") + item["profile"], "(broken: see above)")
        for item in items
    ]
    out.result(
        {"config_file": str(config.path), "current": config.current, "profiles": items},
        table(None, ("profile", "appid", "base url", "tokens", "token mode", "sandbox"), rows),
    )


@config_app.command("use", epilog=examples("wxm config use prod"))
def use_profile(ctx: typer.Context, name: NameArg, json_out: JsonFlag = False) -> None:
    """Make a profile the current one."""
    current = session(ctx, json_out)
    out = current.output
    config = current.config()
    config.profile(name)  # fails clearly for an unknown name
    config.current = name
    config.save()
    out.success(f"current profile: {name}")
    out.result({"current": name})


# wxm token -----------------------------------------------------------------


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
    app.add_typer(config_app, name="config")
    app.command(
        "token",
        epilog=examples(
            "wxm token",
            'curl "https://api.weixin.qq.com/cgi-bin/draft/count?access_token=$(wxm token --raw)"',
        ),
    )(show_token)
