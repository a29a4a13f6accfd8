"""Checking a client's settings once, for both clients, before anything is sent."""

from __future__ import annotations

import importlib.util
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from wechat_material.errors import ValidationError
from wechat_material.retry import RetryPolicy

# The package's version, written here only: pyproject.toml reads this line (setuptools'
# ``attr:``, parsed without importing anything) and ``wechat_material.__version__`` is it.
VERSION = "0.1.0"

TokenMode = Literal["token", "stable"]

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
DEFAULT_CONNECT_TIMEOUT = 5.0  # a server that takes longer to accept is not answering
DEFAULT_READ_TIMEOUT = 15.0  # seconds without a byte of the reply
# Every part of a call: connect 5 s, then 15 s without progress reading, writing or
# waiting for a connection. A server that never answers costs two reads (one retry).
DEFAULT_TIMEOUT = httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
# Uploads: the same, but a send may stall for up to 120 s (a slow uplink's buffers).
DEFAULT_UPLOAD_TIMEOUT = httpx.Timeout(
    DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT, write=120.0
)
USER_AGENT = f"wechat-material/{VERSION} httpx/{httpx.__version__}"

ENV_APPID = "WECHAT_APPID"
ENV_SECRET = "WECHAT_SECRET"  # noqa: S105 - the variable's name
ENV_BASE_URL = "WECHAT_BASE_URL"


@dataclass(frozen=True)
class Settings:
    """What every call of one client shares."""

    base_url: str
    retry: RetryPolicy
    timeout: httpx.Timeout
    upload_timeout: httpx.Timeout
    clock: Callable[[], float]
    rng: random.Random
    user_agent: str


@dataclass(frozen=True)
class ClientConfig:
    appid: str
    secret: SecretStr | None
    token_mode: TokenMode
    settings: Settings
    refresh_margin: float
    has_fetcher: bool  # tokens come from a token_fetcher, not from the secret
    proxy: str | None = None  # the proxy of the client's own httpx client, if any


def checked_refresh_margin(value: object) -> float:
    """``value`` as a refresh margin in seconds, or a :class:`ValidationError`.

    A ``ValueError`` too, as for any bad argument.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValidationError(
            f"refresh_margin must be a finite number of seconds, 0 or more, not {value!r} "
            "(300 refreshes a token 5 minutes before it expires)"
        )
    return float(value)


def _timeout(value: float | httpx.Timeout, name: str) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if any(part is None for part in parts):
            raise ValidationError(f"{name} must be finite in every part, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValidationError(f"{name} must be a positive number of seconds, not {value!r}")
    # A number is how long to wait for the server; connecting never waits longer than 5 s.
    return httpx.Timeout(float(value), connect=min(float(value), DEFAULT_CONNECT_TIMEOUT))


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy_url(proxy: str) -> str:
    """A proxy URL httpx can use: http(s):// or socks5:// and a host; else ValidationError."""
    problem = proxy_problem(proxy)
    if problem is not None:
        raise ValidationError(
            f"proxy: {problem} (give http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT)"
        )
    return proxy


def proxy_problem(proxy: object) -> str | None:
    """What is wrong with ``proxy`` as a proxy URL, or None when httpx can use it."""
    problem = None
    try:
        url = httpx.URL(proxy) if isinstance(proxy, str) and proxy.isprintable() else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in PROXY_SCHEMES or not url.host:
        problem = f"{shown_url(proxy)} is not a proxy URL"
    elif url.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        problem = "a SOCKS proxy needs the socksio package: pip install 'httpx[socks]'"
    return problem


def shown_url(value: object) -> str:
    """A URL for a message: its user and password left out, its length bounded."""
    text = str(value)
    if "@" in text:
        scheme, _, rest = text.rpartition("://")
        text = (scheme + "://" if scheme else "") + "***@" + rest.rpartition("@")[2]
    return repr(text[:80])


def client_config(
    *,
    appid: str,
    secret: str | None,
    base_url: str,
    timeout: float | httpx.Timeout,
    upload_timeout: float | httpx.Timeout,
    token_mode: TokenMode,
    has_fetcher: bool,
    retry: RetryPolicy | None,
    clock: Callable[[], float],
    refresh_margin: float,
    proxy: str | None = None,
    own_http: bool = True,
) -> ClientConfig:
    """The checked settings of a client, or a :class:`ValidationError` saying what to fix."""
    if not isinstance(appid, str) or not appid.strip():
        raise ValidationError("appid is required (the AppID from 设置与开发 → 基本配置)")
    if token_mode not in ("token", "stable"):
        raise ValidationError(f"token_mode must be 'token' or 'stable', not {token_mode!r}")
    if not has_fetcher and not secret:
        raise ValidationError(
            "secret is required unless token_fetcher is given (the AppSecret from "
            "设置与开发 → 基本配置)"
        )
    margin = checked_refresh_margin(refresh_margin)
    if proxy is not None:
        if not own_http:
            raise ValidationError(
                "proxy and http_client were both given: set the proxy on your http_client, "
                "or leave http_client out"
            )
        check_proxy_url(proxy)
    url = base_url.rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ValidationError(f"base_url must start with https:// or http://, not {base_url!r}")
    settings = Settings(
        base_url=url,
        retry=retry if retry is not None else RetryPolicy(),
        timeout=_timeout(timeout, "timeout"),
        upload_timeout=_timeout(upload_timeout, "upload_timeout"),
        clock=clock,
        rng=random.Random(),  # noqa: S311 - jitter, not cryptography
        user_agent=USER_AGENT,
    )
    return ClientConfig(
        appid.strip(),
        SecretStr(secret) if secret else None,
        token_mode,
        settings,
        margin,
        has_fetcher,
        proxy,
    )


def from_environment(overrides: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Client arguments from ``WECHAT_APPID``, ``WECHAT_SECRET`` and ``WECHAT_BASE_URL``.

    Arguments given explicitly win over the environment.
    """
    kwargs = dict(overrides)
    for key, variable in (("appid", ENV_APPID), ("secret", ENV_SECRET)):
        if kwargs.get(key):
            continue
        if key == "secret" and kwargs.get("token_fetcher") is not None:
            continue
        value = environ.get(variable, "").strip()
        if not value:
            raise ValidationError(
                f"{variable} is not set: export {variable}=... "
                f"(the {'AppID' if key == 'appid' else 'AppSecret'} of your official account)"
            )
        kwargs[key] = value
    if "base_url" not in kwargs and environ.get(ENV_BASE_URL, "").strip():
        kwargs["base_url"] = environ[ENV_BASE_URL].strip()
    return kwargs
