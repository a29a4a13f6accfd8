"""How fast the sandbox answers, next to a bare Starlette app on the same machine.

Both servers run under uvicorn (one worker) in subprocesses on loopback; a
small httpx load generator (a few concurrent connections, a bounded number of
requests and seconds per scenario) measures requests per second for:

- ``hello``: a bare Starlette "hello world" (the ceiling on this machine);
- ``token``: GET /cgi-bin/token;
- ``batchget``: POST /cgi-bin/material/batchget_material (20 images listed);
- ``upload 1MB``: POST /cgi-bin/media/upload with a 1 MB JPEG;
- ``download 1MB``: GET /cgi-bin/media/get of that JPEG.

The goal: the small JSON endpoints reach at least 50 % of hello-world.

    .venv/bin/python bench/bench_sandbox.py [--connections 4] [--seconds 5] [--storage disk]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import httpx

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
MB = 1024 * 1024


# -- the servers (run in subprocesses by this same script) ------------------------------


def hello_app() -> object:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hello, world")

    return Starlette(routes=[Route("/", hello)])


def sandbox_app(data_dir: str | None) -> object:
    from pathlib import Path

    from wechat_material.sandbox import SandboxConfig, create_app

    return create_app(SandboxConfig(data_dir=Path(data_dir) if data_dir else None, seed=1))


def serve(kind: str, port: int, data_dir: str | None) -> None:
    import uvicorn

    app = hello_app() if kind == "hello" else sandbox_app(data_dir)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, access_log=False, log_level="warning")  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(kind: str, data_dir: str | None = None) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    if data_dir:
        command += ["--data-dir", data_dir]
    process = subprocess.Popen(command)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + ("/" if kind == "hello" else "/_sandbox/health"), timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the {kind} server did not start") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


# -- the load generator -------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    failures: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def load(
    name: str, base: str, request: Request, *, total: int, seconds: float, connections: int
) -> Result:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for _ in range(min(20, total)):  # warm up: connections open, caches filled
            await request(client)
        done = failures = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, failures
            while done < total and time.perf_counter() < deadline:
                done += 1
                if failed(await request(client)):
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return Result(name, done, time.perf_counter() - started, failures)


def failed(reply: httpx.Response) -> bool:
    """Not a success: an HTTP error, or an errcode other than 0 (checked on the bytes, so the
    load generator spends no time parsing replies)."""
    if reply.status_code != 200:
        return True
    head = reply.content[:16]
    return head.startswith(b'{"errcode":') and not head.startswith(b'{"errcode":0,')


def one_mb_jpeg() -> bytes:
    head = resources.files("wechat_material").joinpath("samples/image.jpg").read_bytes()
    return head + bytes(MB - len(head))


async def run(connections: int, seconds: float, data_dir: str | None) -> list[Result]:
    small, big = 5000, 400
    results = []
    with server("hello") as base:
        results.append(
            await load(
                "hello",
                base,
                lambda c: c.get("/"),
                total=small,
                seconds=seconds,
                connections=connections,
            )
        )
    with server("sandbox", data_dir) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as setup:
            # lift the /token quota so the benchmark measures speed, not 45009
            quota = {"cgi_path": "/cgi-bin/token", "daily_limit": 10_000_000}
            await setup.put(f"/_sandbox/accounts/{DEMO_APPID}/quota", json=quota)
            # a stable token: the /token scenario rotates /token tokens, not this one
            stable = await setup.post("/cgi-bin/stable_token", json=GRANT)
            token = stable.json()["access_token"]
            image = resources.files("wechat_material").joinpath("samples/image.jpg").read_bytes()
            for _ in range(20):
                await setup.post(
                    "/cgi-bin/material/add_material",
                    params={"access_token": token, "type": "image"},
                    files={"media": ("image.jpg", image)},
                )
            jpeg = one_mb_jpeg()
            uploaded = await setup.post(
                "/cgi-bin/media/upload",
                params={"access_token": token, "type": "image"},
                files={"media": ("big.jpg", jpeg)},
            )
            big_id = uploaded.json()["media_id"]
        auth = {"access_token": token}
        page = {"type": "image", "offset": 0, "count": 20}
        scenarios: list[tuple[str, Request, int]] = [
            ("token", lambda c: c.get("/cgi-bin/token", params=GRANT), small),
            (
                "batchget",
                lambda c: c.post("/cgi-bin/material/batchget_material", params=auth, json=page),
                small,
            ),
            (
                "upload 1MB",
                lambda c: c.post(
                    "/cgi-bin/media/upload",
                    params={**auth, "type": "image"},
                    files={"media": ("big.jpg", jpeg)},
                ),
                big,
            ),
            (
                "download 1MB",
                lambda c: c.get("/cgi-bin/media/get", params={**auth, "media_id": big_id}),
                big,
            ),
        ]
        for name, request, total in scenarios:
            results.append(
                await load(
                    name, base, request, total=total, seconds=seconds, connections=connections
                )
            )
    return results


def report(results: list[Result]) -> bool:
    hello = results[0].rate
    print(
        f"{'scenario':<14} {'requests':>9} {'seconds':>8} {'req/s':>9} {'vs hello':>9} {'fail':>5}"
    )
    for r in results:
        ratio = r.rate / hello if hello else 0.0
        print(
            f"{r.name:<14} {r.requests:>9} {r.seconds:>8.2f} {r.rate:>9.0f} "
            f"{ratio:>8.0%} {r.failures:>5}"
        )
    small = [r for r in results if r.name in ("token", "batchget")]
    ok = all(r.rate >= 0.5 * hello for r in small)
    print(f"\ngoal: token and batchget at least 50 % of hello-world: {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0, help="at most, per scenario")
    parser.add_argument("--storage", choices=("memory", "disk"), default="memory")
    parser.add_argument("--serve", choices=("hello", "sandbox"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data_dir)
        return
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        data_dir = tmp if args.storage == "disk" else None
        results = asyncio.run(run(args.connections, args.seconds, data_dir))
    print(f"storage: {args.storage}; {args.connections} connections; loopback\n")
    sys.exit(0 if report(results) else 1)


if __name__ == "__main__":
    main()
