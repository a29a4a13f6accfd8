"""The async clients' transport: one connection per lane, the least busy lane first.

Over real HTTP to a sandbox in a thread, whose latency rule holds requests
open so that several are in flight at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from wechat_material import AsyncWeChatClient
from wechat_material._transport import LaneTransport
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, run_in_thread

pytestmark = pytest.mark.anyio

HEALTH = "/_sandbox/health"
SLOW = "/cgi-bin/slow-lane"  # not an API path: the fault rule's latency is all it does


@pytest.fixture(scope="module")
def slow() -> Iterator[str]:
    """The base URL of a sandbox shared by these tests, with 30 ms of latency on SLOW."""
    with run_in_thread() as sandbox:
        sandbox.admin.set_faults(SLOW, latency_ms=30)
        yield sandbox.base_url


async def _together(client: httpx.AsyncClient, count: int, path: str = SLOW) -> list[int]:
    replies = await asyncio.gather(*(client.get(path) for _ in range(count)))
    return [reply.status_code for reply in replies]


async def test_requests_in_flight_together_each_get_a_connection(slow: str) -> None:
    transport = LaneTransport()
    async with httpx.AsyncClient(base_url=slow, transport=transport) as client:
        statuses = await _together(client, 6)
        assert transport.connections == 6
        for _ in range(4):  # one at a time: the first idle lane serves them all
            assert (await client.get(HEALTH)).status_code == 200
        assert transport.connections == 6
    assert len(set(statuses)) == 1
    assert transport.connections == 0


async def test_past_max_connections_requests_wait_for_a_lane(slow: str) -> None:
    transport = LaneTransport(max_connections=2)
    async with httpx.AsyncClient(base_url=slow, transport=transport) as client:
        statuses = await _together(client, 5)
        assert transport.connections == 2
    assert len(statuses) == 5
    assert len(set(statuses)) == 1


async def test_a_response_closed_twice_frees_its_lane_once(slow: str) -> None:
    transport = LaneTransport()
    async with httpx.AsyncClient(base_url=slow, transport=transport) as client:
        reply = await client.get(HEALTH)
        await reply.aclose()
        await reply.stream.aclose()  # a second close must not count the lane as free twice
        await _together(client, 2)
        # Had the lane counted below zero, both would have queued on its one connection.
        assert transport.connections == 2


async def test_a_failed_request_frees_its_lane() -> None:
    transport = LaneTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await client.get("http://127.0.0.1:9/")  # the discard port: nobody listens
        assert transport.connections == 1


async def test_lanes_idle_past_the_keepalive_expiry_are_closed(slow: str) -> None:
    now = [1000.0]
    transport = LaneTransport(max_keepalive=1, keepalive_expiry=5, clock=lambda: now[0])
    async with httpx.AsyncClient(base_url=slow, transport=transport) as client:
        await _together(client, 4)
        assert transport.connections == 4
        now[0] += 4  # not yet expired
        await client.get(HEALTH)
        assert transport.connections == 4
        now[0] += 2
        await client.get(HEALTH)
        assert transport.connections == 1


async def test_each_origin_has_its_own_lanes(slow: str) -> None:
    other = slow.replace("127.0.0.1", "localhost")
    transport = LaneTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        await asyncio.gather(client.get(slow + SLOW), client.get(other + SLOW))
        assert transport.connections == 2
        await client.get(slow + HEALTH)
        await client.get(other + HEALTH)
        assert transport.connections == 2


def test_max_connections_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_connections must be 1 or more"):
        LaneTransport(max_connections=0)


async def test_the_async_client_spreads_its_calls_over_lanes(slow: str) -> None:
    async with AsyncWeChatClient(DEMO_APPID, DEMO_SECRET, base_url=slow) as client:
        transport = client._http._transport
        assert isinstance(transport, LaneTransport)
