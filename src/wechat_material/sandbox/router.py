"""Finding the route of a request by a table lookup instead of a scan.

Starlette's router tries every route in order, one regular expression each;
with thirty-odd API paths that is most of the routing cost of a late one such
as ``batchget_material``. :class:`TableRouter` answers the same question from
a dict for routes with a fixed path, and scans as usual for everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send


def _fixed_routes(routes: Sequence[BaseRoute]) -> dict[str, Route]:
    """Path → route, for each route with a fixed path and listed methods that the scan
    would pick for every one of those methods: no route before it matches fully."""
    table: dict[str, Route] = {}
    for index, route in enumerate(routes):
        if not isinstance(route, Route) or route.param_convertors or not route.methods:
            continue
        probes = [
            {"type": "http", "path": route.path, "root_path": "", "method": method, "headers": []}
            for method in route.methods
        ]
        shadowed = any(
            earlier.matches(probe)[0] is Match.FULL
            for earlier in routes[:index]
            for probe in probes
        )
        if not shadowed:
            table[route.path] = route
    return table


class TableRouter(Router):
    """A :class:`~starlette.routing.Router` that picks the same route as the scan would,
    faster. The table is made from the routes given here; add no routes later."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        super().__init__(routes)
        self._fixed = _fixed_routes(self.routes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self._fixed.get(get_route_path(scope))
            # A method the route does not take goes to the scan (and its 405).
            if route is not None and route.methods and scope["method"] in route.methods:
                # What the scan sets before handing over to the route.
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(scope.get("path_params", {}))
                await route.app(scope, receive, send)
                return
        await super().app(scope, receive, send)
