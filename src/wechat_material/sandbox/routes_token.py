"""Access tokens and quotas: /token, /stable_token, clear_quota, openapi/quota/get."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from wechat_material.sandbox.endpoint import Call, endpoint
from wechat_material.sandbox.errors import SandboxError


async def token(call: Call) -> dict[str, Any]:
    grant = call.backend.grant_token(
        call.query("grant_type"), call.query("appid"), call.query("secret"), call.ip
    )
    return {"access_token": grant.access_token, "expires_in": grant.expires_in}


async def stable_token(call: Call) -> dict[str, Any]:
    body = await call.json()
    for name in ("grant_type", "appid", "secret"):
        if not isinstance(body.get(name), str | None):
            raise SandboxError(47001, f"'{name}' must be a string")
    grant = call.backend.grant_stable_token(
        body.get("grant_type"),
        body.get("appid"),
        body.get("secret"),
        body.flag("force_refresh"),
        call.ip,
    )
    return {"access_token": grant.access_token, "expires_in": grant.expires_in}


async def clear_quota(call: Call) -> dict[str, Any]:
    """Zero today's counters; the appid must be the caller's own [assumed: else 40013]."""
    appid = (await call.json()).text("appid", missing=41002)
    if appid != call.appid:
        raise SandboxError(40013, "clear_quota takes the calling account's own appid")
    call.backend.quotas.clear(appid)
    return {"errcode": 0, "errmsg": "ok"}


async def quota_get(call: Call) -> dict[str, Any]:
    """A path's daily quota and rate limit; paths outside /cgi-bin/ → 40097 [assumed]."""
    path = (await call.json()).text("cgi_path", missing=40097)
    if not path.startswith("/cgi-bin/"):
        raise SandboxError(40097, "cgi_path must look like /cgi-bin/...")
    return {"errcode": 0, "errmsg": "ok", **call.backend.quotas.report(call.appid, path)}


ROUTES: list[Route] = [
    endpoint("/cgi-bin/token", token, method="GET", authenticated=False),
    endpoint("/cgi-bin/stable_token", stable_token, authenticated=False),
    endpoint("/cgi-bin/clear_quota", clear_quota),
    endpoint("/cgi-bin/openapi/quota/get", quota_get),
]
