"""The admin HTTP API under /_sandbox/: clock, counters, accounts, quotas, faults, settings,
the outcome of the next publication.

JSON in and out. Every body is checked whole before anything changes
(:mod:`~wechat_material.sandbox.http.admin_input`): bad input answers 400
``{"error": "...", "field": "..."}`` and changes nothing, an unknown account
or material 404. Admin calls are never faulted and never counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wechat_material.sandbox.http.admin_input import (
    AdminInputError,
    ClockAdvance,
    ClockSet,
    FaultInput,
    Model,
    NewAccounts,
    ProtectInput,
    QuotaInput,
    SettingsInput,
    StatusInput,
    WhitelistInput,
    parse,
)
from wechat_material.sandbox.http.body_caps import JSSDK_VOICE_CAP
from wechat_material.sandbox.http.wire import backend_of, json_reply, load_json, read_body
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.accounts import NewAccount
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.config import DEMO_APPID
from wechat_material.sandbox.state.faults import FaultRule
from wechat_material.sandbox.state.publishing import PublishOutcome

OK = {"ok": True}
_NOT_FOUND_CODES = {40007, 40013}

AdminHandler = Callable[[Request, SandboxBackend], Awaitable[Any]]


async def _raw(request: Request) -> bytes:
    raw = await read_body(request, JSSDK_VOICE_CAP)
    if raw is None:
        raise AdminInputError(f"the body is over {JSSDK_VOICE_CAP} bytes")
    return raw


async def _json(request: Request) -> Any:
    raw = await _raw(request)
    try:
        return load_json(raw or b"{}")
    except ValueError as exc:
        raise AdminInputError(f"the body must be UTF-8 JSON: {exc}") from None


async def _body(request: Request, model: type[Model]) -> Model:
    return parse(model, await _json(request))


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        backend = backend_of(request)
        try:
            result = await handler(request, backend)
        except SandboxError as error:
            status = 404 if error.code in _NOT_FOUND_CODES else 400
            return json_reply({"error": error.detail or error.errmsg}, status=status)
        except AdminInputError as error:
            return json_reply({"error": str(error), "field": error.field}, status=400)
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
    return {"now": backend.clock.advance((await _body(request, ClockAdvance)).seconds)}


async def clock_set(request: Request, backend: SandboxBackend) -> Any:
    return {"now": backend.clock.set_time((await _body(request, ClockSet)).now)}


async def counters(request: Request, backend: SandboxBackend) -> Any:
    if request.method == "DELETE":
        backend.counters.reset()
        return None
    return {"calls": backend.counters.snapshot(request.query_params.get("appid", DEMO_APPID))}


async def add_account(request: Request, backend: SandboxBackend) -> Any:
    """One account (an object), or several (``{"accounts": [...]}``): all or none."""
    data = await _json(request)
    several = isinstance(data, dict) and "accounts" in data
    accounts = parse(NewAccounts, data if several else {"accounts": [data]}).accounts
    default_limit = backend.config.token_daily_limit
    backend.add_accounts(
        [
            NewAccount(
                new.appid,
                new.secret,
                default_limit if new.token_daily_limit is None else new.token_daily_limit,
                new.whitelist,
            )
            for new in accounts
        ]
    )


async def set_whitelist(request: Request, backend: SandboxBackend) -> Any:
    ips = (await _body(request, WhitelistInput)).ips
    backend.accounts.set_whitelist(request.path_params["appid"], ips)


async def set_quota(request: Request, backend: SandboxBackend) -> Any:
    appid = request.path_params["appid"]
    backend.accounts.require(appid)
    quota = await _body(request, QuotaInput)
    backend.quotas.set_limit(appid, quota.cgi_path, quota.daily_limit, quota.minute_limit)


async def revoke_tokens(request: Request, backend: SandboxBackend) -> Any:
    appid = request.path_params["appid"]
    backend.accounts.require(appid)
    backend.tokens.revoke(appid)


async def jssdk_voice(request: Request, backend: SandboxBackend) -> Any:
    return {"media_id": backend.add_jssdk_voice(request.path_params["appid"], await _raw(request))}


async def protect(request: Request, backend: SandboxBackend) -> Any:
    media_id = (await _body(request, ProtectInput)).media_id
    backend.materials.protect(request.path_params["appid"], media_id)


async def account_status(request: Request, backend: SandboxBackend) -> Any:
    appid = request.path_params["appid"]
    if request.method == "GET":
        return backend.accounts.require(appid).status.to_json()
    changes = await _json(request)
    if isinstance(changes, dict):
        for name, value in changes.items():
            # null would be ambiguous (keep? clear?): a field left out keeps its value.
            if value is None:
                raise AdminInputError(
                    f"'{name}' may not be null; leave it out to keep its value", name
                )
    status = parse(StatusInput, changes)
    return backend.accounts.set_status(appid, status.model_dump(exclude_none=True)).to_json()


async def settings(request: Request, backend: SandboxBackend) -> Any:
    changes = await _body(request, SettingsInput)
    if changes.news_api is not None:
        backend.set_news_api(changes.news_api)
    if changes.json_content_type is not None:
        backend.set_json_content_type(changes.json_content_type)
    for field in ("publish_id", "msg_data_id"):
        form = getattr(changes, field)
        if form is not None:
            backend.set_id_form(field, form)
    if changes.publish_seconds is not None:
        backend.publishing.publish_seconds = changes.publish_seconds
    return {
        "news_api": backend.switches.news_api,
        "json_content_type": backend.switches.json_content_type,
        "publish_id": backend.switches.publish_id,
        "msg_data_id": backend.switches.msg_data_id,
        "publish_seconds": backend.publishing.publish_seconds,
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
    rule = await _body(request, FaultInput)
    backend.faults.set(FaultRule(**rule.model_dump()))


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
