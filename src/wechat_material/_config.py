"""Checking a client's settings once, for both clients, before anything is sent."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from wechat_material._flow import Settings
from wechat_material._version import VERSION
from wechat_material.errors import ValidationError
from wechat_material.retry import RetryPolicy
from wechat_material.tokens.flow import checked_refresh_margin
from wechat_material.tokens.scope import TokenScope, token_scope

TokenMode = Literal["token", "stable"]

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
DEFAULT_TIMEOUT = 15.0  # seconds for connect, read, write and pool
DEFAULT_UPLOAD_TIMEOUT = 120.0  # an upload of 10 MB over a slow uplink
USER_AGENT = f"wechat-material/{VERSION} httpx/{httpx.__version__}"

ENV_APPID = "WECHAT_APPID"
ENV_SECRET = "WECHAT_SECRET"  # noqa: S105 - the variable's name
ENV_BASE_URL = "WECHAT_BASE_URL"


@dataclass(frozen=True)
class ClientConfig:
    appid: str
    secret: SecretStr | None
    token_mode: TokenMode
    settings: Settings
    refresh_margin: float
    has_fetcher: bool  # tokens come from a token_fetcher, not from the secret

    def token_scope(self) -> TokenScope:
        """This client's slot in any token store (see :mod:`wechat_material.tokens.scope`).

        Clients of one API host and one appid share it when they also share the
        secret; a client with a wrong secret gets its own, and fails as it
        should rather than use the others' token. Clients that get tokens from a
        ``token_fetcher`` of their own share one per host and appid.
        """
        url = self.settings.base_url
        if self.has_fetcher or self.secret is None:
            return token_scope(url, self.appid, None)
        return token_scope(url, self.appid, self.secret.get_secret_value())


def _timeout(value: float | httpx.Timeout, name: str) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if any(part is None for part in parts):
            raise ValidationError(f"{name} must be finite in every part, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValidationError(f"{name} must be a positive number of seconds, not {value!r}")
    return httpx.Timeout(float(value))


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
