"""The clients: :class:`WeChatClient` (blocking) and :class:`AsyncWeChatClient` (asyncio).

Both have the same surface: ``client.material``, ``client.draft``,
``client.publish``, plus the account helpers below. They share every rule
(token refresh, retries, validation, reply parsing); only the I/O differs.

    >>> with WeChatClient.from_env() as client:
    ...     client.material.add_material("image", "cover.jpg")
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar

import httpx

from wechat_material import _calls as calls
from wechat_material import _endpoints as ep
from wechat_material._calls import Call
from wechat_material._config import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from wechat_material._config import DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT
from wechat_material._config import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from wechat_material._config import DEFAULT_UPLOAD_TIMEOUT as DEFAULT_UPLOAD_TIMEOUT
from wechat_material._config import (
    ClientConfig,
    TokenMode,
    client_config,
    from_environment,
)
from wechat_material._config import proxy_problem as proxy_problem
from wechat_material._drivers import AsyncDriver, SyncDriver, with_doc_of
from wechat_material._flow import TokenFlows, download_into
from wechat_material._redact import guard_httpx_logs
from wechat_material._transport import LaneTransport
from wechat_material.draft import AsyncDraftAPI, DraftAPI
from wechat_material.errors import ValidationError
from wechat_material.material import AsyncMaterialAPI, MaterialAPI
from wechat_material.media_file import FileDownload
from wechat_material.models import QuotaInfo
from wechat_material.publish import AsyncPublishAPI, PublishAPI
from wechat_material.retry import RetryPolicy
from wechat_material.tokens.base import (
    AsyncFetcher,
    AsyncTokenStore,
    Fetcher,
    TokenGrant,
    TokenStore,
)
from wechat_material.tokens.manager import AsyncTokenManager, TokenManager
from wechat_material.tokens.memory import shared_memory_store
from wechat_material.tokens.scope import ScopedTokenStore, TokenScope, scoped_store, token_scope

_Manager = TypeVar("_Manager", TokenManager, AsyncTokenManager)
_Driver = TypeVar("_Driver", SyncDriver, AsyncDriver)


def _fetcher_on(driver: SyncDriver | AsyncDriver, call: Call[TokenGrant]) -> Callable[[], Any]:
    """The token call on ``driver``: what the token manager fetches with on its own."""
    return lambda: driver.call(call)


class _ClientBase:
    """What both clients share: settings, identity, repr, and how their parts are wired."""

    _config: ClientConfig
    _tokens: TokenFlows

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """A client from ``WECHAT_APPID``, ``WECHAT_SECRET`` and (optional) ``WECHAT_BASE_URL``.

        Keyword arguments are passed on and win over the environment.

            >>> client = WeChatClient.from_env(retry=RetryPolicy(max_attempts=5))
        """
        return cls(**from_environment(kwargs, os.environ))

    @property
    def appid(self) -> str:
        return self._config.appid

    @property
    def base_url(self) -> str:
        return self._config.settings.base_url

    def _fetch_call(self) -> Call[TokenGrant]:
        """The call that fetches this client's tokens from WeChat."""
        config = self._config
        assert config.secret is not None
        return calls.fetch_token(config.appid, config.secret, config.token_mode)

    def _wire(
        self,
        http: Any,
        manager: Callable[..., _Manager],
        driver: Callable[..., _Driver],
        token_store: TokenStore | AsyncTokenStore | None,
        token_fetcher: Fetcher | AsyncFetcher | None,
    ) -> tuple[_Manager, _Driver]:
        """This client's token manager and the driver of its calls, both over ``http``.

        Without a ``token_fetcher`` of the caller's, the manager fetches with
        the token call on a driver of its own (for the manager used on its
        own), and the calls' driver runs the same call inside its flows.
        """
        config = self._config
        settings = config.settings
        fetch_call = None
        if token_fetcher is None:
            fetch_call = self._fetch_call()
            token_fetcher = _fetcher_on(driver(http, settings), fetch_call)
        token_manager = manager(
            config.appid,
            token_fetcher,
            self._store_for(token_store),
            refresh_margin=config.refresh_margin,
            clock=settings.clock,
        )
        # One driver performs every step of a call, the token policy's included:
        # the request flow runs the policy itself, and fetches with its own call.
        self._tokens = TokenFlows(token_manager.policy, settings, fetch_call)
        return token_manager, driver(http, settings, token_manager.access, self._tokens)

    def _token_scope(self) -> TokenScope:
        """This client's slot in any token store (see :mod:`wechat_material.tokens.scope`).

        Clients of one API host and one appid share it when they also share the
        secret; a client with a wrong secret gets its own, and fails as it
        should rather than use the others' token. Clients that get tokens from a
        ``token_fetcher`` of their own share one per host and appid.
        """
        config = self._config
        url = config.settings.base_url
        if config.has_fetcher or config.secret is None:
            return token_scope(url, config.appid, None)
        return token_scope(url, config.appid, config.secret.get_secret_value())

    def _store_for(self, given: TokenStore | AsyncTokenStore | None) -> Any:
        # Every store keys this client's token by its scope (host, appid and
        # secret): a token never reaches another host or another secret.
        scope = self._token_scope()
        if given is None:
            return shared_memory_store(scope.key)
        return scoped_store(given, scope)

    def __repr__(self) -> str:
        # Never the secret, never a token.
        config = self._config
        return (
            f"{type(self).__name__}(appid={config.appid!r}, "
            f"base_url={config.settings.base_url!r}, token_mode={config.token_mode!r})"
        )


class WeChatClient(_ClientBase):
    """A blocking client for one official account.

    - ``appid`` / ``secret``: the account's AppID and AppSecret.
    - ``base_url``: WeChat's API host, or a sandbox's URL.
    - ``timeout`` / ``upload_timeout``: seconds (or an ``httpx.Timeout``) per request:
      how long a reply may go without a byte (connecting never waits more than
      5 s). Default: 15 s, connect 5 s; an upload's sends may stall 120 s. A read
      that times out is sent once more; an upload only if it never connected.
    - ``proxy``: send every call through this proxy (``http://``, ``https://`` or
      ``socks5://`` with ``pip install 'httpx[socks]'``). Without it the
      standard ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` variables apply.
    - ``token_store``: where the access token lives; share one (file, Redis)
      between every process of the account, or they will keep invalidating
      each other's tokens. Default: a memory store shared by every client of
      this process with the same ``base_url``, appid and secret (sync and
      async alike), so that clients made per request reuse one token instead
      of calling ``/token`` each time and never end each other's tokens.
      Clients given a ``token_fetcher`` share one per ``base_url`` and appid.
    - ``token_mode``: ``"token"`` (``/cgi-bin/token``) or ``"stable"``
      (``/cgi-bin/stable_token``, which hands every caller the same token).
    - ``token_fetcher``: get tokens from elsewhere (your token server): a
      callable returning a :class:`TokenGrant`; then ``secret`` is not needed.
    - ``retry``: a :class:`RetryPolicy`; ``http_client``: your own
      ``httpx.Client`` (you close it); ``clock``: seconds since the epoch.
    - ``refresh_margin``: a token with that many seconds left is refreshed.

        >>> client = WeChatClient("wx0123456789abcdef", "secret")
        >>> client.material.get_material_count()
    """

    def __init__(
        self,
        appid: str,
        secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: float | httpx.Timeout = DEFAULT_UPLOAD_TIMEOUT,
        token_store: TokenStore | None = None,
        token_mode: TokenMode = "token",  # noqa: S107 - a mode name
        token_fetcher: Fetcher | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = 300.0,
        proxy: str | None = None,
    ) -> None:
        self._config = client_config(
            appid=appid,
            secret=secret,
            base_url=base_url,
            timeout=timeout,
            upload_timeout=upload_timeout,
            token_mode=token_mode,
            has_fetcher=token_fetcher is not None,
            retry=retry,
            clock=clock,
            refresh_margin=refresh_margin,
            proxy=proxy,
            own_http=http_client is None,
        )
        guard_httpx_logs()
        # Made once the arguments are checked: nothing below can fail and leave it open.
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(proxy=proxy)
        self.token_manager, self._driver = self._wire(
            self._http, TokenManager, SyncDriver, token_store, token_fetcher
        )
        self.material = MaterialAPI(self._driver)
        self.draft = DraftAPI(self._driver)
        self.publish = PublishAPI(self._driver)

    def get_access_token(self) -> str:
        """A valid access token (from the store, or fetched once if there is none).

        >>> token = client.get_access_token()
        """
        return self._driver.drive(self._tokens.get())

    def clear_quota(self) -> None:
        """Reset the account's daily API quotas (清空 api 的调用quota): 10 times a month.

        >>> client.clear_quota()
        """
        return self._driver.call(calls.clear_quota(self._config.appid))

    def get_api_quota(self, cgi_path: str) -> QuotaInfo:
        """How much of one API's daily quota is used (查询openAPI调用quota).

        >>> client.get_api_quota("/cgi-bin/material/add_material").quota.remain
        """
        return self._driver.call(calls.get_api_quota(cgi_path))

    # For tools that keep a whole account (wechat_material.backup): the lists as
    # WeChat sends them, files with what WeChat said of them, an async twin.

    @property
    def http_client(self) -> httpx.Client:
        """The ``httpx.Client`` the calls go through (yours, if you passed one in).

        For fetches that belong with the calls (the pictures of articles): the
        same proxy and connections. Closed with the client if it made it.
        """
        return self._http

    def list_page(self, kind: str, offset: int = 0, count: int = 20) -> dict[str, Any]:
        """One page of a list, the JSON object as WeChat sent it, nothing left out.

        ``kind`` is one of :data:`wechat_material.limits.LIST_KINDS`: a material
        type (``image``, ``voice``, ``video``, ``news``), ``draft`` or
        ``published`` (articles with their content). For keeping a copy of an
        account; the typed ``batch_get`` methods are the everyday way.

            >>> client.list_page("draft")["total_count"]
        """
        return self._driver.call(calls.list_page(kind, offset, count))

    def fetch_material(self, media_id: str, file: BinaryIO) -> FileDownload:
        """Write permanent material's bytes into ``file`` and say what WeChat said of it.

        ``file`` must be open for writing and seekable: a retry truncates it
        and starts over. A video is fetched from its ``down_url``, and its
        title and description come back with it. Raises
        :class:`~wechat_material.NotAFileError` for a news material.
        :meth:`MaterialAPI.download_material` is the everyday way.

            >>> with open("copy", "wb") as file:
            ...     client.fetch_material(media_id, file).content_type
        """
        return self._driver.run(download_into(ep.MATERIAL_GET, media_id, file))

    def async_client(self) -> AsyncWeChatClient:
        """An :class:`AsyncWeChatClient` for the same account, host, proxy, timeouts and retries.

        It uses this client's token store, so it takes this client's token
        rather than fetch one of its own (which could end the token others
        use). Close it when done (``async with``). A client given an
        ``http_client`` has no proxy of ours to pass on: the twin goes direct,
        or through the proxy variables of the environment. A client given a
        ``token_fetcher`` has no async one to pass on: build the async client
        yourself with an async fetcher (:class:`ValidationError`).
        """
        config = self._config
        if config.secret is None:
            raise ValidationError(
                "this client gets its tokens from a token_fetcher: build an AsyncWeChatClient "
                "with an async fetcher instead"
            )
        settings = config.settings
        # The default memory store is shared by scope already: the twin finds it alone.
        store = self.token_manager.store
        return AsyncWeChatClient(
            config.appid,
            config.secret.get_secret_value(),
            base_url=settings.base_url,
            timeout=settings.timeout,
            upload_timeout=settings.upload_timeout,
            token_mode=config.token_mode,
            token_store=store if isinstance(store, ScopedTokenStore) else None,
            retry=settings.retry,
            refresh_margin=config.refresh_margin,
            proxy=config.proxy,
        )

    def close(self) -> None:
        """Close the HTTP connections (not those of an ``http_client`` you passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncWeChatClient(_ClientBase):
    """The asyncio twin of :class:`WeChatClient`: same arguments, methods to ``await``.

    ``token_fetcher`` is an async callable here; ``token_store`` may be sync
    or async; ``http_client`` an ``httpx.AsyncClient``.

        >>> async with AsyncWeChatClient.from_env() as client:
        ...     count = await client.material.get_material_count()
    """

    def __init__(
        self,
        appid: str,
        secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: float | httpx.Timeout = DEFAULT_UPLOAD_TIMEOUT,
        token_store: TokenStore | AsyncTokenStore | None = None,
        token_mode: TokenMode = "token",  # noqa: S107 - a mode name
        token_fetcher: AsyncFetcher | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = 300.0,
        proxy: str | None = None,
    ) -> None:
        self._config = client_config(
            appid=appid,
            secret=secret,
            base_url=base_url,
            timeout=timeout,
            upload_timeout=upload_timeout,
            token_mode=token_mode,
            has_fetcher=token_fetcher is not None,
            retry=retry,
            clock=clock,
            refresh_margin=refresh_margin,
            proxy=proxy,
            own_http=http_client is None,
        )
        guard_httpx_logs()
        # Made once the arguments are checked: nothing below can fail and leave it open.
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(transport=LaneTransport(proxy=proxy))
        )
        self.token_manager, self._driver = self._wire(
            self._http, AsyncTokenManager, AsyncDriver, token_store, token_fetcher
        )
        self.material = AsyncMaterialAPI(self._driver)
        self.draft = AsyncDraftAPI(self._driver)
        self.publish = AsyncPublishAPI(self._driver)

    @with_doc_of(WeChatClient.get_access_token)
    async def get_access_token(self) -> str:
        return await self._driver.drive(self._tokens.get())

    @with_doc_of(WeChatClient.clear_quota)
    async def clear_quota(self) -> None:
        return await self._driver.call(calls.clear_quota(self._config.appid))

    @with_doc_of(WeChatClient.get_api_quota)
    async def get_api_quota(self, cgi_path: str) -> QuotaInfo:
        return await self._driver.call(calls.get_api_quota(cgi_path))

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` the calls go through (see :attr:`WeChatClient.http_client`)."""
        return self._http

    @with_doc_of(WeChatClient.list_page)
    async def list_page(self, kind: str, offset: int = 0, count: int = 20) -> dict[str, Any]:
        return await self._driver.call(calls.list_page(kind, offset, count))

    @with_doc_of(WeChatClient.fetch_material)
    async def fetch_material(self, media_id: str, file: BinaryIO) -> FileDownload:
        return await self._driver.run(download_into(ep.MATERIAL_GET, media_id, file))

    async def aclose(self) -> None:
        """Close the HTTP connections (not those of an ``http_client`` you passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncWeChatClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
