"""Two edges of the sandbox's HTTP layer: a query with only ``+`` or only blanks to
decode, and the ASGI lifespan protocol of a host server that speaks it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette

from wechat_material.sandbox.http.wire import parse_query


@pytest.mark.parametrize(
    "text",
    [
        "secret=a+b",  # a "+" is a blank even where no "%" asks for decoding
        "a=&b=%20",  # a blank value is kept when the query is decoded
        "access_token=&x=%41",
    ],
)
def test_a_query_reads_as_the_standard_library_reads_it(text: str) -> None:
    assert parse_query(text) == dict(parse_qsl(text, keep_blank_values=True))


@pytest.mark.anyio
async def test_the_app_answers_the_lifespan_protocol(app: Starlette) -> None:
    # Served by a host whose lifespan is on (uvicorn's default), the app must answer it.
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
