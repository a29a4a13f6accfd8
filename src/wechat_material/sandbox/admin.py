"""Typed clients of the admin API: :class:`SandboxAdmin` (sync) and :class:`AsyncSandboxAdmin`.

Each operation is described once, as data (:class:`AdminRequest`: method,
path, body, how to read the reply); the two clients only send it::

    with run_in_thread() as sandbox:
        sandbox.admin.advance(7200)                 # the token has now expired
        sandbox.admin.set_faults("token", error_rate=1.0, count=1)

    admin = AsyncSandboxAdmin(client=httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test"))
    await admin.advance(60)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

import httpx

from wechat_material.sandbox.admin_ops import (
    AdminOps,
    AdminRequest,
    SandboxAdminError,
    fault_rule,
    parse_admin_reply,
)
from wechat_material.sandbox.state.accounts import AccountStatus
from wechat_material.sandbox.state.config import ADMIN_TOKEN_ENV, DEMO_APPID
from wechat_material.sandbox.state.publishing import PublishOutcome
from wechat_material.tokens.base import mask

T = TypeVar("T")

__all__ = [
    "AccountStatus",
    "AsyncSandboxAdmin",
    "PublishOutcome",
    "SandboxAdmin",
    "SandboxAdminError",
]


def _base(base_url: str | None, client: httpx.Client | httpx.AsyncClient | None) -> str:
    if base_url is not None:
        return base_url.rstrip("/")
    if client is None:
        raise ValueError("give the sandbox's base_url, or a client whose base_url points at it")
    return ""  # the client's own base_url applies


def _token(admin_token: str | None) -> str | None:
    return admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None


def _repr(admin: SandboxAdmin | AsyncSandboxAdmin) -> str:
    token = mask(admin._admin_token) if admin._admin_token else None
    return f"{type(admin).__name__}(base_url={admin._base!r}, admin_token={token})"


class SandboxAdmin:
    """Sync client of the admin API (over a real socket: see ``run_in_thread``).

    ``admin_token`` (default: ``WXM_SANDBOX_ADMIN_TOKEN``) is sent with every call,
    as the sandbox requires when it is served off loopback.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client: httpx.Client | None = None,
        admin_token: str | None = None,
    ) -> None:
        self._base = _base(base_url, client)
        self._admin_token = _token(admin_token)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=30)

    def _send(self, request: AdminRequest[T]) -> T:
        response = self._client.request(
            request.method,
            self._base + request.path,
            json=request.json,
            content=request.content,
            params=request.params,
            headers=request.headers(self._admin_token),
        )
        return parse_admin_reply(request, response)

    def __repr__(self) -> str:
        return _repr(self)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> SandboxAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health(self) -> bool:
        return self._send(AdminOps.health())

    def reset(self) -> None:
        """Forget all state: media, tokens, quotas, counters, faults; clock back to its start."""
        self._send(AdminOps.reset())

    def now(self) -> float:
        return self._send(AdminOps.now())

    def advance(self, seconds: float) -> float:
        return self._send(AdminOps.advance(seconds))

    def set_time(self, ts: float) -> float:
        return self._send(AdminOps.set_time(ts))

    def counters(self, appid: str = DEMO_APPID) -> dict[str, int]:
        return self._send(AdminOps.counters(appid))

    def reset_counters(self) -> None:
        self._send(AdminOps.reset_counters())

    def add_account(
        self,
        appid: str,
        secret: str,
        *,
        token_daily_limit: int | None = None,
        whitelist: list[str] | None = None,
    ) -> None:
        self._send(AdminOps.add_account(appid, secret, token_daily_limit, whitelist))

    def add_accounts(self, accounts: Sequence[tuple[str, str]]) -> None:
        """Create every ``(appid, secret)`` account, or none when one is refused."""
        self._send(AdminOps.add_accounts(accounts))

    def set_whitelist(self, appid: str, ips: list[str] | None) -> None:
        self._send(AdminOps.set_whitelist(appid, ips))

    def set_quota(
        self, appid: str, cgi_path: str, daily_limit: int, *, minute_limit: int | None = None
    ) -> None:
        self._send(AdminOps.set_quota(appid, cgi_path, daily_limit, minute_limit))

    def set_faults(
        self,
        endpoint: str = "*",
        latency_ms: float = 0,
        jitter_ms: float = 0,
        error_rate: float = 0.0,
        http_5xx_rate: float = 0.0,
        drop_rate: float = 0.0,
        seed: int | None = None,
        count: int | None = None,
        errcode: int = -1,
    ) -> None:
        rule = fault_rule(
            endpoint,
            latency_ms,
            jitter_ms,
            error_rate,
            http_5xx_rate,
            drop_rate,
            seed,
            count,
            errcode,
        )
        self._send(AdminOps.set_faults(rule))

    def faults(self) -> list[dict[str, Any]]:
        return self._send(AdminOps.faults())

    def clear_faults(self) -> None:
        self._send(AdminOps.clear_faults())

    def set_news_api(self, mode: Literal["legacy", "retired"]) -> None:
        self._send(AdminOps.settings(news_api=mode))

    def set_json_content_type(self, content_type: str) -> None:
        """``"wechat"`` (the default): each JSON reply labelled as WeChat labels it, the
        errors of the download endpoints ``text/plain``; or one label for every reply."""
        self._send(AdminOps.settings(json_content_type=content_type))

    def set_publish_id_form(self, form: Literal["string", "number"]) -> None:
        """freepublish replies write ``publish_id`` as a string (the default, as
        documented) or as a number (as real replies have been reported to)."""
        self._send(AdminOps.settings(publish_id=form))

    def set_msg_data_id_form(self, form: Literal["string", "number"]) -> None:
        """freepublish/submit writes ``msg_data_id`` as a string (the default, as
        documented) or as a number (as the sandbox did before)."""
        self._send(AdminOps.settings(msg_data_id=form))

    def set_publish_seconds(self, seconds: float) -> None:
        """How long publications submitted from now on take (seconds of the sandbox's
        clock; 3 by default)."""
        self._send(AdminOps.settings(publish_seconds=seconds))

    def set_next_publication(
        self, status: int, *, fail_idx: Sequence[int] | None = None
    ) -> PublishOutcome:
        """Make the next freepublish/submit end in ``status`` once it is done: 0
        (success, the default), 2 (originality check failed), 3 (failed), 4 (rejected
        by review) or 6 (banned). ``fail_idx``, for 2 and 3: the 1-based articles at
        fault (default: all of them). Used by one publication, then success again."""
        return self._send(AdminOps.set_next_publication(status, fail_idx))

    def next_publication(self) -> PublishOutcome:
        return self._send(AdminOps.next_publication())

    def revoke_tokens(self, appid: str) -> None:
        self._send(AdminOps.revoke_tokens(appid))

    def add_jssdk_voice(self, appid: str, data: bytes) -> str:
        return self._send(AdminOps.add_jssdk_voice(appid, data))

    def protect(self, appid: str, media_id: str) -> None:
        self._send(AdminOps.protect(appid, media_id))

    def set_account_status(
        self,
        appid: str,
        *,
        secret_frozen: bool | None = None,
        token_forbidden: bool | None = None,
        frozen: bool | None = None,
        limited: bool | None = None,
        unauthorized: Sequence[str] | None = None,
    ) -> AccountStatus:
        """Flip the account's standing (None keeps a field); returns the whole status.

        ``frozen``: 50007 everywhere; ``secret_frozen``: 40243 and ``token_forbidden``:
        50004 from the token endpoints; ``unauthorized`` paths: 48001;
        ``limited``: 50002 on calls that change content.
        """
        return self._send(
            AdminOps.set_account_status(
                appid, secret_frozen, token_forbidden, frozen, limited, unauthorized
            )
        )

    def account_status(self, appid: str) -> AccountStatus:
        return self._send(AdminOps.account_status(appid))


class AsyncSandboxAdmin:
    """Async client of the admin API; works in-process over ``httpx.ASGITransport``.

    ``admin_token``: as for :class:`SandboxAdmin`.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        admin_token: str | None = None,
    ) -> None:
        self._base = _base(base_url, client)
        self._admin_token = _token(admin_token)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=30)

    async def _send(self, request: AdminRequest[T]) -> T:
        response = await self._client.request(
            request.method,
            self._base + request.path,
            json=request.json,
            content=request.content,
            params=request.params,
            headers=request.headers(self._admin_token),
        )
        return parse_admin_reply(request, response)

    def __repr__(self) -> str:
        return _repr(self)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncSandboxAdmin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def health(self) -> bool:
        return await self._send(AdminOps.health())

    async def reset(self) -> None:
        await self._send(AdminOps.reset())

    async def now(self) -> float:
        return await self._send(AdminOps.now())

    async def advance(self, seconds: float) -> float:
        return await self._send(AdminOps.advance(seconds))

    async def set_time(self, ts: float) -> float:
        return await self._send(AdminOps.set_time(ts))

    async def counters(self, appid: str = DEMO_APPID) -> dict[str, int]:
        return await self._send(AdminOps.counters(appid))

    async def reset_counters(self) -> None:
        await self._send(AdminOps.reset_counters())

    async def add_account(
        self,
        appid: str,
        secret: str,
        *,
        token_daily_limit: int | None = None,
        whitelist: list[str] | None = None,
    ) -> None:
        await self._send(AdminOps.add_account(appid, secret, token_daily_limit, whitelist))

    async def add_accounts(self, accounts: Sequence[tuple[str, str]]) -> None:
        """Create every ``(appid, secret)`` account, or none when one is refused."""
        await self._send(AdminOps.add_accounts(accounts))

    async def set_whitelist(self, appid: str, ips: list[str] | None) -> None:
        await self._send(AdminOps.set_whitelist(appid, ips))

    async def set_quota(
        self, appid: str, cgi_path: str, daily_limit: int, *, minute_limit: int | None = None
    ) -> None:
        await self._send(AdminOps.set_quota(appid, cgi_path, daily_limit, minute_limit))

    async def set_faults(
        self,
        endpoint: str = "*",
        latency_ms: float = 0,
        jitter_ms: float = 0,
        error_rate: float = 0.0,
        http_5xx_rate: float = 0.0,
        drop_rate: float = 0.0,
        seed: int | None = None,
        count: int | None = None,
        errcode: int = -1,
    ) -> None:
        rule = fault_rule(
            endpoint,
            latency_ms,
            jitter_ms,
            error_rate,
            http_5xx_rate,
            drop_rate,
            seed,
            count,
            errcode,
        )
        await self._send(AdminOps.set_faults(rule))

    async def faults(self) -> list[dict[str, Any]]:
        return await self._send(AdminOps.faults())

    async def clear_faults(self) -> None:
        await self._send(AdminOps.clear_faults())

    async def set_news_api(self, mode: Literal["legacy", "retired"]) -> None:
        await self._send(AdminOps.settings(news_api=mode))

    async def set_json_content_type(self, content_type: str) -> None:
        """See :meth:`SandboxAdmin.set_json_content_type`."""
        await self._send(AdminOps.settings(json_content_type=content_type))

    async def set_publish_id_form(self, form: Literal["string", "number"]) -> None:
        """See :meth:`SandboxAdmin.set_publish_id_form`."""
        await self._send(AdminOps.settings(publish_id=form))

    async def set_msg_data_id_form(self, form: Literal["string", "number"]) -> None:
        """See :meth:`SandboxAdmin.set_msg_data_id_form`."""
        await self._send(AdminOps.settings(msg_data_id=form))

    async def set_publish_seconds(self, seconds: float) -> None:
        """See :meth:`SandboxAdmin.set_publish_seconds`."""
        await self._send(AdminOps.settings(publish_seconds=seconds))

    async def set_next_publication(
        self, status: int, *, fail_idx: Sequence[int] | None = None
    ) -> PublishOutcome:
        """See :meth:`SandboxAdmin.set_next_publication`."""
        return await self._send(AdminOps.set_next_publication(status, fail_idx))

    async def next_publication(self) -> PublishOutcome:
        return await self._send(AdminOps.next_publication())

    async def revoke_tokens(self, appid: str) -> None:
        await self._send(AdminOps.revoke_tokens(appid))

    async def add_jssdk_voice(self, appid: str, data: bytes) -> str:
        return await self._send(AdminOps.add_jssdk_voice(appid, data))

    async def protect(self, appid: str, media_id: str) -> None:
        await self._send(AdminOps.protect(appid, media_id))

    async def set_account_status(
        self,
        appid: str,
        *,
        secret_frozen: bool | None = None,
        token_forbidden: bool | None = None,
        frozen: bool | None = None,
        limited: bool | None = None,
        unauthorized: Sequence[str] | None = None,
    ) -> AccountStatus:
        """See :meth:`SandboxAdmin.set_account_status`."""
        return await self._send(
            AdminOps.set_account_status(
                appid, secret_frozen, token_forbidden, frozen, limited, unauthorized
            )
        )

    async def account_status(self, appid: str) -> AccountStatus:
        return await self._send(AdminOps.account_status(appid))
