"""Running the sandbox on a real socket: in a background thread, or in the foreground."""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from wechat_material._redact import hide_query_secrets, hide_secret_params
from wechat_material.fetching import is_loopback
from wechat_material.sandbox.admin import SandboxAdmin
from wechat_material.sandbox.connections import ServerLimits
from wechat_material.sandbox.http.access import Doors, admin_token_for, off_loopback_warning
from wechat_material.sandbox.http.app import create_app
from wechat_material.sandbox.http.middleware import ConnectionDropped
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.config import (
    ADMIN_TOKEN_ENV,
    DEMO_APPID,
    DEMO_SECRET,
    ClockMode,
    NewsAPI,
    SandboxConfig,
)
from wechat_material.sandbox.state.journal import HIDDEN_NAMES

log = logging.getLogger("wechat_material.sandbox")
STARTUP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 10.0


def default_data_dir() -> Path:
    """Where ``serve`` keeps its state unless told otherwise."""
    import platformdirs

    return platformdirs.user_data_path("wechat-material") / "sandbox"


def as_asgi3(app: ASGIApp) -> ASGIApp:
    """``app`` in a form uvicorn cannot mistake for a factory or an ASGI 2 app.

    uvicorn calls the object it is given with no arguments to learn whether it is a
    factory, and reads its ``__call__`` to tell ASGI 2 from 3. An application whose
    ``__call__`` takes ``*args`` (a decorated method, or one that mutation testing
    replaced) passes for a factory and an ASGI 2 app, and every request fails: such
    an app is served through a function with the three parameters. The sandbox's
    own app is served as it is, so a request pays for no extra layer.
    """
    try:
        parameters = inspect.signature(app).parameters.values()
    except (TypeError, ValueError):
        parameters = None
    if parameters is not None and not any(
        p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters
    ):
        return app

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)

    return asgi


class HideDroppedConnections(logging.Filter):
    """A connection cut by a drop fault is intended: no traceback in the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def _hide_whole(_value: str) -> str:
    return "***"


def hide_target_secrets(target: str) -> str:
    """A request target (``/path?query``) with its secrets (the journal's) hidden whole."""
    path, sep, query = target.partition("?")
    if not sep:
        return hide_query_secrets(target, _hide_whole, HIDDEN_NAMES)
    hidden = hide_query_secrets(query, _hide_whole, HIDDEN_NAMES)
    return f"{hide_secret_params(path, _hide_whole)}?{hidden}"


class RedactQuerySecrets(logging.Filter):
    """Access log lines show ``secret=***``, ``access_token=***`` and ``admin_token=***``
    however the name is spelled (``%73ecret=``), never the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_target_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def _quiet_dropped_connections() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, HideDroppedConnections) for f in logger.filters):
        logger.addFilter(HideDroppedConnections())


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose
    # proto says TCP, and accepted connections inherit it. With proto 0 every
    # small kept-alive reply waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening now, not when uvicorn gets going: the address is printed before
        # that, and a client that connects at once must queue, not be refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningSandbox:
    """A sandbox serving on ``base_url``; ``admin`` is bound to it (with the admin token)."""

    base_url: str
    app: Starlette
    admin: SandboxAdmin
    admin_token: str | None = field(default=None, repr=False)
    """What admin calls must send as ``Authorization: Bearer ...`` (None: nothing)."""

    @property
    def backend(self) -> SandboxBackend:
        backend: SandboxBackend = self.app.state.sandbox
        return backend


@contextmanager
def run_in_thread(
    config: SandboxConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: ServerLimits | None = None,
) -> Iterator[RunningSandbox]:
    """Serve a new sandbox with uvicorn in a background thread (port 0: a free port).

    Returns once it accepts connections; stops it cleanly on exit, closing the
    backend so its data directory is free again. Off loopback, the admin API
    needs a token (``config.admin_token``, or a new one): ``admin`` sends it::

        with run_in_thread() as sandbox:
            httpx.get(f"{sandbox.base_url}/cgi-bin/token", params={...})

    ``SandboxInUseError`` when another sandbox holds ``config.data_dir``.
    ``limits``: timeouts and connection limits (default: :class:`ServerLimits`).
    """
    app = create_app(config)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(app.state.sandbox.close)
        sock = cleanup.enter_context(contextlib.closing(_bind(host, port)))
        token = _open_doors(app, sock, app.state.sandbox.config.admin_token)
        if not is_loopback(sock.getsockname()[0]):
            log.warning("%s", off_loopback_warning(_url(sock)))
        _quiet_dropped_connections()
        # log_config=None: leave the host process's logging configuration alone.
        server = uvicorn.Server(
            uvicorn.Config(
                as_asgi3(app),
                interface="asgi3",
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="off",
                **(limits or ServerLimits()).uvicorn_options(),
            )
        )
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name="wechat-material-sandbox",
            daemon=True,
        )
        thread.start()
        base_url = _url(sock)
        try:
            _wait_until_serving(server, thread, sock)
            with SandboxAdmin(base_url, admin_token=token) as admin:
                yield RunningSandbox(base_url, app, admin, token)
        finally:
            server.should_exit = True
            thread.join(SHUTDOWN_TIMEOUT)


def _open_doors(app: Starlette, sock: socket.socket, given: str | None) -> str | None:
    """Tell the app where it is served; the admin token it now requires."""
    token, _ = admin_token_for(sock.getsockname()[0], given)
    doors: Doors = app.state.doors
    doors.bind(sock.getsockname()[1], token)
    return token


def _wait_until_serving(
    server: uvicorn.Server, thread: threading.Thread, sock: socket.socket
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the sandbox server stopped while starting; see the log")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sandbox did not start within {STARTUP_TIMEOUT:.0f} s")
        time.sleep(0.005)
    with socket.create_connection(sock.getsockname()[:2], timeout=STARTUP_TIMEOUT):
        pass


def parse_account(text: str | tuple[str, str]) -> tuple[str, str]:
    """``"APPID:SECRET"`` → ``("APPID", "SECRET")``."""
    if isinstance(text, tuple):
        return text
    appid, sep, secret = text.partition(":")
    if not sep or not appid or not secret:
        raise ValueError(f"an account is APPID:SECRET, got {appid or text!r}…")
    return appid, secret


def serve(
    host: str = "127.0.0.1",
    port: int = 8900,
    data_dir: Path | None = None,
    memory: bool = False,
    accounts: Sequence[str | tuple[str, str]] = (),
    *,
    clock: ClockMode = "running",
    seed: int | None = None,
    admin_token: str | None = None,
    allowed_hosts: Sequence[str] = (),
    news_api: NewsAPI = "retired",
    limits: ServerLimits | None = None,
    publish_seconds: float = SandboxConfig.publish_seconds,
) -> None:
    """Run a sandbox in the foreground until interrupted (Ctrl-C).

    State goes to ``data_dir`` (default: the user data directory), or stays in
    memory with ``memory=True``. Without ``accounts`` the demo account exists.
    The admin API requires ``admin_token`` (default: ``WXM_SANDBOX_ADMIN_TOKEN``;
    off loopback without either, a new token, printed); it answers the Hosts
    of loopback, IP addresses on the port, and ``allowed_hosts``.
    ``news_api="legacy"`` keeps add_news/update_news working (WeChat retired them).
    ``SandboxInUseError`` when another sandbox holds the data directory; it is
    released on exit. ``limits``: timeouts and connection limits (default:
    :class:`ServerLimits`). ``publish_seconds``: how long a publication takes.
    """
    if memory and data_dir is not None:
        raise ValueError("choose either a data directory or memory, not both")
    parsed = [parse_account(a) for a in accounts]
    config = SandboxConfig(
        data_dir=None if memory else (data_dir or default_data_dir()),
        accounts=parsed or [(DEMO_APPID, DEMO_SECRET)],
        clock=clock,
        seed=seed,
        admin_token=admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None,
        allowed_hosts=list(allowed_hosts),
        news_api=news_api,
        publish_seconds=publish_seconds,
    )
    app = create_app(config)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(app.state.sandbox.close)
        sock = cleanup.enter_context(contextlib.closing(_bind(host, port)))
        base_url = _url(sock)
        token = _open_doors(app, sock, config.admin_token)
        if not is_loopback(sock.getsockname()[0]):
            print(off_loopback_warning(base_url), file=sys.stderr, flush=True)
        lines = [
            f"WeChat material sandbox on {base_url}",
            f"  state: {config.data_dir or 'in memory (lost on exit)'}",
            f"  accounts: {', '.join(appid for appid, _ in parsed)}"
            if parsed
            else f"  demo account: appid {DEMO_APPID}  secret {DEMO_SECRET}",
            f"  admin API: {base_url}/_sandbox/health (see docs/sandbox.en.md)",
        ]
        if token is None:
            lines.insert(-1, f"  console: {base_url}/")
        else:
            given = token == config.admin_token
            shown = "the one given" if given else token
            lines.insert(-1, f"  console: {base_url}/?admin_token={'TOKEN' if given else token}")
            lines.append(f"  admin token: {shown} (send 'Authorization: Bearer TOKEN')")
        print("\n".join(lines), flush=True)
        _quiet_dropped_connections()
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, RedactQuerySecrets) for f in access.filters):
            access.addFilter(RedactQuerySecrets())
        options = (limits or ServerLimits()).uvicorn_options()
        server_config = uvicorn.Config(
            as_asgi3(app), interface="asgi3", log_level="info", lifespan="off", **options
        )
        uvicorn.Server(server_config).run(sockets=[sock])
