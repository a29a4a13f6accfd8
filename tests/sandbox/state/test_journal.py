"""The request journal: every API call recorded with its errcode, fault and latency, masked."""

from __future__ import annotations

import httpx
import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, AsyncSandboxAdmin, SandboxBackend
from wechat_material.sandbox.state.journal import CallRecord, Journal

from ..wechat_wire import WeChat

pytestmark = pytest.mark.anyio
COUNT = "/cgi-bin/material/get_materialcount"


def _call(path: str = COUNT, query: str = "") -> CallRecord:
    return CallRecord(
        at=0.0, method="GET", path=path, query=query, appid="wx1", status=200,
        errcode=0, errmsg="", latency_ms=1.0, fault="", content_type="application/json",
    )  # fmt: skip


def test_the_journal_keeps_the_latest_calls_and_numbers_them_for_good() -> None:
    journal = Journal(capacity=3)
    for _ in range(5):
        journal.record(_call())
    assert [entry.seq for entry in journal.latest(10)] == [3, 4, 5]
    assert [entry.seq for entry in journal.after(3)] == [4, 5]
    assert journal.get(1) is None
    journal.clear()
    assert journal.latest(10) == []
    assert journal.record(_call()).seq == 6  # no number is given twice


def test_the_journal_masks_tokens_and_secrets() -> None:
    entry = Journal().record(_call(query=f"access_token=ACCESSTOKENVALUE&secret={DEMO_SECRET}"))
    assert "ACCESSTOKENVALUE" not in entry.query
    assert DEMO_SECRET not in entry.query
    assert entry.query.startswith("access_token=ACCE…")


def test_a_journal_holds_at_least_one_call() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Journal(capacity=0)


async def test_api_calls_are_recorded_with_their_errcode(
    wx: WeChat, backend: SandboxBackend, client: httpx.AsyncClient
) -> None:
    await wx.get(COUNT)
    await wx.post("/cgi-bin/material/del_material", {"media_id": "nope"})
    await client.get("/_sandbox/health")  # the admin API is not journalled
    token, count, delete = backend.journal.latest(10)
    assert (token.path, token.appid, token.errcode) == ("/cgi-bin/token", DEMO_APPID, 0)
    assert DEMO_SECRET not in token.query
    assert (count.path, count.status, count.errcode) == (COUNT, 200, 0)
    assert wx.token not in count.query
    assert (delete.errcode, delete.method) == (40007, "POST")
    assert delete.errmsg.startswith("invalid media_id")
    assert delete.latency_ms >= 0


async def test_a_fault_is_named_in_the_journal(
    wx: WeChat, backend: SandboxBackend, admin: AsyncSandboxAdmin
) -> None:
    await admin.set_faults(endpoint="material/get_materialcount", error_rate=1.0, count=1)
    await admin.set_faults(endpoint="draft/count", drop_rate=1.0, count=1)
    await wx.get(COUNT)
    with pytest.raises(httpx.RemoteProtocolError):
        await wx.get("/cgi-bin/draft/count")
    await wx.get(COUNT)
    faulted, dropped, clean = backend.journal.latest(3)
    assert (faulted.errcode, faulted.fault) == (-1, "error")
    assert dropped.fault == "drop"
    assert (clean.errcode, clean.fault) == (0, "")


async def test_a_fault_rule_can_answer_any_errcode(wx: WeChat, admin: AsyncSandboxAdmin) -> None:
    await admin.set_faults(endpoint=COUNT, error_rate=1.0, count=1, errcode=45009)
    refused = (await wx.get(COUNT)).json()
    assert refused["errcode"] == 45009
    assert "rid: " in refused["errmsg"]
    assert (await wx.get(COUNT)).json().get("errcode", 0) == 0  # once only


async def test_a_fault_rule_refuses_errcode_zero(client: httpx.AsyncClient) -> None:
    reply = await client.post("/_sandbox/faults", json={"error_rate": 1, "errcode": 0})
    assert reply.status_code == 400
    assert "errcode 0" in reply.json()["error"]


async def test_reset_empties_the_journal(wx: WeChat, backend: SandboxBackend) -> None:
    await wx.get(COUNT)
    backend.reset()
    assert backend.journal.latest(10) == []


async def test_the_event_stream_sends_calls_after_the_one_named(
    wx: WeChat, client: httpx.AsyncClient
) -> None:
    await wx.get(COUNT)
    stream = await client.get("/ui/events", params={"after": "1", "once": "1"})
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [block for block in stream.text.split("\n\n") if block.startswith("id: ")]
    assert len(events) == 1
    assert events[0].startswith("id: 2\nevent: call\ndata: ")
    assert '"path": "/cgi-bin/material/get_materialcount"' in events[0]
    assert wx.token not in stream.text
    assert "/ui/journal/2" in events[0]  # the row, rendered, links to the call's detail
