"""One ``wxm`` run: its output, its connection, and the clients built from it.

The root command stores a :class:`Session` in the typer context; commands take
it with :func:`session` and ask it for a client. The embedded sandbox, the
clients and the token stores are closed when the command ends, whatever
happens.

Progress bars get their byte counts where httpx moves the bytes
(:mod:`~wechat_material.cli.metering`).

This module is imported by every command, ``--help`` included, so httpx, the
SDK and the token stores are imported where a client is built, not here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from wechat_material.cli.config import (
    SERVE_URL,
    ConfigFile,
    TokenStoreChoice,
    config_file,
    sandbox_data_dir,
    token_file,
)
from wechat_material.cli.connection import Connection, ConnectionOptions, resolve
from wechat_material.cli.errors import sandbox_busy
from wechat_material.cli.output import Output

if TYPE_CHECKING:
    import httpx

    from wechat_material import AsyncWeChatClient, WeChatClient
    from wechat_material.cli.metering import OnTransfer
    from wechat_material.tokens import AsyncTokenStore, TokenStore

EMBEDDED_PUBLISH_SECONDS = 2.0

USE_THE_RUNNING_ONE = (
    f"talk to the running sandbox instead: wxm --sandbox --base-url {SERVE_URL} ... "
    "(the URL it printed); or stop it first."
)


class Session:
    """The state of one run, shared by the root command and the subcommand."""

    def __init__(self, options: ConnectionOptions, output: Output) -> None:
        self.options = options
        self.output = output
        output.redact.add(options.secret)
        self._resources = ExitStack()
        self._connection: Connection | None = None
        self._sandbox_url: str | None = None

    # settings -------------------------------------------------------------

    def config(self) -> ConfigFile:
        """The profile file, as it is now; a warning if other users may read it."""
        config = ConfigFile.load(config_file())
        if config.exposed:
            self.output.warn(
                f"{config.path} is readable by other users, and it holds secrets; "
                f"run 'chmod 600 {config.path}' (wxm's next change to it does that too)."
            )
        return config

    def connection(self) -> Connection:
        """The account and server for this run (resolved once)."""
        if self._connection is None:
            self._connection = resolve(self.options, self.config())
            self.output.redact.add(self._connection.secret)
        return self._connection

    def base_url(self) -> str | None:
        """The API base URL (None: WeChat's); starts the embedded sandbox when asked for."""
        conn = self.connection()
        if conn.sandbox != "embedded":
            return conn.base_url
        if self._sandbox_url is None:
            from wechat_material.sandbox import SandboxConfig, SandboxInUseError, run_in_thread

            data_dir = sandbox_data_dir()
            self.output.note(f"using the embedded sandbox (data in {data_dir})")
            # The clock follows real time here (unlike a test sandbox's frozen clock) and
            # publishing takes seconds rather than a minute, so every command can be tried.
            config = SandboxConfig(
                data_dir=data_dir, clock="running", publish_seconds=EMBEDDED_PUBLISH_SECONDS
            )
            try:
                running = self._resources.enter_context(run_in_thread(config))
            except SandboxInUseError as exc:
                raise sandbox_busy(exc.data_dir, exc.pid, USE_THE_RUNNING_ONE) from None
            self._sandbox_url = running.base_url
            self.output.ephemeral_url = running.base_url
        return self._sandbox_url

    def _client_args(self) -> dict[str, Any]:
        conn = self.connection()
        args: dict[str, Any] = {"token_mode": conn.token_mode}
        url = self.base_url()
        if url is not None:
            args["base_url"] = url
        if conn.timeout is not None:
            # --timeout is how long a reply may keep silent, for uploads as for the rest;
            # an upload's sends keep their longer allowance.
            from wechat_material.client import DEFAULT_UPLOAD_TIMEOUT

            args["timeout"] = conn.timeout
            args["upload_timeout"] = _timeouts(conn.timeout, DEFAULT_UPLOAD_TIMEOUT.write)
        return args

    def _trust_env(self) -> bool:
        """Whether the proxy variables apply: not to the embedded sandbox, in this process."""
        return self.connection().sandbox != "embedded"

    # clients ----------------------------------------------------------------

    def _learn_token(self, request: httpx.Request) -> None:
        # Every token the run sends is hidden from what it prints, even in results.
        self.output.redact.add(request.url.params.get("access_token"))

    def client(self, *, on_download: OnTransfer | None = None) -> WeChatClient:
        """A sync client, closed when the command ends; ``on_download`` meters file replies."""
        from wechat_material import WeChatClient

        conn = self.connection()
        store = build_token_store(conn.token_store)
        if conn.token_store.kind == "redis":
            # Only a Redis store holds a connection; redis itself is imported for it alone.
            from wechat_material.tokens import RedisTokenStore

            assert isinstance(store, RedisTokenStore)
            self._resources.callback(store.close)
        http = self._resources.enter_context(self._sync_http(conn.proxy, on_download))
        client = WeChatClient(
            conn.appid, conn.secret, token_store=store, http_client=http, **self._client_args()
        )
        return self._resources.enter_context(client)

    def _sync_http(self, proxy: str | None, on_download: OnTransfer | None) -> httpx.Client:
        """The sync client's httpx client: the run's proxy, and byte counts if asked for."""
        import httpx

        from wechat_material._transport import proxy_routes
        from wechat_material.cli.metering import MeteredTransport

        hooks = {"request": [self._learn_token]}
        trust_env = self._trust_env()
        if on_download is None:
            return httpx.Client(proxy=proxy, trust_env=trust_env, event_hooks=hooks)
        # A transport of one's own turns httpx's proxy handling off: each route gets its own.
        routes = proxy_routes(proxy, trust_env=trust_env)
        mounts: dict[str, httpx.BaseTransport | None] = {
            str(pattern.pattern): MeteredTransport(httpx.HTTPTransport(proxy=via), on_download)
            for pattern, via in routes
        }
        return httpx.Client(
            transport=MeteredTransport(httpx.HTTPTransport(), on_download),
            mounts=mounts,
            trust_env=False,
            event_hooks=hooks,
        )

    @asynccontextmanager
    async def async_client(
        self, *, on_upload: OnTransfer | None = None
    ) -> AsyncIterator[AsyncWeChatClient]:
        """An async client for ``async with``; ``on_upload`` meters multipart bodies."""
        import httpx

        from wechat_material import AsyncWeChatClient
        from wechat_material._transport import LaneTransport
        from wechat_material.cli.metering import AsyncMeteredTransport

        conn = self.connection()
        # Call base_url() before the event loop starts: starting an embedded sandbox blocks.
        args = self._client_args()
        async with AsyncExitStack() as stack:
            store = build_async_token_store(conn.token_store)
            if conn.token_store.kind == "redis":
                from wechat_material.tokens import AsyncRedisTokenStore

                assert isinstance(store, AsyncRedisTokenStore)
                stack.push_async_callback(store.aclose)
            transport: httpx.AsyncBaseTransport = LaneTransport(
                proxy=conn.proxy, trust_env=self._trust_env()
            )
            if on_upload is not None:
                transport = AsyncMeteredTransport(transport, on_upload)

            async def learn_token(request: httpx.Request) -> None:
                self._learn_token(request)

            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, event_hooks={"request": [learn_token]})
            )
            client = AsyncWeChatClient(
                conn.appid, conn.secret, token_store=store, http_client=http, **args
            )
            yield await stack.enter_async_context(client)

    def close(self) -> None:
        self._resources.close()


def _timeouts(seconds: float, write: float | None) -> httpx.Timeout:
    import httpx

    from wechat_material.client import DEFAULT_CONNECT_TIMEOUT

    return httpx.Timeout(
        seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT), write=max(seconds, write or 0)
    )


def _token_file(choice: TokenStoreChoice) -> Path:
    return Path(choice.location).expanduser() if choice.location else token_file()


def build_token_store(choice: TokenStoreChoice) -> TokenStore:
    """A token store from a profile's ``token_store`` setting."""
    from wechat_material.tokens import FileTokenStore, MemoryTokenStore

    if choice.kind == "memory":
        return MemoryTokenStore()
    if choice.kind == "file":
        return FileTokenStore(_token_file(choice))
    # Imported for this kind alone: redis takes longer to import than a command to run.
    from wechat_material.tokens import RedisTokenStore

    assert choice.location is not None
    return RedisTokenStore.from_url(choice.location)


def build_async_token_store(choice: TokenStoreChoice) -> TokenStore | AsyncTokenStore:
    """The same store for an async client (Redis through redis.asyncio)."""
    if choice.kind == "redis":
        from wechat_material.tokens import AsyncRedisTokenStore

        assert choice.location is not None
        return AsyncRedisTokenStore.from_url(choice.location)
    return build_token_store(choice)


def session(ctx: typer.Context, json_out: bool = False) -> Session:
    """The run's session; ``json_out`` is a command's own ``--json`` flag."""
    current: Session = ctx.find_root().obj
    if json_out:
        current.output.json_mode = True
    return current
