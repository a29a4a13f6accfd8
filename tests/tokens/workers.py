"""Code that runs in child processes (multiprocessing, spawn) during the tests."""

from __future__ import annotations

import os
import time
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier

from wechat_material.tokens import TokenGrant, TokenManager, TokenStore

APPID = "wx0123456789abcdef"


class SharedCountingFetcher:
    """Counts fetches of all processes in one shared integer."""

    def __init__(self, calls: Synchronized[int], pause: float) -> None:
        self.calls = calls
        self.pause = pause

    def __call__(self) -> TokenGrant:
        with self.calls.get_lock():
            self.calls.value += 1
        # Keep the fetch busy so that the other processes really wait on it.
        time.sleep(self.pause)
        return TokenGrant(f"TOKEN-{os.getpid()}-{time.monotonic_ns()}", 7200)


def get_token_once(
    store: TokenStore,
    start: Barrier,
    calls: Synchronized[int],
    results: Queue[str],
) -> None:
    manager = TokenManager(APPID, SharedCountingFetcher(calls, pause=0.3), store)
    start.wait(timeout=60)
    results.put(manager.get())


def file_store_child(
    path: str, start: Barrier, calls: Synchronized[int], results: Queue[str]
) -> None:
    from wechat_material.tokens.file import FileTokenStore

    get_token_once(FileTokenStore(path), start, calls, results)


def redis_store_child(
    url: str, start: Barrier, calls: Synchronized[int], results: Queue[str]
) -> None:
    from wechat_material.tokens.redis_store import RedisTokenStore

    store = RedisTokenStore.from_url(url)
    try:
        get_token_once(store, start, calls, results)
    finally:
        store.close()


def hammer_sandbox(
    base_url: str,
    redis_url: str,
    appid: str,
    secret: str,
    phases: int,
    calls_per_thread: int,
    threads: int,
    phase_gate: Barrier,
    results: Queue[dict[str, object]],
) -> None:
    """Call the sandbox from ``threads`` threads, phase after phase, and report.

    Between phases the test moves the sandbox clock; every process waits at
    ``phase_gate`` before and after each phase. Errors are reported, not
    raised, so that the other processes are never left waiting at the gate.
    """
    import threading

    from wechat_material.client import WeChatClient
    from wechat_material.tokens.redis_store import RedisTokenStore

    store = RedisTokenStore.from_url(redis_url)
    client = WeChatClient(appid, secret, base_url=base_url, token_store=store)
    calls = 0
    errors: list[str] = []
    guard = threading.Lock()

    def work() -> None:
        nonlocal calls
        for _ in range(calls_per_thread):
            try:
                client.material.get_material_count()
            except Exception as exc:
                with guard:
                    errors.append(f"{type(exc).__name__}: {exc}")
            else:
                with guard:
                    calls += 1

    try:
        for _ in range(phases):
            phase_gate.wait(timeout=120)
            workers = [threading.Thread(target=work) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            phase_gate.wait(timeout=120)
    finally:
        results.put({"calls": calls, "errors": errors})
        client.close()
        store.close()
