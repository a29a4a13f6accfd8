"""What the SDK costs per call, and how much memory a 10 MB download takes.

Run: .venv/bin/python bench/bench_sdk.py [--rounds 20] [--per-round 50] [--profile]

1. Per-call overhead: the same call made through the SDK and with bare httpx,
   against one sandbox app and one access token, interleaved round by round so
   that drift on a noisy machine hits both alike. Goal: SDK median ≤ 1.10× raw.
   In process (``AsyncWeChatClient`` vs ``httpx.AsyncClient`` on
   ``httpx.ASGITransport``) for three calls, and over a real socket
   (``WeChatClient`` vs ``httpx.Client``, sandbox in a thread) for one.
   A missed goal (or ``--profile``) prints a cProfile breakdown of where the
   SDK's extra time goes.
2. Token fetches at expiry under 500 concurrent calls: bench/bench_tokens.py.
3. Memory: peak RSS growth of this process while ``download_material`` saves a
   file of just under 10 MB from a sandbox running in another process.
   Goal: < 10 MB. ``get_material`` of the same size (held in memory) for contrast.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import os
import pstats
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from wechat_material.client import AsyncWeChatClient, WeChatClient
from wechat_material.limits import MaterialType, Target, limit_for
from wechat_material.media_file import MediaFile
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, create_app, run_in_thread

MEDIA = Path(__file__).resolve().parent.parent / "tests" / "media"
IN_PROCESS = "http://sandbox.test"
OVERHEAD_GOAL = 1.10
MEMORY_GOAL_MB = 10.0
MB = 1024 * 1024
WARMUP_CALLS = 50
PROFILE_CALLS = 300
SOCKET_BUDGET = 20.0  # seconds of timed calls in the socket comparison
# Loopback keep-alive round trips take well under a millisecond; one of ~40 ms is the
# server's small writes held back by Nagle's algorithm until the client's delayed ACK.
SLOW_ROUND_TRIP = 0.010


# -- 1. per-call overhead -----------------------------------------------------------------------


@dataclass
class Comparison:
    call: str
    transport: str
    sdk: list[float]  # seconds per call
    raw: list[float]
    profiled_calls: int = PROFILE_CALLS
    profiles: list[pstats.Stats] = field(default_factory=list)  # SDK's, then raw's

    @property
    def ratio(self) -> float:
        return statistics.median(self.sdk) / statistics.median(self.raw)

    def wants_profile(self, options: Any) -> bool:
        return bool(options.profile) or self.ratio > OVERHEAD_GOAL


def checked(response: httpx.Response) -> None:
    """What a careful hand-written client does with a reply: status, then errcode."""
    response.raise_for_status()
    if response.content.startswith(b"{") and response.json().get("errcode", 0) != 0:
        raise RuntimeError(f"the sandbox refused a raw call: {response.text}")


def timed(call: Callable[[], Any], times: list[float], count: int) -> None:
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)


async def atimed(call: Callable[[], Awaitable[Any]], times: list[float], count: int) -> None:
    for _ in range(count):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)


def turns(number: int, result: Comparison, sdk: Any, raw: Any) -> list[tuple[Any, list[float]]]:
    """Who goes first alternates by round, so a slow patch does not always hit the same side."""
    pair = [(sdk, result.sdk), (raw, result.raw)]
    return pair if number % 2 == 0 else pair[::-1]


async def acompare(
    call: str, sdk: Callable[[], Awaitable[Any]], raw: Callable[[], Awaitable[Any]], options: Any
) -> Comparison:
    result = Comparison(call, "in-process async", [], [])
    await atimed(sdk, [], WARMUP_CALLS)
    await atimed(raw, [], WARMUP_CALLS)
    for number in range(options.rounds):
        gc.collect()
        for side, times in turns(number, result, sdk, raw):
            await atimed(side, times, options.per_round)
    if result.wants_profile(options):
        for side in (sdk, raw):
            with profiling(result.profiles):
                await atimed(side, [], result.profiled_calls)
    return result


def compare(call: str, sdk: Callable[[], Any], raw: Callable[[], Any], options: Any) -> Comparison:
    warmup: list[float] = []
    timed(sdk, [], WARMUP_CALLS)
    timed(raw, warmup, WARMUP_CALLS)
    # A round trip over a socket may be slow (see SLOW_ROUND_TRIP): fewer calls keep the
    # run within its time budget, and the table shows how many were made.
    per_call = statistics.median(warmup)
    per_round = int(SOCKET_BUDGET / (2 * options.rounds * per_call))
    per_round = max(1, min(options.per_round, per_round))
    result = Comparison(call, "socket, sync", [], [])
    result.profiled_calls = max(10, min(PROFILE_CALLS, int(SOCKET_BUDGET / 4 / per_call)))
    for number in range(options.rounds):
        gc.collect()
        for side, times in turns(number, result, sdk, raw):
            timed(side, times, per_round)
    if result.wants_profile(options):
        for side in (sdk, raw):
            with profiling(result.profiles):
                timed(side, [], result.profiled_calls)
    return result


@contextmanager
def profiling(into: list[pstats.Stats]) -> Iterator[None]:
    """Profiles the block (this thread only) and appends its statistics to ``into``."""
    with cProfile.Profile() as profiler:
        yield
    into.append(pstats.Stats(profiler))


async def in_process(options: Any) -> list[Comparison]:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS) as http:
        client = AsyncWeChatClient(DEMO_APPID, DEMO_SECRET, base_url=IN_PROCESS, http_client=http)
        for name in ("image.jpg", "image.png", "image.gif", "image.bmp") * 5:
            await client.material.add_material("image", MEDIA / name)
        small = await client.material.add_material("image", MEDIA / "image.jpg")
        token = await client.get_access_token()  # fetched once: both sides use it
        query = {"access_token": token}

        async def raw_count() -> None:
            checked(await http.get("/cgi-bin/material/get_materialcount", params=query))

        async def raw_page() -> None:
            body = {"type": "image", "offset": 0, "count": 20}
            checked(await http.post("/cgi-bin/material/batchget_material", params=query, json=body))

        async def raw_file() -> None:
            body = {"media_id": small.media_id}
            checked(await http.post("/cgi-bin/material/get_material", params=query, json=body))

        material = client.material
        size = (MEDIA / "image.jpg").stat().st_size
        pairs: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]] = [
            ("get_material_count (GET, JSON)", material.get_material_count, raw_count),
            (
                "batch_get_material (POST, 20 items)",
                lambda: material.batch_get_material("image", 0, 20),
                raw_page,
            ),
            (
                f"get_material (image file, {size} B)",
                lambda: material.get_material(small.media_id),
                raw_file,
            ),
        ]
        return [await acompare(label, sdk, raw, options) for label, sdk, raw in pairs]


def over_socket(options: Any) -> Comparison:
    with run_in_thread() as sandbox, httpx.Client(base_url=sandbox.base_url) as http:
        client = WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, http_client=http)
        query = {"access_token": client.get_access_token()}

        def raw_count() -> None:
            checked(http.get("/cgi-bin/material/get_materialcount", params=query))

        return compare(
            "get_material_count (GET, JSON)", client.material.get_material_count, raw_count, options
        )


# Where profiled time is spent, by the file a function lives in (first match wins).
SDK = "SDK (wechat_material)"
AREAS = [
    ("sandbox", ("wechat_material/sandbox",)),
    (SDK, ("wechat_material",)),
    ("httpx / httpcore", ("httpx", "httpcore", "h11")),
    ("pydantic", ("pydantic",)),
    ("starlette / multipart", ("starlette", "multipart")),
    ("asyncio / anyio", ("asyncio", "anyio")),
    ("json", ("json",)),
]


def area_of(filename: str, name: str) -> str:
    # C functions have no file ("~"); their name tells whose they are (pydantic_core, _json).
    where = name if filename == "~" else filename
    for area, marks in AREAS:
        if any(mark in where for mark in marks):
            return area
    return "other (stdlib, builtins)"


def by_area(stats: pstats.Stats) -> dict[str, float]:
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        area = area_of(filename, name)
        totals[area] = totals.get(area, 0.0) + tottime
    return totals


def print_profile(result: Comparison) -> None:
    sdk, raw = (by_area(stats) for stats in result.profiles)
    per_call = 1e6 / result.profiled_calls  # seconds in total → µs per call
    print(
        f"\nWhere the time goes: {result.call}, {result.transport} (cProfile, "
        f"{result.profiled_calls} calls each; µs per call, inflated by the profiler)"
    )
    print(f"  {'area':<34}{'SDK':>9}{'raw':>9}{'SDK − raw':>11}")
    for area in sorted(sdk.keys() | raw.keys(), key=lambda a: raw.get(a, 0) - sdk.get(a, 0)):
        mine, theirs = sdk.get(area, 0.0) * per_call, raw.get(area, 0.0) * per_call
        print(f"  {area:<34}{mine:>9.1f}{theirs:>9.1f}{mine - theirs:>+11.1f}")
    print("  SDK functions with the most own time (µs per call: own, including callees):")
    entries = result.profiles[0].stats.items()  # type: ignore[attr-defined]
    own = [
        (tottime * per_call, cumtime * per_call, f"{Path(filename).name}:{line} {name}")
        for (filename, line, name), (_, _, tottime, cumtime, _) in entries
        if area_of(filename, name) == SDK
    ]
    for own_us, all_us, where in sorted(own, reverse=True)[:12]:
        print(f"    {own_us:7.1f} {all_us:8.1f}  {where}")


def print_overhead(results: list[Comparison], options: Any) -> None:
    print(
        f"1. Per-call overhead: SDK vs raw httpx, same sandbox and token "
        f"(medians; {options.rounds} interleaved rounds)"
    )
    print(
        f"  {'call':<38}{'transport':<18}{'calls':>6}{'SDK µs':>10}{'raw µs':>10}{'Δ µs':>8}"
        f"{'ratio':>8}   goal ≤ {OVERHEAD_GOAL:.2f}×"
    )
    for r in results:
        sdk, raw = statistics.median(r.sdk) * 1e6, statistics.median(r.raw) * 1e6
        verdict = "met" if r.ratio <= OVERHEAD_GOAL else "MISSED"
        print(
            f"  {r.call:<38}{r.transport:<18}{len(r.sdk):>6}{sdk:>10.1f}{raw:>10.1f}"
            f"{sdk - raw:>+8.1f}{r.ratio:>7.2f}×   {verdict}"
        )
    if any(statistics.median(r.raw) > SLOW_ROUND_TRIP for r in results):
        print(
            f"  note: a raw loopback round trip above {SLOW_ROUND_TRIP * 1000:.0f} ms means the "
            "server holds back small writes (TCP_NODELAY not set on its connections, so "
            "Nagle's algorithm waits for the client's delayed ACK); fewer calls were made."
        )
    for r in results:
        if r.profiles:
            print_profile(r)


# -- 3. memory of a 10 MB download ------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


@contextmanager
def peak_rss_growth() -> Iterator[list[float]]:
    """Yields a list that receives the peak RSS growth (MB) of the block, measured by the kernel.

    Writing 5 to /proc/self/clear_refs resets the peak (VmHWM) to the current RSS,
    so the peak after the block is that of the block alone, however short it was.
    """
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = _status_kb("VmRSS")
    growth: list[float] = []
    yield growth
    growth.append((_status_kb("VmHWM") - before) / 1024)


def padded_copy(source: Path, target: Path, size: int) -> Path:
    """``source`` grown with zero bytes to ``size``, still a whole file of its format.

    Uploads refuse a file whose end looks cut, so an MP4's padding is a
    ``free`` box and a JPEG's goes before its end marker.
    """
    data = source.read_bytes()
    with target.open("wb") as file:
        if source.suffix == ".mp4":
            file.write(data + struct.pack(">I4s", size - len(data), b"free"))
            file.truncate(size)
        else:
            file.write(data[:-2])
            file.truncate(size - 2)
            file.seek(size - 2)
            file.write(data[-2:])
    return target


def sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@contextmanager
def sandbox_process(workdir: Path) -> Iterator[tuple[str, int]]:
    """``python -m wechat_material.sandbox --memory --port 0`` in a child process."""
    log = workdir / "sandbox.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "wechat_material.sandbox", "--memory", "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = _wait_for_sandbox(child, log)
        yield base_url, child.pid
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_for_sandbox(child: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the sandbox process stopped:\n{log.read_text()}")
        words = log.read_text().split()
        if "on" in words and words.index("on") + 1 < len(words):
            base_url = words[words.index("on") + 1]
            try:
                httpx.get(base_url + "/_sandbox/health").raise_for_status()
                return base_url
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise SystemExit(f"the sandbox process did not answer within 20 s:\n{log.read_text()}")


def memory(workdir: Path) -> tuple[list[tuple[str, int, float, float, bool]], int]:
    size = limit_for(Target.PERMANENT, MaterialType.VIDEO).max_bytes - 1024
    video = padded_copy(MEDIA / "video.mp4", workdir / "big.mp4", size)
    image = padded_copy(MEDIA / "image.jpg", workdir / "big.jpg", size)
    downloads = workdir / "downloads"
    downloads.mkdir()
    rows: list[tuple[str, int, float, float, bool]] = []
    with (
        sandbox_process(workdir) as (base_url, pid),
        WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=base_url) as client,
    ):
        material = client.material
        big_video = material.add_video_material(video, "Bench", "A padded video").media_id
        big_image = material.add_material("image", image).media_id
        # One small round trip of each kind first, so that code loaded on first use
        # (and the connection) is not counted as the download's memory.
        small = material.add_material("image", MEDIA / "image.jpg").media_id
        material.download_material(small, downloads / "warmup.jpg")
        material.get_material(small)

        for label, media_id, source in (
            ("download_material(video) → disk", big_video, video),
            ("download_material(image) → disk", big_image, image),
        ):
            with peak_rss_growth() as growth:
                started = time.perf_counter()
                saved = material.download_material(media_id, downloads)
                elapsed = time.perf_counter() - started
            same = sha256(saved) == sha256(source)
            rows.append((label, saved.stat().st_size, growth[0], elapsed, same))

        with peak_rss_growth() as growth:
            started = time.perf_counter()
            held = material.get_material(big_image)
            elapsed = time.perf_counter() - started
        assert isinstance(held, MediaFile)
        same = hashlib.sha256(held.content).hexdigest() == sha256(image)
        rows.append(("get_material(image) → memory", len(held.content), growth[0], elapsed, same))
    return rows, pid


def print_memory(rows: list[tuple[str, int, float, float, bool]], pid: int) -> None:
    print(f"\n3. Peak RSS growth of this process (sandbox in process {pid}, not counted)")
    goal = f"goal < {MEMORY_GOAL_MB:g} MB"
    print(f"  {'what':<34}{'bytes':>11}{'peak growth':>13}{'time':>9}  intact  {goal}")
    for label, size, growth, elapsed, same in rows:
        if label.startswith("download"):
            verdict = "met" if growth < MEMORY_GOAL_MB else "MISSED"
        else:
            verdict = "(contrast: holds the file)"
        print(
            f"  {label:<34}{size:>11}{growth:>10.1f} MB{elapsed * 1000:>6.0f} ms  "
            f"{'yes' if same else 'NO':<6}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds per call")
    parser.add_argument("--per-round", type=int, default=50, help="calls per side per round")
    parser.add_argument("--profile", action="store_true", help="profile even when goals are met")
    options = parser.parse_args()
    if options.rounds < 1 or options.per_round < 1:
        parser.error("--rounds and --per-round must be at least 1")

    results = asyncio.run(in_process(options))
    results.append(over_socket(options))
    print_overhead(results, options)

    print("\n2. Token fetches at expiry under 500 concurrent calls: run bench/bench_tokens.py")

    if not os.access("/proc/self/clear_refs", os.W_OK):
        print("\n3. Memory: skipped (needs a writable /proc/self/clear_refs: Linux)")
        return
    with tempfile.TemporaryDirectory(prefix="wxm-bench-") as workdir:
        print_memory(*memory(Path(workdir)))


if __name__ == "__main__":
    main()
