"""The admin HTTP API under /_sandbox/: clock, counters, accounts, quotas, faults, settings,
the outcome of the next publication.

JSON in and out. Bad input answers 400 ``{"error": "..."}``, an unknown
account or material 404. Admin calls are never faulted and never counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wechat_material.sandbox.http.endpoint import backend_of
from wechat_material.sandbox.http.wire import json_reply, load_json, read_body
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.config import API_PREFIX, DEMO_APPID
from wechat_material.sandbox.state.faults import FaultRule
from wechat_material.sandbox.state.publishing import PublishOutcome

ADMIN_BODY_LIMIT = 8 * 1024 * 1024  # JS-SDK voices are the largest admin bodies
OK = {"ok": True}
_NOT_FOUND_CODES = {40007, 40013}

AdminHandler = Callable[[Request, SandboxBackend], Awaitable[Any]]


class AdminInputError(ValueError):
    pass


async def _raw(request: Request) -> bytes:
    raw = await read_body(request, ADMIN_BODY_LIMIT)
    if raw is None:
        raise AdminInputError(f"the body is over {ADMIN_BODY_LIMIT} bytes")
    return raw


async def _json(request: Request) -> dict[str, Any]:
    raw = await _raw(request)
    try:
        data = load_json(raw or b"{}")
    except ValueError as exc:
        raise AdminInputError(f"the body must be UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AdminInputError("the body must be a JSON object")
    return data


def _number(data: dict[str, Any], name: str) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdminInputError(f"'{name}' must be a number")
    return float(value)


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        backend = backend_of(request)
        try:
            result = await handler(request, backend)
        except SandboxError as error:
            status = 404 if error.code in _NOT_FOUND_CODES else 400
            return json_reply({"error": error.detail or error.errmsg}, status=status)
        except (ValueError, TypeError, KeyError) as error:
            return json_reply({"error": str(error)}, status=400)
        return json_reply(OK if result is None else result)

    return run


async def health(request: Request, backend: SandboxBackend) -> Any:
    return OK


async def reset(request: Request, backend: SandboxBackend) -> Any:
    backend.reset()


async def clock(request: Request, backend: SandboxBackend) -> Any:
    return {"now": backend.clock.now()}


async def clock_advance(request: Request, backend: SandboxBackend) -> Any:
    return {"now": backend.clock.advance(_number(await _json(request), "seconds"))}


async def clock_set(request: Request, backend: SandboxBackend) -> Any:
    return {"now": backend.clock.set_time(_number(await _json(request), "now"))}


async def counters(request: Request, backend: SandboxBackend) -> Any:
    if request.method == "DELETE":
        backend.counters.reset()
        return None
    return {"calls": backend.counters.snapshot(request.query_params.get("appid", DEMO_APPID))}


async def add_account(request: Request, backend: SandboxBackend) -> Any:
    data = await _json(request)
    appid, secret = data.get("appid"), data.get("secret")
    if not isinstance(appid, str) or not isinstance(secret, str):
        raise AdminInputError("'appid' and 'secret' must be strings")
    limit = data.get("token_daily_limit", backend.config.token_daily_limit)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise AdminInputError("'token_daily_limit' must be an integer")
    backend.add_account(appid, secret, token_daily_limit=limit, whitelist=_ips(data, "whitelist"))


def _ips(data: dict[str, Any], name: str) -> list[str] | None:
    ips = data.get(name)
    if ips is not None and (not isinstance(ips, list) or not all(isinstance(i, str) for i in ips)):
        raise AdminInputError(f"'{name}' must be a list of IP addresses or null")
    return ips


async def set_whitelist(request: Request, backend: SandboxBackend) -> Any:
    backend.accounts.set_whitelist(request.path_params["appid"], _ips(await _json(request), "ips"))


async def set_quota(request: Request, backend: SandboxBackend) -> Any:
    data = await _json(request)
    appid = request.path_params["appid"]
    backend.accounts.require(appid)
    path, daily, minute = data.get("cgi_path"), data.get("daily_limit"), data.get("minute_limit")
    if not isinstance(path, str) or not path.startswith(API_PREFIX):
        raise AdminInputError("'cgi_path' must be a path like /cgi-bin/token")
    if isinstance(daily, bool) or not isinstance(daily, int):
        raise AdminInputError("'daily_limit' must be an integer")
    if minute is not None and (isinstance(minute, bool) or not isinstance(minute, int)):
        raise AdminInputError("'minute_limit' must be an integer or null")
    backend.quotas.set_limit(appid, path, daily, minute)


async def revoke_tokens(request: Request, backend: SandboxBackend) -> Any:
    appid = request.path_params["appid"]
    backend.accounts.require(appid)
    backend.tokens.revoke(appid)


async def jssdk_voice(request: Request, backend: SandboxBackend) -> Any:
    return {"media_id": backend.add_jssdk_voice(request.path_params["appid"], await _raw(request))}


async def protect(request: Request, backend: SandboxBackend) -> Any:
    media_id = (await _json(request)).get("media_id")
    if not isinstance(media_id, str):
        raise AdminInputError("'media_id' must be a string")
    backend.materials.protect(request.path_params["appid"], media_id)


async def account_status(request: Request, backend: SandboxBackend) -> Any:
    appid = request.path_params["appid"]
    if request.method == "GET":
        return backend.accounts.require(appid).status.to_json()
    changes = await _json(request)
    for name, value in changes.items():
        # null would be ambiguous (keep? clear?): a field left out keeps its value.
        if value is None:
            raise AdminInputError(f"'{name}' may not be null; leave it out to keep its value")
    return backend.accounts.set_status(appid, changes).to_json()


async def settings(request: Request, backend: SandboxBackend) -> Any:
    data = await _json(request)
    if "news_api" in data:
        backend.set_news_api(data["news_api"])
    if "json_content_type" in data:
        backend.set_json_content_type(data["json_content_type"])
    if "publish_id" in data:
        backend.set_publish_id_form(data["publish_id"])
    return {
        "news_api": backend.switches.news_api,
        "json_content_type": backend.switches.json_content_type,
        "publish_id": backend.switches.publish_id,
    }


async def next_publication(request: Request, backend: SandboxBackend) -> Any:
    """How the next freepublish/submit ends: PUT ``{"status", "fail_idx"}`` (status 0:
    in success, as by default)."""
    if request.method == "PUT":
        backend.publishing.plan(PublishOutcome.from_json(await _json(request)))
    planned = backend.publishing.next_outcome or PublishOutcome()
    return planned.to_json()


async def faults(request: Request, backend: SandboxBackend) -> Any:
    if request.method == "DELETE":
        backend.faults.clear()
        return None
    if request.method == "GET":
        return {"rules": [rule.to_json() for rule in backend.faults.rules()]}
    data = await _json(request)
    known = set(FaultRule.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise AdminInputError(f"unknown fault settings: {', '.join(sorted(unknown))}")
    backend.faults.set(FaultRule(**data))


ROUTES: list[Route] = [
    Route("/_sandbox/health", _admin(health), methods=["GET"]),
    Route("/_sandbox/reset", _admin(reset), methods=["POST"]),
    Route("/_sandbox/clock", _admin(clock), methods=["GET"]),
    Route("/_sandbox/clock/advance", _admin(clock_advance), methods=["POST"]),
    Route("/_sandbox/clock/set", _admin(clock_set), methods=["POST"]),
    Route("/_sandbox/counters", _admin(counters), methods=["GET", "DELETE"]),
    Route("/_sandbox/accounts", _admin(add_account), methods=["POST"]),
    Route("/_sandbox/accounts/{appid}/whitelist", _admin(set_whitelist), methods=["PUT"]),
    Route("/_sandbox/accounts/{appid}/quota", _admin(set_quota), methods=["PUT"]),
    Route("/_sandbox/accounts/{appid}/tokens/revoke", _admin(revoke_tokens), methods=["POST"]),
    Route("/_sandbox/accounts/{appid}/jssdk_voice", _admin(jssdk_voice), methods=["POST"]),
    Route("/_sandbox/accounts/{appid}/protect", _admin(protect), methods=["POST"]),
    Route("/_sandbox/accounts/{appid}/status", _admin(account_status), methods=["GET", "PUT"]),
    Route("/_sandbox/settings", _admin(settings), methods=["PUT"]),
    Route("/_sandbox/publishing/next", _admin(next_publication), methods=["GET", "PUT"]),
    Route("/_sandbox/faults", _admin(faults), methods=["GET", "POST", "DELETE"]),
]
