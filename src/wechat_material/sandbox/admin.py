"""Typed clients of the admin API: :class:`AsyncSandboxAdmin` and :class:`SandboxAdmin`.

Only the async client is written by hand; the sync one is made from it by
``scripts/unasync.py`` (the block at the end of this module), so each admin
call is described once::

    with run_in_thread() as sandbox:
        sandbox.admin.advance(7200)                 # the token has now expired
        sandbox.admin.set_faults("token", error_rate=1.0, count=1)

    admin = AsyncSandboxAdmin(client=httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test"))
    await admin.advance(60)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx

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


class SandboxAdminError(Exception):
    """The admin API refused a call (bad input: 400; unknown account or id: 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox admin API answered {status}: {message}")
        self.status = status
        self.message = message


def _none(data: Any) -> None:
    return None


def _now(data: Any) -> float:
    return float(data["now"])


def _counters(data: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in data["calls"].items()}


def _status(data: Any) -> AccountStatus:
    return AccountStatus.from_json(data)


def _outcome(data: Any) -> PublishOutcome:
    return PublishOutcome.from_json(data)


def _account(appid: str, tail: str) -> str:
    return f"/_sandbox/accounts/{quote(appid, safe='')}/{tail}"


def _headers(admin_token: str | None, content: bytes | None) -> dict[str, str]:
    """The token, and the body's type: the admin API takes JSON, or raw bytes."""
    headers = {}
    if admin_token:
        headers["Authorization"] = f"Bearer {admin_token}"
    if content is not None:
        headers["Content-Type"] = "application/octet-stream"
    return headers


def _reply(response: httpx.Response, parse: Callable[[Any], T]) -> T:
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400 or not isinstance(data, dict):
        message = data.get("error") if isinstance(data, dict) else response.text[:200]
        raise SandboxAdminError(response.status_code, str(message))
    return parse(data)


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


def _account_switches(
    secret_frozen: bool | None,
    token_forbidden: bool | None,
    frozen: bool | None,
    limited: bool | None,
    unauthorized: Sequence[str] | None,
) -> dict[str, Any]:
    switches = {
        "secret_frozen": secret_frozen,
        "token_forbidden": token_forbidden,
        "frozen": frozen,
        "limited": limited,
    }
    body: dict[str, Any] = {k: v for k, v in switches.items() if v is not None}
    if unauthorized is not None:
        body["unauthorized"] = list(unauthorized)
    return body


class AsyncSandboxAdmin:
    """Client of the admin API; over ``httpx.ASGITransport`` it works in-process.

    ``admin_token`` (default: ``WXM_SANDBOX_ADMIN_TOKEN``) is sent with every call,
    as the sandbox requires when it is served off loopback.
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

    async def _send(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> T:
        response = await self._client.request(
            method,
            self._base + path,
            json=json,
            content=content,
            params=params,
            headers=_headers(self._admin_token, content),
        )
        return _reply(response, parse)

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
        return await self._send("GET", "/_sandbox/health", lambda data: bool(data["ok"]))

    async def reset(self) -> None:
        """Forget all state: media, tokens, quotas, counters, faults; clock back to its start."""
        await self._send("POST", "/_sandbox/reset", _none)

    async def now(self) -> float:
        return await self._send("GET", "/_sandbox/clock", _now)

    async def advance(self, seconds: float) -> float:
        return await self._send("POST", "/_sandbox/clock/advance", _now, json={"seconds": seconds})

    async def set_time(self, ts: float) -> float:
        return await self._send("POST", "/_sandbox/clock/set", _now, json={"now": ts})

    async def counters(self, appid: str = DEMO_APPID) -> dict[str, int]:
        return await self._send("GET", "/_sandbox/counters", _counters, params={"appid": appid})

    async def reset_counters(self) -> None:
        await self._send("DELETE", "/_sandbox/counters", _none)

    async def add_account(
        self,
        appid: str,
        secret: str,
        *,
        token_daily_limit: int | None = None,
        whitelist: list[str] | None = None,
    ) -> None:
        body: dict[str, Any] = {"appid": appid, "secret": secret, "whitelist": whitelist}
        if token_daily_limit is not None:
            body["token_daily_limit"] = token_daily_limit
        await self._send("POST", "/_sandbox/accounts", _none, json=body)

    async def add_accounts(self, accounts: Sequence[tuple[str, str]]) -> None:
        """Create every ``(appid, secret)`` account, or none when one is refused."""
        body = {"accounts": [{"appid": appid, "secret": secret} for appid, secret in accounts]}
        await self._send("POST", "/_sandbox/accounts", _none, json=body)

    async def set_whitelist(self, appid: str, ips: list[str] | None) -> None:
        await self._send("PUT", _account(appid, "whitelist"), _none, json={"ips": ips})

    async def set_quota(
        self, appid: str, cgi_path: str, daily_limit: int, *, minute_limit: int | None = None
    ) -> None:
        body = {"cgi_path": cgi_path, "daily_limit": daily_limit, "minute_limit": minute_limit}
        await self._send("PUT", _account(appid, "quota"), _none, json=body)

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
        rule = {
            "endpoint": endpoint,
            "latency_ms": latency_ms,
            "jitter_ms": jitter_ms,
            "error_rate": error_rate,
            "http_5xx_rate": http_5xx_rate,
            "drop_rate": drop_rate,
            "seed": seed,
            "count": count,
            "errcode": errcode,
        }
        await self._send("POST", "/_sandbox/faults", _none, json=rule)

    async def faults(self) -> list[dict[str, Any]]:
        return await self._send("GET", "/_sandbox/faults", lambda data: list(data["rules"]))

    async def clear_faults(self) -> None:
        await self._send("DELETE", "/_sandbox/faults", _none)

    async def set_news_api(self, mode: Literal["legacy", "retired"]) -> None:
        await self._settings(news_api=mode)

    async def set_json_content_type(self, content_type: str) -> None:
        """``"wechat"`` (the default): each JSON reply labelled as WeChat labels it, the
        errors of the download endpoints ``text/plain``; or one label for every reply."""
        await self._settings(json_content_type=content_type)

    async def set_publish_id_form(self, form: Literal["string", "number"]) -> None:
        """freepublish replies write ``publish_id`` as a string (the default, as
        documented) or as a number (as real replies have been reported to)."""
        await self._settings(publish_id=form)

    async def set_msg_data_id_form(self, form: Literal["string", "number"]) -> None:
        """freepublish/submit writes ``msg_data_id`` as a string (the default, as
        documented) or as a number (as the sandbox did before)."""
        await self._settings(msg_data_id=form)

    async def set_publish_seconds(self, seconds: float) -> None:
        """How long publications submitted from now on take (seconds of the sandbox's
        clock; 3 by default)."""
        await self._settings(publish_seconds=seconds)

    async def _settings(self, **changes: str | float) -> None:
        await self._send("PUT", "/_sandbox/settings", _none, json=changes)

    async def set_next_publication(
        self, status: int, *, fail_idx: Sequence[int] | None = None
    ) -> PublishOutcome:
        """Make the next freepublish/submit end in ``status`` once it is done: 0
        (success, the default), 2 (originality check failed), 3 (failed), 4 (rejected
        by review) or 6 (banned). ``fail_idx``, for 2 and 3: the 1-based articles at
        fault (default: all of them). Used by one publication, then success again."""
        body = {"status": status, "fail_idx": list(fail_idx or ())}
        return await self._send("PUT", "/_sandbox/publishing/next", _outcome, json=body)

    async def next_publication(self) -> PublishOutcome:
        return await self._send("GET", "/_sandbox/publishing/next", _outcome)

    async def revoke_tokens(self, appid: str) -> None:
        await self._send("POST", _account(appid, "tokens/revoke"), _none)

    async def add_jssdk_voice(self, appid: str, data: bytes) -> str:
        path = _account(appid, "jssdk_voice")
        return await self._send("POST", path, lambda d: str(d["media_id"]), content=data)

    async def protect(self, appid: str, media_id: str) -> None:
        body = {"media_id": media_id}
        await self._send("POST", _account(appid, "protect"), _none, json=body)

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
        """Flip the account's standing (None keeps a field); returns the whole status.

        ``frozen``: 50007 everywhere; ``secret_frozen``: 40243 and ``token_forbidden``:
        50004 from the token endpoints; ``unauthorized`` paths: 48001;
        ``limited``: 50002 on calls that change content.
        """
        body = _account_switches(secret_frozen, token_forbidden, frozen, limited, unauthorized)
        return await self._send("PUT", _account(appid, "status"), _status, json=body)

    async def account_status(self, appid: str) -> AccountStatus:
        return await self._send("GET", _account(appid, "status"), _status)


# ---- generated by scripts/unasync.py from AsyncSandboxAdmin above: do not edit ----
class SandboxAdmin:
    """Client of the admin API; it needs a real socket (see ``run_in_thread``).

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

    def _send(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> T:
        response = self._client.request(
            method,
            self._base + path,
            json=json,
            content=content,
            params=params,
            headers=_headers(self._admin_token, content),
        )
        return _reply(response, parse)

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
        return self._send("GET", "/_sandbox/health", lambda data: bool(data["ok"]))

    def reset(self) -> None:
        """Forget all state: media, tokens, quotas, counters, faults; clock back to its start."""
        self._send("POST", "/_sandbox/reset", _none)

    def now(self) -> float:
        return self._send("GET", "/_sandbox/clock", _now)

    def advance(self, seconds: float) -> float:
        return self._send("POST", "/_sandbox/clock/advance", _now, json={"seconds": seconds})

    def set_time(self, ts: float) -> float:
        return self._send("POST", "/_sandbox/clock/set", _now, json={"now": ts})

    def counters(self, appid: str = DEMO_APPID) -> dict[str, int]:
        return self._send("GET", "/_sandbox/counters", _counters, params={"appid": appid})

    def reset_counters(self) -> None:
        self._send("DELETE", "/_sandbox/counters", _none)

    def add_account(
        self,
        appid: str,
        secret: str,
        *,
        token_daily_limit: int | None = None,
        whitelist: list[str] | None = None,
    ) -> None:
        body: dict[str, Any] = {"appid": appid, "secret": secret, "whitelist": whitelist}
        if token_daily_limit is not None:
            body["token_daily_limit"] = token_daily_limit
        self._send("POST", "/_sandbox/accounts", _none, json=body)

    def add_accounts(self, accounts: Sequence[tuple[str, str]]) -> None:
        """Create every ``(appid, secret)`` account, or none when one is refused."""
        body = {"accounts": [{"appid": appid, "secret": secret} for appid, secret in accounts]}
        self._send("POST", "/_sandbox/accounts", _none, json=body)

    def set_whitelist(self, appid: str, ips: list[str] | None) -> None:
        self._send("PUT", _account(appid, "whitelist"), _none, json={"ips": ips})

    def set_quota(
        self, appid: str, cgi_path: str, daily_limit: int, *, minute_limit: int | None = None
    ) -> None:
        body = {"cgi_path": cgi_path, "daily_limit": daily_limit, "minute_limit": minute_limit}
        self._send("PUT", _account(appid, "quota"), _none, json=body)

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
        rule = {
            "endpoint": endpoint,
            "latency_ms": latency_ms,
            "jitter_ms": jitter_ms,
            "error_rate": error_rate,
            "http_5xx_rate": http_5xx_rate,
            "drop_rate": drop_rate,
            "seed": seed,
            "count": count,
            "errcode": errcode,
        }
        self._send("POST", "/_sandbox/faults", _none, json=rule)

    def faults(self) -> list[dict[str, Any]]:
        return self._send("GET", "/_sandbox/faults", lambda data: list(data["rules"]))

    def clear_faults(self) -> None:
        self._send("DELETE", "/_sandbox/faults", _none)

    def set_news_api(self, mode: Literal["legacy", "retired"]) -> None:
        self._settings(news_api=mode)

    def set_json_content_type(self, content_type: str) -> None:
        """``"wechat"`` (the default): each JSON reply labelled as WeChat labels it, the
        errors of the download endpoints ``text/plain``; or one label for every reply."""
        self._settings(json_content_type=content_type)

    def set_publish_id_form(self, form: Literal["string", "number"]) -> None:
        """freepublish replies write ``publish_id`` as a string (the default, as
        documented) or as a number (as real replies have been reported to)."""
        self._settings(publish_id=form)

    def set_msg_data_id_form(self, form: Literal["string", "number"]) -> None:
        """freepublish/submit writes ``msg_data_id`` as a string (the default, as
        documented) or as a number (as the sandbox did before)."""
        self._settings(msg_data_id=form)

    def set_publish_seconds(self, seconds: float) -> None:
        """How long publications submitted from now on take (seconds of the sandbox's
        clock; 3 by default)."""
        self._settings(publish_seconds=seconds)

    def _settings(self, **changes: str | float) -> None:
        self._send("PUT", "/_sandbox/settings", _none, json=changes)

    def set_next_publication(
        self, status: int, *, fail_idx: Sequence[int] | None = None
    ) -> PublishOutcome:
        """Make the next freepublish/submit end in ``status`` once it is done: 0
        (success, the default), 2 (originality check failed), 3 (failed), 4 (rejected
        by review) or 6 (banned). ``fail_idx``, for 2 and 3: the 1-based articles at
        fault (default: all of them). Used by one publication, then success again."""
        body = {"status": status, "fail_idx": list(fail_idx or ())}
        return self._send("PUT", "/_sandbox/publishing/next", _outcome, json=body)

    def next_publication(self) -> PublishOutcome:
        return self._send("GET", "/_sandbox/publishing/next", _outcome)

    def revoke_tokens(self, appid: str) -> None:
        self._send("POST", _account(appid, "tokens/revoke"), _none)

    def add_jssdk_voice(self, appid: str, data: bytes) -> str:
        path = _account(appid, "jssdk_voice")
        return self._send("POST", path, lambda d: str(d["media_id"]), content=data)

    def protect(self, appid: str, media_id: str) -> None:
        body = {"media_id": media_id}
        self._send("POST", _account(appid, "protect"), _none, json=body)

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
        body = _account_switches(secret_frozen, token_forbidden, frozen, limited, unauthorized)
        return self._send("PUT", _account(appid, "status"), _status, json=body)

    def account_status(self, appid: str) -> AccountStatus:
        return self._send("GET", _account(appid, "status"), _status)


# ---- end of generated code ----
