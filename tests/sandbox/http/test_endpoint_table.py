"""The sandbox serves exactly the SDK's endpoints: one table, read by both sides."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from wechat_material import _endpoints as ep
from wechat_material.sandbox.http.routes import api
from wechat_material.sandbox.state.config import API_PREFIX

from ..wechat_wire import errcode

pytestmark = pytest.mark.anyio

SDK_PATHS = {endpoint.path: endpoint for endpoint in ep.ALL if endpoint.path}


def api_routes(app: Starlette) -> list[Route]:
    """The app's routes for fixed API paths (the catch-all for unknown paths left out)."""
    return [
        route
        for route in app.routes
        if isinstance(route, Route)
        and route.path.startswith(API_PREFIX)
        and not route.param_convertors
    ]


def test_every_sdk_endpoint_has_a_route(app: Starlette) -> None:
    served = {route.path for route in api_routes(app)}
    missing = sorted(set(SDK_PATHS) - served)
    assert not missing, f"SDK endpoints the sandbox does not serve: {missing}"


def test_every_api_route_is_an_sdk_endpoint(app: Starlette) -> None:
    unknown = sorted(route.path for route in api_routes(app) if route.path not in SDK_PATHS)
    assert not unknown, f"sandbox API routes the SDK does not declare: {unknown}"


def test_handlers_are_registered_against_the_sdk_objects() -> None:
    assert set(api.served) == set(SDK_PATHS.values())


@pytest.mark.parametrize("endpoint", list(SDK_PATHS.values()), ids=lambda e: e.name)
async def test_each_route_answers_the_sdk_method(
    client: httpx.AsyncClient, endpoint: ep.Endpoint
) -> None:
    """Called with its own method the route is found: a token endpoint refuses the
    missing credentials, any other the missing access_token (41001), never 48001
    (no such API) or 43002 (wrong method)."""
    reply = await client.request(endpoint.method, endpoint.path)
    assert reply.status_code == 200
    code = errcode(reply)
    assert code not in (48001, 43002)
    if endpoint.token:
        assert code == 41001


@pytest.mark.parametrize(
    "endpoint", [e for e in SDK_PATHS.values() if e.method == "POST"], ids=lambda e: e.name
)
async def test_post_endpoints_refuse_get(client: httpx.AsyncClient, endpoint: ep.Endpoint) -> None:
    reply = await client.get(endpoint.path)
    assert errcode(reply) == 43002
