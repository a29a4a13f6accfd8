"""The admin API's operations as data, with no I/O (shared by the sync and async clients).

Each builder returns an :class:`AdminRequest`: the method, path and body to
send, and how to read the JSON that comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from wechat_material.sandbox.state.accounts import AccountStatus
from wechat_material.sandbox.state.publishing import PublishOutcome

T = TypeVar("T")


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


def _status(data: Any) -> AccountStatus:
    return AccountStatus.from_json(data)


def _outcome(data: Any) -> PublishOutcome:
    return PublishOutcome.from_json(data)


@dataclass(frozen=True)
class AdminRequest(Generic[T]):
    """One admin call, with no I/O: what to send and how to read the answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    content: bytes | None = None
    params: dict[str, str] | None = None

    def headers(self, admin_token: str | None) -> dict[str, str]:
        """The token, and the body's type: the admin API takes JSON, or raw bytes."""
        headers = {}
        if admin_token:
            headers["Authorization"] = f"Bearer {admin_token}"
        if self.content is not None:
            headers["Content-Type"] = "application/octet-stream"
        return headers


def _account(appid: str, tail: str) -> str:
    return f"/_sandbox/accounts/{quote(appid, safe='')}/{tail}"


class AdminOps:
    """Builders of every admin call."""

    @staticmethod
    def health() -> AdminRequest[bool]:
        return AdminRequest("GET", "/_sandbox/health", lambda data: bool(data["ok"]))

    @staticmethod
    def reset() -> AdminRequest[None]:
        return AdminRequest("POST", "/_sandbox/reset", _none)

    @staticmethod
    def now() -> AdminRequest[float]:
        return AdminRequest("GET", "/_sandbox/clock", _now)

    @staticmethod
    def advance(seconds: float) -> AdminRequest[float]:
        return AdminRequest("POST", "/_sandbox/clock/advance", _now, json={"seconds": seconds})

    @staticmethod
    def set_time(ts: float) -> AdminRequest[float]:
        return AdminRequest("POST", "/_sandbox/clock/set", _now, json={"now": ts})

    @staticmethod
    def counters(appid: str) -> AdminRequest[dict[str, int]]:
        return AdminRequest(
            "GET",
            "/_sandbox/counters",
            lambda data: {str(k): int(v) for k, v in data["calls"].items()},
            params={"appid": appid},
        )

    @staticmethod
    def reset_counters() -> AdminRequest[None]:
        return AdminRequest("DELETE", "/_sandbox/counters", _none)

    @staticmethod
    def add_account(
        appid: str, secret: str, token_daily_limit: int | None, whitelist: list[str] | None
    ) -> AdminRequest[None]:
        body: dict[str, Any] = {"appid": appid, "secret": secret, "whitelist": whitelist}
        if token_daily_limit is not None:
            body["token_daily_limit"] = token_daily_limit
        return AdminRequest("POST", "/_sandbox/accounts", _none, json=body)

    @staticmethod
    def add_accounts(accounts: Sequence[tuple[str, str]]) -> AdminRequest[None]:
        body = {"accounts": [{"appid": appid, "secret": secret} for appid, secret in accounts]}
        return AdminRequest("POST", "/_sandbox/accounts", _none, json=body)

    @staticmethod
    def set_whitelist(appid: str, ips: list[str] | None) -> AdminRequest[None]:
        return AdminRequest("PUT", _account(appid, "whitelist"), _none, json={"ips": ips})

    @staticmethod
    def set_quota(
        appid: str, cgi_path: str, daily_limit: int, minute_limit: int | None
    ) -> AdminRequest[None]:
        body = {"cgi_path": cgi_path, "daily_limit": daily_limit, "minute_limit": minute_limit}
        return AdminRequest("PUT", _account(appid, "quota"), _none, json=body)

    @staticmethod
    def set_faults(rule: dict[str, Any]) -> AdminRequest[None]:
        return AdminRequest("POST", "/_sandbox/faults", _none, json=rule)

    @staticmethod
    def faults() -> AdminRequest[list[dict[str, Any]]]:
        return AdminRequest("GET", "/_sandbox/faults", lambda data: list(data["rules"]))

    @staticmethod
    def clear_faults() -> AdminRequest[None]:
        return AdminRequest("DELETE", "/_sandbox/faults", _none)

    @staticmethod
    def settings(**changes: str | float) -> AdminRequest[None]:
        return AdminRequest("PUT", "/_sandbox/settings", _none, json=changes)

    @staticmethod
    def next_publication() -> AdminRequest[PublishOutcome]:
        return AdminRequest("GET", "/_sandbox/publishing/next", _outcome)

    @staticmethod
    def set_next_publication(
        status: int, fail_idx: Sequence[int] | None
    ) -> AdminRequest[PublishOutcome]:
        body = {"status": status, "fail_idx": list(fail_idx or ())}
        return AdminRequest("PUT", "/_sandbox/publishing/next", _outcome, json=body)

    @staticmethod
    def revoke_tokens(appid: str) -> AdminRequest[None]:
        return AdminRequest("POST", _account(appid, "tokens/revoke"), _none)

    @staticmethod
    def add_jssdk_voice(appid: str, data: bytes) -> AdminRequest[str]:
        return AdminRequest(
            "POST", _account(appid, "jssdk_voice"), lambda d: str(d["media_id"]), content=data
        )

    @staticmethod
    def protect(appid: str, media_id: str) -> AdminRequest[None]:
        return AdminRequest("POST", _account(appid, "protect"), _none, json={"media_id": media_id})

    @staticmethod
    def account_status(appid: str) -> AdminRequest[AccountStatus]:
        return AdminRequest("GET", _account(appid, "status"), _status)

    @staticmethod
    def set_account_status(
        appid: str,
        secret_frozen: bool | None,
        token_forbidden: bool | None,
        frozen: bool | None,
        limited: bool | None,
        unauthorized: Sequence[str] | None,
    ) -> AdminRequest[AccountStatus]:
        switches = {
            "secret_frozen": secret_frozen,
            "token_forbidden": token_forbidden,
            "frozen": frozen,
            "limited": limited,
        }
        body: dict[str, Any] = {k: v for k, v in switches.items() if v is not None}
        if unauthorized is not None:
            body["unauthorized"] = list(unauthorized)
        return AdminRequest("PUT", _account(appid, "status"), _status, json=body)


def fault_rule(
    endpoint: str,
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    http_5xx_rate: float,
    drop_rate: float,
    seed: int | None,
    count: int | None,
    errcode: int = -1,
) -> dict[str, Any]:
    return {
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


def parse_admin_reply(request: AdminRequest[T], response: httpx.Response) -> T:
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400 or not isinstance(data, dict):
        message = data.get("error") if isinstance(data, dict) else response.text[:200]
        raise SandboxAdminError(response.status_code, str(message))
    return request.parse(data)
