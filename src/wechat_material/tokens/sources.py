"""Tokens from elsewhere: a function of yours, or a token server over HTTP.

When one central service owns the appid's secret and calls ``/token`` (the
usual cure for 40001 storms), every other program should ask *it* for the
token. These helpers turn such a source into a fetcher for
:class:`TokenManager` (or the SDK client's ``token_fetcher=``)::

    fetch = fetcher_from_url("https://tokens.internal/wechat/wx1234",
                             headers={"Authorization": "Bearer ..."})
    client = WeChatClient(appid, token_fetcher=fetch)

The manager asks the source once per token lifetime. When WeChat rejects a
token (40001, 42001), the client invalidates it and the next call asks the
source again, once; a source that keeps handing out a dead token makes that
call fail rather than loop.

A source that returns a bare string does not say how long the token lives:
it is trusted for ``expires_in`` seconds (default 300), then asked again.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from wechat_material._redact import guard_httpx_logs, hide_query_of
from wechat_material.errors import TransportError, UnexpectedReplyError, api_error
from wechat_material.tokens.base import AsyncFetcher, Fetcher, TokenGrant

# How long a token of unknown lifetime is trusted before the source is asked again.
ASSUMED_LIFETIME = 300

TokenSource = Callable[[], "str | TokenGrant"]
AsyncTokenSource = Callable[[], "Awaitable[str | TokenGrant] | str | TokenGrant"]


def fetcher_from_callable(source: TokenSource, *, expires_in: int = ASSUMED_LIFETIME) -> Fetcher:
    """A fetcher that calls ``source()``, which returns a token or a :class:`TokenGrant`.

    ``expires_in`` is the lifetime given to bare string tokens.
    """
    _check_lifetime(expires_in)

    def fetch() -> TokenGrant:
        return _grant_from(source(), expires_in)

    return fetch


def async_fetcher_from_callable(
    source: AsyncTokenSource, *, expires_in: int = ASSUMED_LIFETIME
) -> AsyncFetcher:
    """The async twin of :func:`fetcher_from_callable`; ``source`` may be sync or async."""
    _check_lifetime(expires_in)

    async def fetch() -> TokenGrant:
        result = source()
        if inspect.isawaitable(result):
            result = await result
        return _grant_from(result, expires_in)

    return fetch


def fetcher_from_url(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
    expires_in: int = ASSUMED_LIFETIME,
) -> Fetcher:
    """A fetcher that GETs ``url`` and reads ``{"access_token", "expires_in"}``.

    The URL's query is never logged or shown in errors, whatever it holds.

    A reply ``{"errcode": N, "errmsg": ...}`` raises the matching
    :class:`~wechat_material.errors.APIError`; a reply without ``expires_in``
    gets ``expires_in`` seconds. ``client``: an ``httpx.Client`` to reuse
    (default: a new one per fetch, which happens once per token lifetime).
    """
    _check_lifetime(expires_in)
    shown = _token_server(url)

    def fetch() -> TokenGrant:
        try:
            if client is not None:
                response = client.get(url, headers=headers, timeout=timeout)
            else:
                with httpx.Client(timeout=timeout) as own:
                    response = own.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"token server {shown}: {type(exc).__name__}") from exc
        return _grant_from_reply(response, shown, expires_in)

    return fetch


def async_fetcher_from_url(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    client: httpx.AsyncClient | None = None,
    expires_in: int = ASSUMED_LIFETIME,
) -> AsyncFetcher:
    """The async twin of :func:`fetcher_from_url` (``client``: an ``httpx.AsyncClient``)."""
    _check_lifetime(expires_in)
    shown = _token_server(url)

    async def fetch() -> TokenGrant:
        try:
            if client is not None:
                response = await client.get(url, headers=headers, timeout=timeout)
            else:
                async with httpx.AsyncClient(timeout=timeout) as own:
                    response = await own.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"token server {shown}: {type(exc).__name__}") from exc
        return _grant_from_reply(response, shown, expires_in)

    return fetch


def _grant_from(result: Any, expires_in: int) -> TokenGrant:
    if isinstance(result, TokenGrant):
        return result
    if isinstance(result, str) and result:
        return TokenGrant(result, expires_in)
    raise UnexpectedReplyError(
        f"a token source must return a non-empty str or a TokenGrant, not {type(result).__name__}"
    )


def _grant_from_reply(response: httpx.Response, shown: str, expires_in: int) -> TokenGrant:
    if response.status_code >= 500:
        raise TransportError(f"token server {shown} answered HTTP {response.status_code}")
    if response.status_code != 200:
        raise UnexpectedReplyError(
            f"token server {shown} answered HTTP {response.status_code}; "
            "check the URL and any credentials it needs"
        )
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedReplyError(f"token server {shown} did not answer JSON") from None
    if not isinstance(body, dict):
        raise UnexpectedReplyError(f"token server {shown} answered a JSON {type(body).__name__}")
    errcode = body.get("errcode")
    if isinstance(errcode, int) and errcode != 0:
        raise api_error(errcode, str(body.get("errmsg", "")), endpoint=shown)
    value = body.get("access_token")
    if not isinstance(value, str) or not value:
        raise UnexpectedReplyError(f"token server {shown} answered without an access_token")
    lifetime = body.get("expires_in", expires_in)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
        raise UnexpectedReplyError(f"token server {shown} answered a non-numeric expires_in")
    return TokenGrant(value, int(lifetime))


def _token_server(url: str) -> str:
    """Check a token server's URL; how it is shown from now on (never its query).

    Its query or user part may carry a key: httpx's request logs and this
    library's messages hide both (see :mod:`wechat_material._redact`).
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a usable token server URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("the token server URL must start with http:// or https://")
    guard_httpx_logs()
    return hide_query_of(url)


def _check_lifetime(expires_in: int) -> None:
    if expires_in <= 0:
        raise ValueError(f"expires_in must be a positive number of seconds, not {expires_in!r}")
