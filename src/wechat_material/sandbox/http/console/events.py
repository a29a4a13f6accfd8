"""The live event stream (server-sent events): one ``call`` event per journal entry.

Each event carries the entry as JSON and its journal row already rendered,
so the journal page inserts it as is and the other pages know to refresh.
A stream ends after :data:`STREAM_SECONDS`; the browser's ``EventSource``
reconnects by itself and says where it stopped (``Last-Event-ID``), so
nothing is missed and no connection outlives a server that wants to stop.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from wechat_material.sandbox.http.console.journal import row
from wechat_material.sandbox.http.numbers import MalformedNumber, number_in
from wechat_material.sandbox.state.journal import Journal, JournalEntry

# Short enough that a server asked to stop is not kept waiting long by an open page.
STREAM_SECONDS = 10.0
POLL_SECONDS = 0.2
RETRY_MS = 500


def _event(entry: JournalEntry) -> str:
    data = json.dumps({**entry.to_json(), "row": row(entry)}, ensure_ascii=False)
    return f"id: {entry.seq}\nevent: call\ndata: {data}\n\n"


def _start(request: Request, journal: Journal) -> int:
    """Where the stream starts: after ``Last-Event-ID`` (a reconnection), else ``?after=``,
    else now. ``MalformedNumber`` when the one given is not a call's number."""
    for name, text in (
        ("Last-Event-ID", request.headers.get("last-event-id")),
        ("after", request.query_params.get("after")),
    ):
        if text:
            seq = number_in(text, name)
            if seq is None:
                raise MalformedNumber(f"{name} is beyond any call's number")
            return seq
    return journal.last_seq


async def _stream(journal: Journal, after: int, once: bool) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    ends = time.monotonic() + STREAM_SECONDS
    while True:
        for entry in journal.after(after):
            after = entry.seq
            yield _event(entry)
        if once or time.monotonic() >= ends:
            return
        await anyio.sleep(POLL_SECONDS)


def stream(request: Request, journal: Journal) -> Response:
    """``?after=N`` starts after call N (default: now); ``?once=1`` sends what is held and ends.

    ``MalformedNumber`` when ``after`` or ``Last-Event-ID`` is not a call's number.
    """
    once = request.query_params.get("once") == "1"
    return StreamingResponse(
        _stream(journal, _start(request, journal), once),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
