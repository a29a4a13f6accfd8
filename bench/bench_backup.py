"""How fast ``wechat_material.backup`` backs up and restores a library, and its memory.

Against a sandbox in another process with ``--latency`` ms on every call, side by side:

1. 200 images the way users back them up today: plain httpx, one
   ``batchget_material`` page after the other and one ``get_material`` per
   item, in sequence (goal: the library at least 10x faster);
2. the same with the library at ``--concurrency 16``, next to plain httpx making
   the same calls at the same concurrency (the counts, then the pages, then the
   items; no quota check, hashing, manifest or fsync), as a careful user would
   write it (goal: at least 90 % of its speed); the limit the round trips allow,
   ``(pages + items) / concurrency x latency``, and plain httpx against
   ``wait_server.py``, a server that does nothing but wait, show how close to
   the limit httpx itself comes on this machine;
3. ``wxm backup DIR --types image --concurrency 16`` as users run it, a new
   process, start-up and teardown included (goal: at least 8x the sequential loop);
4. the restore of those 200 images into a fresh account by the library, next to a
   sequential loop of uploads into another one (goal: at least 8x faster);
5. 2,000 images, peak RSS growth of this process during the backup (goal: < 50 MB;
   ``--big 0`` skips it).

Run ``.venv/bin/python bench/bench_backup.py [--images 200] [--big 2000]
[--latency 30] [--concurrency 16] [--repeat 3] [--profile]``: each concurrent case
runs ``--repeat`` times and its median counts. Not a test: figures vary by machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import math
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench_sdk import peak_rss_growth
from png_image import png_bytes
from sandbox_process import SandboxProcess, answers, fetch_token, free_port
from wechat_material import AsyncWeChatClient
from wechat_material.backup import abackup, arestore
from wechat_material.backup.manifest import Entry, Manifest
from wechat_material.backup.store import ObjectStore
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxAdmin
from wechat_material.tokens import MemoryTokenStore

PAGE = 20
TARGET_SECRET = "be0c" * 8  # a sandbox account's made-up secret


def seed(base_url: str, count: int) -> None:
    """``count`` distinct small PNGs, uploaded 16 at a time (no latency yet)."""
    token = fetch_token(base_url, DEMO_APPID, DEMO_SECRET)
    rng = random.Random(count)
    images = [png_bytes(rng) for _ in range(count)]

    async def upload_all() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            gate = asyncio.Semaphore(16)

            async def one(i: int) -> None:
                async with gate:
                    files = {"media": (f"p{i}.png", images[i], "image/png")}
                    reply = await http.post(
                        "/cgi-bin/material/add_material",
                        params={"access_token": token, "type": "image"},
                        files=files,
                    )
                    assert "media_id" in reply.json(), reply.text

            await asyncio.gather(*(one(i) for i in range(count)))

    asyncio.run(upload_all())


def sequential_baseline(base_url: str, directory: Path) -> float:
    """What users write today: page after page, then item after item."""
    started = time.perf_counter()
    token = fetch_token(base_url, DEMO_APPID, DEMO_SECRET)
    params = {"access_token": token}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        offset, total = 0, 1
        while offset < total:
            page = http.post(
                "/cgi-bin/material/batchget_material",
                params=params,
                json={"type": "image", "offset": offset, "count": PAGE},
            ).json()
            total = page["total_count"]
            for item in page["item"]:
                reply = http.post(
                    "/cgi-bin/material/get_material",
                    params=params,
                    json={"media_id": item["media_id"]},
                )
                (directory / item["media_id"]).write_bytes(reply.content)
            offset += len(page["item"])
    return time.perf_counter() - started


def concurrent_reference(base_url: str, directory: Path, concurrency: int) -> float:
    """No library: plain httpx, the counts, then every page at once, then ``concurrency``
    downloads at a time, bytes written as they come (no hashing, no manifest, no fsync)."""

    async def run() -> float:
        token = fetch_token(base_url, DEMO_APPID, DEMO_SECRET)
        params = {"access_token": token}
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
            await http.get("/_sandbox/health")  # as the library's client has its token
            started = time.perf_counter()
            gate = asyncio.Semaphore(concurrency)

            async def page(offset: int) -> list[str]:
                async with gate:
                    reply = await http.post(
                        "/cgi-bin/material/batchget_material",
                        params=params,
                        json={"type": "image", "offset": offset, "count": PAGE},
                    )
                return [item["media_id"] for item in reply.json()["item"]]

            async def item(media_id: str) -> None:
                async with gate:
                    reply = await http.post(
                        "/cgi-bin/material/get_material",
                        params=params,
                        json={"media_id": media_id},
                    )
                (directory / media_id).write_bytes(reply.content)

            # The same calls as the library makes: the counts, then the pages, then the items.
            counted = await http.get("/cgi-bin/material/get_materialcount", params=params)
            total = counted.json()["image_count"]
            pages = await asyncio.gather(*(page(o) for o in range(0, total, PAGE)))
            await asyncio.gather(*(item(m) for ids in pages for m in ids))
            return time.perf_counter() - started

    return asyncio.run(run())


def ceiling(latency: float, concurrency: int, calls: int, repeat: int) -> list[float]:
    """Plain httpx, ``concurrency`` calls at a time, against ``wait_server.py``: a server
    that costs nothing. How close to the round-trip limit this machine lets httpx come."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("wait_server.py")), str(port), str(latency)]
    )
    base_url = f"http://127.0.0.1:{port}"

    async def run() -> float:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            await http.get("/health")
            gate = asyncio.Semaphore(concurrency)

            async def call() -> None:
                async with gate:
                    (await http.post("/call", json={"media_id": "x"})).raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(call() for _ in range(calls)))
            return time.perf_counter() - started

    try:
        if not answers(base_url + "/health", lambda: server.poll() is None):
            raise RuntimeError("bench/wait_server.py did not start")
        return [asyncio.run(run()) for _ in range(repeat)]
    finally:
        server.kill()
        server.wait()


def library_backup(
    base_url: str, directory: Path, concurrency: int, kinds: tuple[str, ...]
) -> tuple[float, str, int]:
    async def run() -> tuple[float, str, int]:
        async with AsyncWeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url=base_url, token_store=MemoryTokenStore()
        ) as client:
            await client.get_access_token()  # as the baseline's clock starts with it
            started = time.perf_counter()
            summary = await abackup(client, directory, concurrency=concurrency, kinds=kinds)
            return time.perf_counter() - started, summary.status, summary.calls

    return asyncio.run(run())


def memory_row(
    work: Path, account: list[str], count: int, concurrency: int
) -> tuple[str, str, str, str]:
    """``count`` images, no latency: the peak RSS growth of the backing-up process."""
    big = SandboxProcess(["--memory"], account, 2, work / "big.log")
    big.start()
    try:
        seed(big.base_url, count)
        with peak_rss_growth() as growth:
            seconds, status, calls = library_backup(
                big.base_url, work / "big", concurrency, ("image",)
            )
    finally:
        big.stop()
    met = status == "complete" and growth[0] < 50
    return (
        f"{count} images, no latency ({calls} calls)",
        f"{seconds:.1f} s ({status})",
        f"peak RSS growth {growth[0]:.1f} MB (goal < 50 MB)",
        "met" if met else "MISSED",
    )


def cli_backup(base_url: str, directory: Path, concurrency: int) -> float:
    """``wxm backup DIR --types image --concurrency N`` as users run it: a new process,
    start-up and teardown included, its own config and data directories."""
    home = directory.with_name(directory.name + "-home")
    env = {
        **os.environ,
        "WXM_CONFIG_DIR": str(home / "config"),
        "WXM_DATA_DIR": str(home / "data"),
        "WECHAT_APPID": DEMO_APPID,
        "WECHAT_SECRET": DEMO_SECRET,
        "WECHAT_BASE_URL": base_url,
    }
    env.pop("WXM_PROFILE", None)
    command = [str(Path(sys.executable).with_name("wxm")), "backup", str(directory)]
    command += ["--types", "image", "--concurrency", str(concurrency)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"wxm backup failed: {done.stderr}")
    return seconds


def target_appids(repeat: int) -> list[str]:
    """Accounts to restore into: one per library run, one for the sequential loop, one
    for plain httpx at the same concurrency."""
    return [f"wxbe0c0000000000{i:02x}" for i in range(repeat + 2)]


def sequential_uploads(base_url: str, appid: str, backup: Path) -> float:
    """What users write without the library: a token, then one upload after the other."""
    with Manifest(backup, create=False) as manifest:
        entries = list(manifest.entries("image"))
    store = ObjectStore(backup)
    started = time.perf_counter()
    token = fetch_token(base_url, appid, TARGET_SECRET)
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for entry in entries:
            files = {"media": (entry.name, store.path_of(entry.sha256).read_bytes(), "image/png")}
            reply = http.post(
                "/cgi-bin/material/add_material",
                params={"access_token": token, "type": "image"},
                files=files,
            )
            assert "media_id" in reply.json(), reply.text
    return time.perf_counter() - started


def concurrent_uploads(base_url: str, appid: str, backup: Path, concurrency: int) -> float:
    """No library: plain httpx, a token, then ``concurrency`` uploads at a time. What
    the sandbox lets any client reach on this machine, to read the library's figure."""
    with Manifest(backup, create=False) as manifest:
        entries = list(manifest.entries("image"))
    store = ObjectStore(backup)

    async def run() -> float:
        started = time.perf_counter()
        token = fetch_token(base_url, appid, TARGET_SECRET)
        gate = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:

            async def one(entry: Entry) -> None:
                data = store.path_of(entry.sha256).read_bytes()
                async with gate:
                    reply = await http.post(
                        "/cgi-bin/material/add_material",
                        params={"access_token": token, "type": "image"},
                        files={"media": (entry.name, data, "image/png")},
                    )
                assert "media_id" in reply.json(), reply.text

            await asyncio.gather(*(one(entry) for entry in entries))
        return time.perf_counter() - started

    return asyncio.run(run())


def library_restore(
    base_url: str, appid: str, backup: Path, concurrency: int
) -> tuple[float, str, int]:
    async def run() -> tuple[float, str, int]:
        async with AsyncWeChatClient(
            appid, TARGET_SECRET, base_url=base_url, token_store=MemoryTokenStore()
        ) as client:
            started = time.perf_counter()  # the token fetch counts, as in the loop
            summary = await arestore(client, backup, concurrency=concurrency)
            return time.perf_counter() - started, summary.status, summary.calls

    return asyncio.run(run())


def restore_rows(
    base_url: str, work: Path, backup: Path, concurrency: int, repeat: int
) -> list[tuple[str, str, str, str]]:
    """The images backed up, restored into a fresh account each time, next to a
    sequential upload loop into another one (goal: at least 8x faster)."""
    *fresh, loop_account, plain_account = target_appids(repeat)
    images = shutil.copytree(backup, work / "restore-source")
    baseline = sequential_uploads(base_url, loop_account, images)
    plain = concurrent_uploads(base_url, plain_account, images, concurrency)
    times, statuses, calls = [], set(), 0
    for appid in fresh:
        seconds, status, calls = library_restore(base_url, appid, images, concurrency)
        times.append(seconds)
        statuses.add(status)
    seconds = statistics.median(times)
    status = "complete" if statuses == {"complete"} else "/".join(sorted(statuses))
    met = status == "complete" and baseline / seconds >= 8
    return [
        (
            "the same images, sequential upload loop into another account",
            f"{baseline * 1000:.0f} ms",
            "plain httpx: a token, then add_material one after the other",
            "baseline",
        ),
        (
            f"the same images, plain httpx {concurrency} uploads at a time",
            f"{plain * 1000:.0f} ms",
            f"{baseline / plain:.1f}x the sequential loop: what the sandbox allows here",
            "reference",
        ),
        (
            f"the same images, restored by the library ({calls} calls)",
            f"{seconds * 1000:.0f} ms{spread(times)} ({status})",
            f"{baseline / seconds:.1f}x the sequential upload loop (goal >= 8x); "
            f"{plain / seconds:.0%} of plain httpx's speed",
            "met" if met else "MISSED",
        ),
    ]


def spread(times: list[float]) -> str:
    """`` (a-b)``: the fastest and slowest of several runs, in ms."""
    if len(times) < 2:
        return ""
    return f" ({min(times) * 1000:.0f}-{max(times) * 1000:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--big", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each concurrent case; the median counts"
    )
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    account = [f"{DEMO_APPID}:{DEMO_SECRET}"]
    targets = [f"{appid}:{TARGET_SECRET}" for appid in target_appids(options.repeat)]
    rows: list[tuple[str, str, str, str]] = []
    ok = True

    sandbox = SandboxProcess(["--memory"], account + targets, 1, work / "sandbox.log")
    sandbox.start()
    try:
        seed(sandbox.base_url, options.images)
        with SandboxAdmin(sandbox.base_url) as admin:
            admin.set_faults("*", latency_ms=options.latency)
        (work / "seq").mkdir()
        baseline = sequential_baseline(sandbox.base_url, work / "seq")
        pages = math.ceil(options.images / PAGE)
        limit = (pages + options.images) / options.concurrency * options.latency / 1000
        times = ceiling(
            options.latency, options.concurrency, pages + options.images, options.repeat
        )
        best = statistics.median(times)
        rows.append(
            (
                f"{pages + options.images} calls, plain httpx {options.concurrency} at a time, "
                "to a server that only waits",
                f"{best * 1000:.0f} ms{spread(times)}",
                f"{limit / best:.0%} of the limit: the most httpx gets on this machine",
                "ceiling",
            )
        )
        times = []
        for run in range(options.repeat):
            (work / f"reference-{run}").mkdir()
            times.append(
                concurrent_reference(
                    sandbox.base_url, work / f"reference-{run}", options.concurrency
                )
            )
        reference = statistics.median(times)
        rows.append(
            (
                f"{options.images} images, plain httpx {options.concurrency} at a time "
                f"({pages + options.images} calls)",
                f"{reference * 1000:.0f} ms{spread(times)}",
                f"{baseline / reference:.1f}x the sequential loop; "
                f"{limit / reference:.0%} of the limit",
                "reference",
            )
        )
        for label, kinds in (
            ("images only", ("image",)),
            ("whole library", ("image", "voice", "video", "news", "draft", "published")),
        ):
            times, statuses = [], set()
            for run in range(options.repeat):
                profiler = cProfile.Profile() if options.profile else None
                if profiler:
                    profiler.enable()
                seconds, status, calls = library_backup(
                    sandbox.base_url,
                    work / f"{label.replace(' ', '-')}-{run}",
                    options.concurrency,
                    kinds,
                )
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                times.append(seconds)
                statuses.add(status)
            seconds = statistics.median(times)
            status = "complete" if statuses == {"complete"} else "/".join(sorted(statuses))
            ratio, share, of_httpx = baseline / seconds, limit / seconds, reference / seconds
            if kinds == ("image",):
                # The same calls as the plain httpx reference: at least 90 % of its speed.
                met = status == "complete" and ratio >= 10 and of_httpx >= 0.9
                against = f"{of_httpx:.0%} of plain httpx's speed (goal >= 90 %); "
            else:
                met = status == "complete" and ratio >= 10
                against = ""
            ok = ok and met
            rows.append(
                (
                    f"{options.images} images, {label} ({calls} calls)",
                    f"{seconds * 1000:.0f} ms{spread(times)} ({status})",
                    f"{against}{ratio:.1f}x the sequential loop ({baseline * 1000:.0f} ms); "
                    f"{share:.0%} of the limit ({limit * 1000:.0f} ms)",
                    "met" if met else "MISSED",
                )
            )
        times = []
        for run in range(options.repeat):
            times.append(cli_backup(sandbox.base_url, work / f"cli-{run}", options.concurrency))
        seconds = statistics.median(times)
        met = baseline / seconds >= 8
        ok = ok and met
        rows.append(
            (
                f"{options.images} images, `wxm backup --types image` as a new process",
                f"{seconds * 1000:.0f} ms{spread(times)}",
                f"{baseline / seconds:.1f}x the sequential loop (goal >= 8x), "
                "start-up and teardown included",
                "met" if met else "MISSED",
            )
        )
        rows.extend(
            restore_rows(
                sandbox.base_url, work, work / "images-only-0", options.concurrency, options.repeat
            )
        )
        ok = ok and rows[-1][3] == "met"
    finally:
        sandbox.stop()

    if options.big:
        row = memory_row(work, account, options.big, options.concurrency)
        ok = ok and row[3] == "met"
        rows.append(row)

    width = max(len(r[0]) for r in rows)
    print(f"latency {options.latency:g} ms per call, concurrency {options.concurrency}")
    for what, time_taken, figures, verdict in rows:
        print(f"{what:<{width}}  {time_taken:>18}  {figures}  [{verdict}]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
