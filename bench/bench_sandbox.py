"""What a request costs the sandbox, next to a bare Starlette app and to an older sandbox.

Every server runs in its own subprocess under uvicorn (one worker, no access
log) on loopback, all started at once and measured in turns, with the sandbox's own
server settings (``ServerLimits().uvicorn_options()``: its protocol, limits
and timeouts), the bare Starlette app included. Rows:

- ``starlette``: a bare Starlette app answering each scenario's path with a
  small JSON reply, under the same settings and parser as the sandbox row
  below it: the ceiling on this machine;
- ``sandbox``: this tree's sandbox, with each HTTP parser (``httptools``,
  compiled, the default when installed; ``h11``, pure Python);
- ``baseline``: the sandbox of an older commit (``--baseline``, default
  ``f7252d3``), unpacked with ``git archive`` into a temporary folder and run
  with ``PYTHONPATH`` pointing there, with that commit's own settings.

Scenarios: ``token`` (GET /cgi-bin/token, quota lifted; every reply must hold
a token) and ``batchget`` (POST batchget_material, a page of 20 images of the
30 the account holds); with ``--large``, a 1 MB upload and download too. A
reply counts as bad unless it is HTTP 200 and holds what the scenario expects.

Two figures per row: requests per second, and the server's CPU time per
request, read from ``/proc/PID/stat`` (user + system) before and after the
scenario. CPU time counts only the server's own work, so it says much more
than requests per second on a machine that is busy with other things (then
the wall clock also counts time the server was waiting for a core). The load
comes from this process: 8 keep-alive connections on raw sockets (asyncio),
each sending the next request as soon as the previous reply is in.

Goal: CPU per request of the sandbox halved against the baseline, for token
and batchget. ``--profile`` runs the sandbox once more under cProfile and says
where its time goes, by area.

    .venv/bin/python bench/bench_sandbox.py [--seconds 2] [--rounds 3] [--connections 8]
        [--baseline f7252d3] [--large] [--profile] [--storage memory|disk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

import httpx

from sandbox_process import free_port
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
MB = 1024 * 1024
LIBRARY_IMAGES = 30  # more than a page, as real accounts have
PAGE = 20
BOUNDARY = "benchsandboxboundary7d1f"
SMALL = ("token", "batchget")
ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the servers (run in subprocesses by this same script) ------------------------------


def starlette_app() -> object:
    """A bare Starlette app: the two small scenarios' paths, each a small JSON reply."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def token(request: Request) -> JSONResponse:
        return JSONResponse({"access_token": "x" * 136, "expires_in": 7200})

    async def batchget(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"total_count": 30, "item_count": PAGE, "item": []})

    return Starlette(
        routes=[
            Route("/", token),
            Route("/cgi-bin/token", token),
            Route("/cgi-bin/material/batchget_material", batchget, methods=["POST"]),
        ]
    )


def sandbox_app(data_dir: str | None) -> object:
    from wechat_material.sandbox import SandboxConfig, create_app

    return create_app(SandboxConfig(data_dir=Path(data_dir) if data_dir else None))


def server_options(http: str | None) -> dict[str, object]:
    """The sandbox's own uvicorn settings (of whichever tree is on the path)."""
    from wechat_material.sandbox.connections import ServerLimits

    limits = ServerLimits(http=http) if http else ServerLimits()  # type: ignore[arg-type]
    options: dict[str, object] = limits.uvicorn_options()
    return options


def serve(kind: str, port: int, data_dir: str | None, http: str | None, profile: str) -> None:
    import uvicorn

    app = starlette_app() if kind == "starlette" else sandbox_app(data_dir)
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        **server_options(http),  # type: ignore[arg-type]
    )
    import cProfile

    profiler = cProfile.Profile()
    if profile:
        profiler.enable()
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass  # how the bench stops it
    finally:
        if profile:
            profiler.disable()
            profiler.dump_stats(profile)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/PID/stat``, fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Server:
    name: str
    base: str
    pid: int


@contextmanager
def server(
    name: str,
    kind: str,
    *,
    http: str | None = None,
    data_dir: str | None = None,
    pythonpath: str | None = None,
    profile: str = "",
) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    command += ["--data-dir", data_dir] if data_dir else []
    command += ["--http", http] if http else []
    command += ["--profile-to", profile] if profile else []
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        health = "/" if kind == "starlette" else "/_sandbox/health"
        while True:
            try:
                httpx.get(base + health, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the {name} server did not start") from None
                time.sleep(0.05)
        yield Server(name, base, process.pid)
    finally:
        process.send_signal(signal.SIGINT)  # uvicorn stops cleanly (and a profile is saved)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- what each scenario sends and expects ---------------------------------------------


@dataclass
class Scenario:
    name: str
    target: str  # path and query
    method: str = "GET"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    expect_body: bytes = b""  # a good reply's body holds this
    expect_type: bytes = b""  # a good reply's Content-Type starts with this

    def request(self, host: str) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Result:
    server: str
    scenario: str
    requests: int
    seconds: float
    cpu: float  # the server's CPU seconds over the scenario
    bad: int
    sample: str = ""  # the first bad reply, for the report

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.requests if self.requests else 0.0


def one_mb_jpeg() -> bytes:
    head = resources.files("wechat_material").joinpath("samples/image.jpg").read_bytes()
    # The padding goes before the end marker: a JPEG not ending in EOI is refused.
    return head[:-2] + bytes(MB - len(head)) + head[-2:]


def multipart(name: str, filename: str, data: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def small_scenarios(token: str) -> list[Scenario]:
    return [
        Scenario("token", "/cgi-bin/token?" + urlencode(GRANT), expect_body=b'"access_token":"'),
        Scenario(
            "batchget",
            "/cgi-bin/material/batchget_material?" + urlencode({"access_token": token}),
            "POST",
            json.dumps({"type": "image", "offset": 0, "count": PAGE}).encode(),
            {"Content-Type": "application/json"},
            expect_body=f'"item_count":{PAGE},'.encode(),
        ),
    ]


def prepare_sandbox(base: str, large: bool) -> list[Scenario]:
    """Lift the /token quota, fill the library, and describe the sandbox scenarios."""
    with httpx.Client(base_url=base, timeout=30) as setup:
        quota = {"cgi_path": "/cgi-bin/token", "daily_limit": 100_000_000}
        setup.put(f"/_sandbox/accounts/{DEMO_APPID}/quota", json=quota).raise_for_status()
        # A stable token: the /token scenario rotates /token tokens, never this one.
        token = setup.post("/cgi-bin/stable_token", json=GRANT).json()["access_token"]
        auth = {"access_token": token}
        image = resources.files("wechat_material").joinpath("samples/image.jpg").read_bytes()
        for i in range(LIBRARY_IMAGES):
            added = setup.post(
                "/cgi-bin/material/add_material",
                params={**auth, "type": "image"},
                files={"media": (f"image-{i}.jpg", image)},
            ).json()
            if "media_id" not in added:
                raise RuntimeError(f"seeding the library failed: {added}")
        scenarios = small_scenarios(token)
        if not large:
            return scenarios
        jpeg = one_mb_jpeg()
        big = setup.post(
            "/cgi-bin/material/add_material",
            params={**auth, "type": "image"},
            files={"media": ("big.jpg", jpeg)},
        ).json()["media_id"]
    query = "?" + urlencode(auth)
    return [
        *scenarios,
        Scenario(
            "upload 1MB",
            "/cgi-bin/material/add_material" + query + "&type=image",
            "POST",
            multipart("media", "big.jpg", jpeg),
            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            expect_body=b'"media_id":"',
        ),
        Scenario(
            "download 1MB",
            "/cgi-bin/material/get_material" + query,
            "POST",
            json.dumps({"media_id": big}).encode(),
            {"Content-Type": "application/json"},
            expect_type=b"image/jpeg",
        ),
    ]


# -- the load: keep-alive connections on raw sockets ----------------------------------


async def load(base: str, scenario: Scenario, connections: int, seconds: float) -> Result:
    host_port = base.removeprefix("http://")
    host, port = host_port.split(":")
    request = scenario.request(host_port)
    done = bad = 0
    sample = ""

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal done, bad, sample
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        content_type = b""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"content-type":
                content_type = value.strip()
        body = await reader.readexactly(length)
        done += 1
        good = head.startswith(b"HTTP/1.1 200 ") and scenario.expect_body in body
        if not good or not content_type.startswith(scenario.expect_type):
            bad += 1
            sample = sample or (head.split(b"\r\n")[0] + b" " + body[:160]).decode("latin-1")

    async def connection(deadline: float) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.monotonic() < deadline:
                await one(reader, writer)
        finally:
            writer.close()

    warm_reader, warm_writer = await asyncio.open_connection(host, int(port))
    for _ in range(20):  # warm up: caches filled, first-call costs paid
        await one(warm_reader, warm_writer)
    warm_writer.close()
    done = bad = 0
    started = time.monotonic()
    await asyncio.gather(*(connection(started + seconds) for _ in range(connections)))
    return Result("", scenario.name, done, time.monotonic() - started, 0.0, bad, sample)


def measure(
    running: Server, scenarios: list[Scenario], connections: int, seconds: float
) -> list[Result]:
    results = []
    for scenario in scenarios:
        before = cpu_seconds(running.pid)
        result = asyncio.run(load(running.base, scenario, connections, seconds))
        result.cpu = cpu_seconds(running.pid) - before
        # The warm-up's CPU is in there too: charge it to its requests.
        result.cpu *= result.requests / (result.requests + 20)
        result.server = running.name
        results.append(result)
    return results


# -- the run and its report ------------------------------------------------------------


def unpack(commit: str, into: Path) -> Path | None:
    """``src`` of ``commit`` unpacked under ``into``; None when git cannot."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"warning: no baseline ({commit}): {error}", file=sys.stderr)
        return None
    return into / "src"


def run(args: argparse.Namespace, data_dir: str | None, workdir: Path) -> list[Result]:
    """Start every server at once, then measure them in turns, ``--rounds`` times: load
    that comes and goes on the machine then falls on all of them alike. Each row keeps
    its median round."""
    baseline = unpack(args.baseline, workdir) if args.baseline else None
    plan: list[tuple[str, str, dict[str, str | None]]] = []
    for http in ("httptools", "h11"):
        plan.append((f"starlette {http}", "starlette", {"http": http}))
        plan.append((f"sandbox {http}", "sandbox", {"http": http}))
    if baseline is not None:
        plan.append((f"baseline {args.baseline}", "sandbox", {"pythonpath": str(baseline)}))
    with ExitStack() as stack:
        rows: list[tuple[Server, list[Scenario]]] = []
        for number, (name, kind, how) in enumerate(plan):
            own_dir = f"{data_dir}-{number}" if data_dir and kind == "sandbox" else None
            running = stack.enter_context(server(name, kind, data_dir=own_dir, **how))  # type: ignore[arg-type]
            if kind == "starlette":
                rows.append((running, small_scenarios("x")))
            else:
                rows.append((running, prepare_sandbox(running.base, args.large)))
        rounds: dict[tuple[str, str], list[Result]] = {}
        for _ in range(args.rounds):
            for running, scenarios in rows:
                for result in measure(running, scenarios, args.connections, args.seconds):
                    rounds.setdefault((result.server, result.scenario), []).append(result)
    return [sorted(kept, key=lambda r: r.cpu_ms)[len(kept) // 2] for kept in rounds.values()]


def report(results: list[Result], baseline_name: str) -> bool:
    def find(server: str, scenario: str) -> Result | None:
        return next((r for r in results if r.server == server and r.scenario == scenario), None)

    columns = ("requests", "req/s", "CPU ms/req", "of starlette", "CPU vs base")
    print(f"{'server':<18} {'scenario':<13} " + " ".join(f"{c:>12}" for c in columns), "bad")
    for r in results:
        parser = r.server.split()[-1] if r.server.startswith("sandbox") else "h11"
        bare = find(f"starlette {parser}", r.scenario)
        base = find(f"baseline {baseline_name}", r.scenario)
        share = f"{r.rate / bare.rate:.0%}" if bare and not r.server.startswith("starl") else ""
        versus = f"{r.cpu_ms / base.cpu_ms:.0%}" if base and r.server.startswith("sandbox") else ""
        print(
            f"{r.server:<18} {r.scenario:<13} {r.requests:>12} {r.rate:>12.0f} "
            f"{r.cpu_ms:>12.3f} {share:>12} {versus:>12}",
            r.bad,
        )
    for r in results:
        if r.bad:
            print(f"  first bad reply of {r.server} {r.scenario}: {r.sample}")
    met = True
    for scenario in SMALL:
        now, base = find("sandbox httptools", scenario), find(f"baseline {baseline_name}", scenario)
        if now is None or base is None:
            met = False
            continue
        met = met and now.cpu_ms <= 0.5 * base.cpu_ms and now.bad == 0
    print(
        f"\ngoal: CPU per request of token and batchget at most half the baseline's, "
        f"no bad reply: {'met' if met else 'NOT met'}"
    )
    return met


AREAS = (
    ("socket I/O (send, recv)", ("_socket.socket", "'send'", "'recv'")),
    ("SQLite", ("sqlite3",)),
    ("JSON", ("json/",)),
    ("uvicorn (parsing, protocol)", ("uvicorn/", "httptools", "h11/")),
    ("Starlette (routing, requests, responses)", ("starlette/",)),
    ("sandbox HTTP layers", ("sandbox/http/", "sandbox/connections")),
    ("sandbox state", ("sandbox/state/",)),
    ("asyncio event loop", ("asyncio/", "selectors", "_contextvars")),
)


def where_the_time_goes(profile: str) -> None:
    """The profile's own time (idle waiting left out) added up by area."""
    import pstats

    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        own = row[2]
        where = f"{filename}:{function}"
        if "poll" in function and "epoll" in where:
            continue  # waiting for the next request, not work
        area = next((name for name, keys in AREAS if any(k in where for k in keys)), "other")
        totals[area] = totals.get(area, 0.0) + own
    whole = sum(totals.values()) or 1.0
    print("\nwhere the sandbox's time goes (cProfile, idle waiting left out):")
    for area, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {area:<42} {seconds / whole:>6.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="turns of every server")
    parser.add_argument("--storage", choices=("memory", "disk"), default="memory")
    parser.add_argument("--baseline", default="f7252d3", help="commit to compare with ('' none)")
    parser.add_argument("--large", action="store_true", help="also 1 MB uploads and downloads")
    parser.add_argument("--profile", action="store_true", help="say where the time goes")
    parser.add_argument("--serve", choices=("starlette", "sandbox"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--http", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data_dir, args.http, args.profile_to)
        return
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        workdir = Path(tmp)
        data_dir = str(workdir / "data") if args.storage == "disk" else None
        results = run(args, data_dir, workdir)
        if args.profile:
            profile = str(workdir / "sandbox.prof")
            with server("profiled", "sandbox", data_dir=None, profile=profile) as running:
                scenarios = prepare_sandbox(running.base, large=False)
                measure(running, scenarios, args.connections, args.seconds)
        print(
            f"\nstorage: {args.storage}; load: {args.connections} keep-alive connections from "
            f"one Python process; {args.rounds} rounds of {args.seconds:g} s a scenario, the "
            f"median round kept; loopback; uvicorn 1 worker, "
            f"the sandbox's server settings for every row; {os.cpu_count()} CPUs, load "
            f"average {os.getloadavg()[0]:.1f} (on a busy machine, trust CPU per request)\n"
        )
        met = report(results, args.baseline)
        if args.profile:
            where_the_time_goes(profile)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
