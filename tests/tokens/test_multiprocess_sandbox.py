"""The proof: 8 processes, one Redis store, a sandbox whose clock jumps by token lifetimes.

Each process calls the sandbox from several threads. Between phases the
sandbox clock moves past the token's expiry while the processes' own clocks
do not, so every process still holds a token it believes fresh and meets
``42001``. The client then forgets that token (compare-and-delete) and asks
again; exactly one process in all eight fetches the new token, and no caller
ever sees a token error.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterator

import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, RunningSandbox, run_in_thread

from .workers import hammer_sandbox

pytestmark = [pytest.mark.redis, pytest.mark.slow]

PROCESSES = 8
THREADS = 3
CALLS_PER_THREAD = 4
PHASES = 4
TOKEN_LIFETIME = 7200


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with run_in_thread() as running:
        yield running


def test_one_token_call_per_rotation_across_eight_processes(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    context = multiprocessing.get_context("spawn")
    gate = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    children = [
        context.Process(
            target=hammer_sandbox,
            args=(
                sandbox.base_url,
                redis_url,
                DEMO_APPID,
                DEMO_SECRET,
                PHASES,
                CALLS_PER_THREAD,
                THREADS,
                gate,
                results,
            ),
        )
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    token_calls: list[int] = []
    try:
        for phase in range(PHASES):
            if phase:
                # Past the token's end on the sandbox clock only.
                sandbox.admin.advance(TOKEN_LIFETIME + 60)
            gate.wait(timeout=120)  # the phase starts
            gate.wait(timeout=300)  # every process is done with it
            token_calls.append(sandbox.admin.counters(DEMO_APPID).get("/cgi-bin/token", 0))
        reports = [results.get(timeout=60) for _ in children]
    except (queue.Empty, Exception):
        gate.abort()
        raise
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()
                child.join()

    assert [child.exitcode for child in children] == [0] * PROCESSES
    errors = [error for report in reports for error in report["errors"]]
    assert errors == []
    calls_made = sum(int(report["calls"]) for report in reports)
    assert calls_made == PROCESSES * THREADS * CALLS_PER_THREAD * PHASES
    # Exactly one /token call per token lifetime, in all eight processes together.
    assert token_calls == list(range(1, PHASES + 1))
    # And the 42001 path was really taken: some calls were replayed with the new token.
    counted = sandbox.admin.counters(DEMO_APPID)["/cgi-bin/material/get_materialcount"]
    assert counted > calls_made
