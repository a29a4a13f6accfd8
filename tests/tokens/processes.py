"""Running a child function in several spawned processes at once."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from typing import Any


def run_in_processes(count: int, target: Callable[..., None], *args: Any) -> tuple[int, list[str]]:
    """Run ``target(*args, start, calls, results)`` in ``count`` spawned processes.

    Returns how many fetches they made between them and the token each got.
    """
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(count)
    calls = context.Value("i", 0)
    results = context.Queue()
    children = [
        context.Process(target=target, args=(*args, start, calls, results)) for _ in range(count)
    ]
    for child in children:
        child.start()
    tokens: list[str] = []
    try:
        for _ in range(count):
            tokens.append(results.get(timeout=120))
    except queue.Empty:
        pass
    for child in children:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
            child.join()
    assert [child.exitcode for child in children] == [0] * count
    assert len(tokens) == count
    return calls.value, tokens
