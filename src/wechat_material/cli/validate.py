"""Checks of the settings a run is given: appid, secret, base URL.

A value can come from a flag, an environment variable or a profile; the
error names where it came from, so the user knows what to fix. A bad flag or
environment variable is a usage error (exit 2), a bad value in the profile
file invalid local input (exit 3). Values are checked before anything is sent,
and an error never repeats a value longer than a line (nor the secret at all).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from wechat_material.cli.errors import CliError, LocalInputError, UsageProblem

# WeChat's appids are "wx" and 16 hex digits; the sandbox takes any plain name
# (its tests and demos use short ones), so wxm takes what the sandbox takes.
APPID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
WECHAT_APPID = re.compile(r"^wx[0-9a-f]{16}$")
MAX_SECRET = 128
MAX_URL = 2048
_SHOWN = 40


@dataclass(frozen=True)
class Source:
    """Where a value came from: a flag, an environment variable, or a profile file."""

    label: str
    in_file: bool = False

    def problem(self, message: str, hint: str) -> CliError:
        error: Callable[..., CliError] = LocalInputError if self.in_file else UsageProblem
        return error(f"{self.label}: {message}", hint=hint)


def flag(name: str) -> Source:
    return Source(name)


def env(name: str) -> Source:
    return Source(f"environment variable {name}")


def shown(value: str) -> str:
    """A value for an error message: quoted, and cut when long."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}... ({len(value)} characters)"


def check_appid(value: str, source: Source) -> str:
    if not APPID.match(value):
        raise source.problem(
            f"{shown(value)} is not an AppID",
            "an AppID is 'wx' and 16 hex digits (wx0123456789abcdef), from the WeChat "
            "console (设置与开发 → 基本配置); a sandbox account's name is at most 64 "
            "letters, digits, '_', '.' or '-'.",
        )
    return value


def check_wechat_appid(value: str, source: Source) -> str:
    """An appid for WeChat itself, which only has ``wx`` and 16 hex digits."""
    check_appid(value, source)
    if not WECHAT_APPID.match(value):
        raise source.problem(
            f"{shown(value)} is not a WeChat AppID",
            "a WeChat AppID is 'wx' and 16 hex digits (wx0123456789abcdef), from the WeChat "
            "console (设置与开发 → 基本配置); other names only work on a sandbox "
            "(--sandbox).",
        )
    return value


def check_secret(value: str, source: Source) -> str:
    # Never quoted: the value is the secret, or a typo of it.
    if not value or len(value) > MAX_SECRET or not value.isprintable() or " " in value:
        raise source.problem(
            f"not an AppSecret ({len(value)} characters, or spaces or control characters)",
            f"an AppSecret is up to {MAX_SECRET} printable characters without spaces, from "
            "the WeChat console (设置与开发 → 基本配置).",
        )
    return value


def check_base_url(value: str, source: Source) -> str:
    ok = len(value) <= MAX_URL and value.isprintable() and " " not in value
    try:
        parts = urlsplit(value) if ok else None
        ok = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        if ok and parts is not None:
            parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        ok = False
    if not ok:
        raise source.problem(
            f"{shown(value)} is not an http(s) URL with a host",
            "give a URL such as https://api.weixin.qq.com or http://127.0.0.1:8900.",
        )
    return value


MAX_TIMEOUT = 3600.0


def check_timeout(value: str | float, source: Source) -> float:
    """Seconds a reply may go without a byte: a number above 0, at most an hour."""
    try:
        seconds = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        seconds = math.nan
    if not (0 < seconds <= MAX_TIMEOUT):  # also refuses nan and inf
        text = shown(value) if isinstance(value, str) else str(value)
        raise source.problem(
            f"{text} is not a timeout",
            f"give the seconds to wait for a reply, a number above 0 and at most "
            f"{MAX_TIMEOUT:g} (the default is 15).",
        )
    return seconds


def check_proxy(value: str, source: Source) -> str:
    """A proxy URL (http://, https://, socks5://) the clients can use."""
    # Imported here: the SDK's settings load httpx, which --help does without.
    from wechat_material.client import proxy_problem

    problem = proxy_problem(value)
    if problem is not None:
        raise source.problem(
            problem,
            "give http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT "
            "(e.g. socks5://127.0.0.1:1080 for 'ssh -D 1080 HOST').",
        )
    return value
