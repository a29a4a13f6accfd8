"""How fast the sandbox answers, next to a bare Starlette app on the same machine.

Both servers run in subprocesses under uvicorn (one worker, access log off for
both, log level warning) on loopback, one after the other in the same run. The
load comes from ``wrk`` when it is on PATH (same settings for every scenario;
a Lua hook checks every reply). Without wrk a small Python generator stands in,
but it cannot push either server to its limit, so its ratios say little.

Scenarios:

- ``hello``: a bare Starlette JSON "hello world" (the ceiling on this machine);
- ``token``: GET /cgi-bin/token (quota lifted; every reply must hold a token);
- ``batchget``: POST /cgi-bin/material/batchget_material, a page of 20 images
  out of the 30 the account holds;
- ``upload 1MB``: POST /cgi-bin/material/add_material with a 1 MB JPEG;
- ``download 1MB``: POST /cgi-bin/material/get_material of a 1 MB JPEG.

A reply counts as bad unless it is HTTP 200 and what the scenario expects (a
token, a full page, a media_id, the JPEG); errors come as HTTP 200 with an
errcode, so status codes alone would hide them.

The goal: token and batchget reach at least 50 % of hello-world.

    .venv/bin/python bench/bench_sandbox.py [--connections 8] [--seconds 5] [--storage disk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

import httpx

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
MB = 1024 * 1024
LIBRARY_IMAGES = 30  # more than a page, as real accounts have
PAGE = 20
BOUNDARY = "benchsandboxboundary7d1f"
SMALL = ("token", "batchget")


# -- the servers (run in subprocesses by this same script) ------------------------------


def hello_app() -> object:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hello(request: object) -> JSONResponse:
        return JSONResponse({"hello": "world"})

    return Starlette(routes=[Route("/", hello)])


def sandbox_app(data_dir: str | None) -> object:
    from wechat_material.sandbox import SandboxConfig, create_app

    return create_app(SandboxConfig(data_dir=Path(data_dir) if data_dir else None))


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


# -- what each scenario sends and expects ---------------------------------------------


@dataclass
class Scenario:
    name: str
    target: str  # path and query
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect_body: str | None = None  # a good reply's body holds this
    expect_type: str | None = None  # a good reply's Content-Type starts with this

    def good(self, status: int, content_type: str, body: bytes) -> bool:
        if status != 200:
            return False
        if self.expect_type is not None and not content_type.startswith(self.expect_type):
            return False
        return self.expect_body is None or self.expect_body.encode() in body


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    bad: int
    sample: str = ""  # the first bad reply, for the report

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


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


def prepare_sandbox(base: str) -> list[Scenario]:
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
        jpeg = one_mb_jpeg()
        big = setup.post(
            "/cgi-bin/material/add_material",
            params={**auth, "type": "image"},
            files={"media": ("big.jpg", jpeg)},
        ).json()["media_id"]
    json_headers = {"Content-Type": "application/json"}
    query = "?" + urlencode(auth)
    return [
        Scenario("token", "/cgi-bin/token?" + urlencode(GRANT), expect_body='"access_token":"'),
        Scenario(
            "batchget",
            "/cgi-bin/material/batchget_material" + query,
            "POST",
            json.dumps({"type": "image", "offset": 0, "count": PAGE}).encode(),
            json_headers,
            expect_body=f'"item_count":{PAGE},',
        ),
        Scenario(
            "upload 1MB",
            "/cgi-bin/material/add_material" + query + "&type=image",
            "POST",
            multipart("media", "big.jpg", jpeg),
            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            expect_body='"media_id":"',
        ),
        Scenario(
            "download 1MB",
            "/cgi-bin/material/get_material" + query,
            "POST",
            json.dumps({"media_id": big}).encode(),
            json_headers,
            expect_type="image/jpeg",
        ),
    ]


# -- wrk -----------------------------------------------------------------------------------

LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end

local expect_body = %(expect_body)s
local expect_type = %(expect_type)s
wrk.method = %(method)s
wrk.path = %(path)s
%(headers)s
local body_file = %(body_file)s
if body_file then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

function init(args) bad = 0; seen = 0; sample = "" end

function response(status, headers, body)
  seen = seen + 1
  local ok = status == 200
  if ok and expect_type then
    local ct = headers["content-type"] or headers["Content-Type"] or ""
    ok = ct:sub(1, #expect_type) == expect_type
  end
  if ok and expect_body then ok = body:find(expect_body, 1, true) ~= nil end
  if not ok then
    bad = bad + 1
    if sample == "" then sample = status .. " " .. body:sub(1, 160) end
  end
end

function done(summary, latency, requests)
  local b, s, first = 0, 0, ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad"); s = s + t:get("seen")
    if first == "" then first = t:get("sample") end
  end
  io.write(string.format("CHECKED seen=%%d bad=%%d\\n", s, b))
  io.write("SAMPLE " .. first:gsub("\\n", " ") .. "\\n")
end
"""


def lua_string(value: str | None) -> str:
    return "nil" if value is None else json.dumps(value)  # JSON strings are Lua strings here


def wrk_script(scenario: Scenario, workdir: Path) -> Path:
    body_file = None
    if scenario.body is not None:
        body_path = workdir / f"{scenario.name.replace(' ', '-')}.body"
        body_path.write_bytes(scenario.body)
        body_file = str(body_path)
    headers = "\n".join(
        f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in scenario.headers.items()
    )
    script = workdir / f"{scenario.name.replace(' ', '-')}.lua"
    script.write_text(
        LUA
        % {
            "expect_body": lua_string(scenario.expect_body),
            "expect_type": lua_string(scenario.expect_type),
            "method": lua_string(scenario.method),
            "path": lua_string(scenario.target),
            "headers": headers,
            "body_file": lua_string(body_file),
        }
    )
    return script


def run_wrk(
    wrk: str, base: str, scenario: Scenario, connections: int, seconds: float, workdir: Path
) -> Result:
    script = wrk_script(scenario, workdir)
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script)]
    out = subprocess.run(
        [*command, base], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    checked = re.search(r"CHECKED seen=(\d+) bad=(\d+)", out)
    if total is None or checked is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    requests = int(total.group(1))
    # Replies wrk never got (socket errors, timeouts) are bad too.
    bad = int(checked.group(2)) + max(0, requests - int(checked.group(1)))
    errors = re.search(r"Socket errors: (.*)", out)
    first = re.search(r"SAMPLE (.*)", out)
    sample = first.group(1) if first else ""
    if errors:
        sample = f"{sample} [socket errors: {errors.group(1)}]".strip()
    return Result(scenario.name, requests, float(total.group(2)) * unit, bad, sample)


# -- the Python stand-in (when wrk is missing) ----------------------------------------------


async def run_python(base: str, scenario: Scenario, connections: int, seconds: float) -> Result:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def once() -> bool:
            reply = await client.request(
                scenario.method, scenario.target, content=scenario.body, headers=scenario.headers
            )
            return scenario.good(
                reply.status_code, reply.headers.get("content-type", ""), reply.content
            )

        for _ in range(10):  # warm up: connections open, caches filled
            await once()
        done = bad = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, bad
            while time.perf_counter() < deadline:
                done += 1
                if not await once():
                    bad += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return Result(scenario.name, done, time.perf_counter() - started, bad)


# -- the run and its report ------------------------------------------------------------


def run(connections: int, seconds: float, data_dir: str | None, wrk: str | None) -> list[Result]:
    def measure(base: str, scenario: Scenario, workdir: Path) -> Result:
        if wrk:
            return run_wrk(wrk, base, scenario, connections, seconds, workdir)
        return asyncio.run(run_python(base, scenario, connections, seconds))

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-wrk-") as tmp:
        workdir = Path(tmp)
        with server("hello") as base:
            hello = Scenario("hello", "/", expect_body='"hello":"world"')
            results.append(measure(base, hello, workdir))
        with server("sandbox", data_dir) as base:
            for scenario in prepare_sandbox(base):
                results.append(measure(base, scenario, workdir))
    return results


def report(results: list[Result]) -> bool:
    hello = results[0].rate
    columns = ("requests", "seconds", "req/s", "vs hello")
    print(f"{'scenario':<14} " + " ".join(f"{c:>9}" for c in columns) + f" {'bad':>5}")
    for r in results:
        ratio = r.rate / hello if hello else 0.0
        print(
            f"{r.name:<14} {r.requests:>9} {r.seconds:>9.2f} {r.rate:>9.0f} "
            f"{ratio:>9.0%} {r.bad:>5}"
        )
    for r in results:
        if r.bad:
            print(f"  first bad reply of {r.name}: {r.sample}")
    small = [r for r in results if r.name in SMALL]
    ok = all(r.rate >= 0.5 * hello and r.bad == 0 for r in small)
    print(
        "\ngoal: token and batchget at least 50 % of hello-world, no bad reply: "
        f"{'met' if ok else 'NOT met'}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario")
    parser.add_argument("--storage", choices=("memory", "disk"), default="memory")
    parser.add_argument("--python", action="store_true", help="use the Python generator, not wrk")
    parser.add_argument("--serve", choices=("hello", "sandbox"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data_dir)
        return
    wrk = None if args.python else shutil.which("wrk")
    if wrk is None:
        print(
            "warning: wrk not used; the Python load generator is slower than either server, "
            "so these figures are client-bound and the ratios overstate the sandbox\n",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        data_dir = tmp if args.storage == "disk" else None
        results = run(args.connections, args.seconds, data_dir, wrk)
    client = f"wrk -t1 -c{args.connections}" if wrk else f"Python, {args.connections} connections"
    print(
        f"\nstorage: {args.storage}; load: {client}, {args.seconds:g} s a scenario; loopback; "
        "uvicorn 1 worker, access log off for both\n"
    )
    sys.exit(0 if report(results) else 1)


if __name__ == "__main__":
    main()
