"""``wxm mcp``: serve the account to an assistant over the Model Context Protocol.

The server itself is :mod:`wechat_material.mcp_server` (the ``mcp`` extra); it
is imported when the command runs, so every other command starts without it.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from wechat_material.cli.context import Session, session
from wechat_material.cli.errors import UsageProblem
from wechat_material.cli.output import examples

PERMISSION_NAMES = ("delete", "publish")


def _roots(given: list[Path] | None) -> tuple[Path, ...]:
    if not given and Path.cwd().resolve() == Path(Path.cwd().anchor):
        # Desktop clients often start servers in /: the whole disk is no default.
        raise UsageProblem(
            f"the working directory is {Path.cwd().anchor}, which is no folder to work in",
            hint="give the folders the tools may use with --root DIR.",
        )
    roots = given or [Path.cwd()]
    checked = []
    for root in roots:
        if not root.is_dir():
            raise UsageProblem(f"--root {root}: no such folder", hint="give an existing folder.")
        checked.append(root.resolve())
    return tuple(dict.fromkeys(checked))


def _allowed(given: list[str] | None) -> frozenset[str]:
    allowed = set()
    for value in given or []:
        for name in value.split(","):
            if name.strip() not in PERMISSION_NAMES:
                raise UsageProblem(
                    f"--allow {value}: '{name.strip()}' is not something to allow",
                    hint="use --allow delete, --allow publish, or both.",
                )
            allowed.add(name.strip())
    return frozenset(allowed)


def _port(text: str, given: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageProblem(
            f"--http {given}: '{text}' is not a port", hint="give --http 127.0.0.1:PORT."
        )
    return int(text)


def http_binding(address: str, host: str | None, environ: dict[str, str]) -> Any:
    """The binding for ``--http ADDRESS`` (``PORT`` or ``HOST:PORT``) and ``--host HOST``.

    A host beyond loopback needs ``--host`` and a token of at least
    :data:`TOKEN_MIN_CHARS` characters in :data:`TOKEN_ENV`; a token given on
    loopback is asked for too.
    """
    from wechat_material.fetching import is_loopback
    from wechat_material.mcp_server.serving import TOKEN_ENV, TOKEN_MIN_CHARS, HttpBinding

    name, sep, port_text = address.rpartition(":")
    if not sep:
        name, port_text = "127.0.0.1", address
    name = name.strip("[]") or "127.0.0.1"
    port = _port(port_text, address)
    if not is_loopback(name):
        raise UsageProblem(
            f"--http {address} is not a loopback address",
            hint="serve on 127.0.0.1, or give the address with --host (and a token in "
            f"{TOKEN_ENV}) to serve beyond this machine.",
        )
    bind = host if host is not None else name
    token = environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < TOKEN_MIN_CHARS:
        raise UsageProblem(
            f"the token in {TOKEN_ENV} is too short ({len(token)} characters)",
            hint=f"use at least {TOKEN_MIN_CHARS} random characters, e.g. from "
            "'python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"'.",
        )
    if not is_loopback(bind) and token is None:
        raise UsageProblem(
            f"refusing to serve on {bind} without a bearer token",
            hint=f"set {TOKEN_ENV} to a long random token; clients then send "
            "'Authorization: Bearer <token>'.",
        )
    return HttpBinding(bind, port, token)


def _log(current: Session) -> Any:
    def log(message: str) -> None:
        print(f"wxm mcp: {current.output.redact(message)}", file=sys.stderr, flush=True)

    return log


def _workspace(current: Session, roots: tuple[Path, ...], allow: frozenset[str]) -> Any:
    from wechat_material._redact import redact
    from wechat_material.cli.publish import _cache
    from wechat_material.mcp_server import Workspace

    client = current.client()
    return Workspace(
        client=client,
        roots=roots,
        allow=allow,
        log=_log(current),
        # The publishing libraries load when a post is first published, not at start.
        cache=functools.cache(lambda: _cache(current)),
        hide=lambda text: current.output.redact(redact(text)),
    )


def mcp_command(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Serve this profile's account.", metavar="PROFILE"),
    ] = None,
    use_sandbox: Annotated[
        bool,
        typer.Option("--sandbox", help="Serve a sandbox account (embedded unless --base-url)."),
    ] = False,
    roots: Annotated[
        list[Path] | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="A folder the tools may read and write in; repeat for more "
            "(default: the working directory).",
            show_default=False,
        ),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            metavar="WHAT",
            help="Turn on 'delete' (delete_material, delete_draft) or 'publish' "
            "(submit_publication, publish_markdown draft_only=false); repeat for both.",
            show_default=False,
        ),
    ] = None,
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            metavar="ADDRESS",
            help="Serve streamable HTTP on 127.0.0.1:PORT (or PORT) instead of stdio.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="HOST",
            help="With --http: listen on this address instead; beyond loopback it needs "
            "a bearer token in WXM_MCP_TOKEN.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the account's material, drafts and publishing to an assistant (MCP).

    Speaks MCP on stdin/stdout (or streamable HTTP with --http). Paths stay inside the
    --root folders; deleting and publishing are off unless --allow turns them on.
    """
    current = session(ctx)
    options = current.options
    if profile is not None and options.profile not in (None, profile):
        raise UsageProblem(f"two profiles given: {options.profile} and {profile}")
    current.options = dataclasses.replace(
        options, profile=profile or options.profile, sandbox=options.sandbox or use_sandbox
    )
    if host is not None and http is None:
        raise UsageProblem("--host goes with --http", hint="add --http 127.0.0.1:PORT.")
    root_dirs, allowed = _roots(roots), _allowed(allow)

    from wechat_material import mcp_server
    from wechat_material.mcp_server.server import quiet_sdk_logs

    binding = http_binding(http, host, dict(os.environ)) if http is not None else None
    current.base_url()  # an embedded sandbox starts now, before the event loop does
    server = mcp_server.build_server(_workspace(current, root_dirs, allowed))
    quiet_sdk_logs()
    log = _log(current)
    shown = ", ".join(str(root) for root in root_dirs)
    log(
        f"serving {current.connection().appid}; roots: {shown}; allowed: "
        f"{', '.join(sorted(allowed)) or 'nothing destructive'}"
    )
    if binding is None:
        mcp_server.serve_stdio(server)
        return
    log(f"listening on {binding.url}" + (" (bearer token required)" if binding.token else ""))
    mcp_server.serve_http(server, binding)


def register(app: typer.Typer) -> None:
    app.command(
        "mcp",
        epilog=examples(
            "wxm mcp -p myaccount --root ~/posts",
            "wxm mcp --sandbox --allow delete --allow publish",
            "wxm mcp -p myaccount --http 127.0.0.1:8765",
        ),
    )(mcp_command)
