"""How a sandbox is set up: its accounts, storage, clock and behaviour switches."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wechat_material import _endpoints as ep
from wechat_material.demo_account import DEMO_APPID as DEMO_APPID
from wechat_material.demo_account import DEMO_SECRET as DEMO_SECRET
from wechat_material.limits import PERMANENT_CAPS, MaterialType
from wechat_material.tokens.base import mask

# Where the admin clients (and `serve`) find the admin token when none is given.
ADMIN_TOKEN_ENV = "WXM_SANDBOX_ADMIN_TOKEN"  # noqa: S105 - a variable's name, not a token

# Every WeChat API path starts with this (read from the SDK's endpoint table,
# wechat_material._endpoints; a download URL has no path of its own).
API_PREFIX = posixpath.commonpath([e.path for e in ep.ALL if e.path]) + "/"

# How JSON replies are labelled. By default (WECHAT_LABELS) as WeChat does: the errors of
# the download endpoints text/plain, every other JSON reply JSON_CONTENT_TYPE. The admin
# API can force one label on every JSON reply instead.
JSON_CONTENT_TYPE = "application/json; encoding=utf-8"
TEXT_CONTENT_TYPE = "text/plain"
WECHAT_LABELS = "wechat"
JSON_LABELS = (WECHAT_LABELS, JSON_CONTENT_TYPE, TEXT_CONTENT_TYPE, "application/json")
"""What the ``json_content_type`` setting may be."""

PublishIdForm = Literal["string", "number"]
# The longest a publication may be set to take (admin settings): a week.
MAX_PUBLISH_SECONDS = 7 * 24 * 3600.0

NewsAPI = Literal["legacy", "retired"]
ClockMode = Literal["frozen", "running"]


def _demo_accounts() -> list[tuple[str, str]]:
    return [(DEMO_APPID, DEMO_SECRET)]


def _default_caps() -> dict[frozenset[MaterialType], int]:
    return dict(PERMANENT_CAPS)


@dataclass
class SandboxConfig:
    """Everything a sandbox needs to start.

    >>> app = create_app(SandboxConfig(seed=1))        # in memory, demo account
    >>> app = create_app(SandboxConfig(data_dir=Path("state")))  # survives restarts
    """

    data_dir: Path | None = None
    """Where state lives (SQLite + blob files); None keeps everything in memory."""
    accounts: list[tuple[str, str]] = field(default_factory=_demo_accounts)
    """(appid, secret) pairs that exist from the start."""
    news_api: NewsAPI = "retired"
    """``retired``: add_news/update_news answer 45106, as WeChat has since 2022-02-28;
    ``legacy``: they work as they did before, for code and data that need them."""
    max_request_bytes: int = 32 * 1024 * 1024
    """The ceiling of every endpoint's body cap (``sandbox/http/body_caps.py``): lowers them."""
    public_url: str | None = None
    """Base of the URLs handed out (image urls, down_url...); None: the request's base URL."""
    start_time: float | None = None
    """Epoch seconds the clock starts at; None: the real time at start."""
    seed: int | None = None
    """Makes ids, rids, tokens and faults reproducible; None: unguessable ids."""
    clock: ClockMode = "frozen"
    """``frozen``: time moves only when advanced (tests); ``running``: it also follows real time."""
    publish_seconds: float = 3.0
    """How long freepublish/submit stays in ``publish_status`` 1 (sandbox clock): a few
    seconds, so a publish can be waited for; a test of the long window sets more."""
    permanent_caps: dict[frozenset[MaterialType], int] = field(default_factory=_default_caps)
    """How many permanent items an account may hold, per group of types (45001 past it)."""
    token_daily_limit: int = 2000
    """Daily /cgi-bin/token quota of the accounts above (WeChat: 2000; test accounts: 200)."""
    admin_token: str | None = None
    """Admin API calls must send ``Authorization: Bearer <this>``; None: no token, unless
    the sandbox is served off loopback (then ``run_in_thread``/``serve`` make one)."""
    allowed_hosts: list[str] = field(default_factory=list)
    """Extra Host values (``name`` or ``name:port``) the admin API answers once on a socket."""

    def __repr__(self) -> str:
        # The dataclass repr would show the secrets; this one masks them.
        shown = ", ".join(f"({appid!r}, {mask(secret)})" for appid, secret in self.accounts)
        return (
            f"SandboxConfig(data_dir={self.data_dir!r}, accounts=[{shown}], "
            f"news_api={self.news_api!r}, clock={self.clock!r}, seed={self.seed!r}, "
            f"start_time={self.start_time!r}, public_url={self.public_url!r}, "
            f"admin_token={mask(self.admin_token) if self.admin_token else None}, "
            f"allowed_hosts={self.allowed_hosts!r})"
        )
