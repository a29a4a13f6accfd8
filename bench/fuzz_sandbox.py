"""Fuzz a running sandbox over real HTTP and classify every answer.

Starts ``python -m wechat_material.sandbox --memory --seed S`` on a free loopback
port, gets real tokens, seeds a little content (materials, a draft, a publish, a
JS-SDK voice) and then sends ``--requests`` fuzzed requests in three phases:

- ``memory`` (first, on a heap not yet grown by big uploads): calls under random
  appids and random /cgi-bin paths, with the sandbox's RSS (``VmRSS``) read
  every few hundred requests, to show whether its per-appid, per-path state
  stays bounded;
- ``api``: every /cgi-bin endpoint, the /mmbiz/ files and the admin API with
  random methods, paths near the real ones, odd query strings (missing,
  duplicate, huge, unicode, NUL params; bad tokens), JSON bodies (right shapes
  with wrong types, 2**64, NaN/Infinity literals, deep nesting, lone
  surrogates, truncated text), multipart bodies (missing parts, odd filenames,
  wrong Content-Type, boundary tricks, empty and big-ish parts), odd headers
  (Host, Range, Content-Type, Connection) and chunked bodies;
- ``state``: one at a time, admin calls that change the whole sandbox (clock
  advance/set, fault rules, settings, reset) with fuzzed bodies, each followed
  by probe calls (a token and an API call on an untouched account) and an undo;
  a probe that fails is charged to the admin call before it.

An answer is a bug when it is an HTTP 5xx, a hang (no answer within
``--timeout``), a cut connection (no fault is configured) or a reply labelled
JSON that is not strict JSON. A body larger than its endpoint's cap
(``wechat_material.sandbox.http.body_caps``) is refused unread and the
connection closed: the refusal or a cut connection is then the expected
``over_cap``. HTTP 200 with an errcode is fine, as are 4xx
answers from the admin API, 404s for paths that do not exist and 405s for
methods no route takes; other 4xx answers on API paths are listed as odd. At
the end the sandbox must still be running and hand out a token. Exit status 1
when any bug was found, or when the memory phase grew the RSS past
``--rss-growth-mb``.

Every case is drawn from its own generator seeded by ``(--seed, case number)``,
so ``--case N`` (with the same ``--requests`` and ``--seed``) sends case N alone
to a fresh sandbox, and prints what it answered.

    .venv/bin/python bench/fuzz_sandbox.py [--requests 10000] [--seed 20240601]
                                           [--concurrency 8] [--timeout 10]
    .venv/bin/python bench/fuzz_sandbox.py --case 4242 --verbose
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from fuzz_cases import ACCOUNTS, CHECK, Case, grant_query, make_case, plan, seed_content
from sandbox_process import SandboxProcess, rss_mb
from wechat_material.sandbox import SandboxConfig
from wechat_material.sandbox.http.body_caps import cap_for

BUG_OUTCOMES = ("http_5xx", "hang", "reset", "bad_json")
FINE_OUTCOMES = (
    "over_cap",
    "ok",
    "errcode",
    "file",
    "head",
    "not_found",
    "not_allowed",
    "admin_ok",
    "admin_4xx",
)
RSS_EVERY = 250


@dataclass
class Outcome:
    case: Case
    kind: str
    status: int | None = None
    detail: str = ""
    seconds: float = 0.0
    body: bytes = b""  # kept for probes only


def over_cap(case: Case) -> bool:
    """Whether the case's body is larger than its endpoint takes: the sandbox refuses it
    without reading it all and closes the connection, so the client may see the refusal
    or, when it was still sending, a reset."""
    path = unquote(urlsplit(case.target).path)
    ceiling = SandboxConfig().max_request_bytes
    return case.body is not None and len(case.body) > cap_for(path, ceiling).max_bytes


def judge(case: Case, response: httpx.Response) -> tuple[str, str]:
    """The outcome's kind (see BUG_OUTCOMES and FINE_OUTCOMES) and an excerpt of the body."""
    status = response.status_code
    excerpt = response.content[:200].decode("utf-8", "replace")
    if status < 500 and over_cap(case) and response.headers.get("connection") == "close":
        return "over_cap", excerpt
    labelled_json = response.headers.get("content-type", "").startswith("application/json")
    if status >= 500:
        return "http_5xx", excerpt
    if case.target.startswith("/_sandbox/"):
        # Admin replies are JSON, but for the router's own plain-text 404 and 405.
        if case.method != "HEAD" and (labelled_json or status < 400):
            try:
                strict_json(response.content)
            except ValueError as error:
                return "bad_json", f"{error}: {excerpt}"
        return ("admin_ok" if status < 400 else "admin_4xx"), excerpt
    if status in (404, 405):  # no such path; a method no route takes, or DELETE on a file
        return ("not_found" if status == 404 else "not_allowed"), excerpt
    if status != 200:
        return f"http_{status}", excerpt
    if case.method == "HEAD":
        return "head", excerpt
    if not labelled_json and not response.content.startswith(b"{"):
        return "file", excerpt
    try:  # JSON may come labelled text/plain (a sandbox setting, and WeChat's habit)
        data = strict_json(response.content)
    except ValueError as error:
        return ("bad_json", f"{error}: {excerpt}") if labelled_json else ("file", excerpt)
    if isinstance(data, dict) and data.get("errcode") not in (None, 0):
        return "errcode", excerpt
    return "ok", excerpt


def strict_json(raw: bytes) -> Any:
    """JSON as RFC 8259 has it: NaN and Infinity are not JSON (ValueError)."""
    return json.loads(raw, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def body_chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 7919):
        yield body[start : start + 7919]


async def send(client: httpx.AsyncClient, case: Case, keep_body: bool = False) -> Outcome:
    started = time.perf_counter()
    content: bytes | AsyncIterator[bytes] | None = case.body
    if case.chunked and case.body is not None:
        content = body_chunks(case.body)
    try:
        response = await client.request(
            case.method, case.target, content=content, headers=case.headers
        )
    except httpx.TimeoutException as error:
        return Outcome(case, "hang", None, repr(error), time.perf_counter() - started)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
        kind = "over_cap" if over_cap(case) else "reset"
        return Outcome(case, kind, None, repr(error), time.perf_counter() - started)
    except httpx.ConnectError as error:
        return Outcome(case, "reset", None, repr(error), time.perf_counter() - started)
    except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeError, ValueError) as error:
        return Outcome(case, "unsendable", None, repr(error), time.perf_counter() - started)
    kind, detail = judge(case, response)
    seconds = time.perf_counter() - started
    body = response.content if keep_body else b""
    return Outcome(case, kind, response.status_code, detail, seconds, body)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    probe_failures: list[tuple[Outcome, Outcome]] = field(default_factory=list)
    probes: int = 0
    rss: list[tuple[str, float | None]] = field(default_factory=list)
    seconds: float = 0.0
    final_ok: bool = False
    final_detail: str = ""
    kept: str = ""
    seeded: str = ""
    urls: int = 0
    tracebacks: Counter[str] = field(default_factory=Counter)


async def run_phase(
    base_url: str,
    cases: list[Case],
    args: argparse.Namespace,
    report: Report,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Send ``cases`` with ``args.concurrency`` requests in flight."""
    concurrency = args.concurrency
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = iter(cases)
    done = 0
    client = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=args.timeout)
    async with client:

        async def worker() -> None:
            nonlocal done
            for case in queue:
                report.outcomes.append(await send(client, case))
                done += 1
                if on_progress is not None:
                    on_progress(done)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run_state_phase(base_url: str, cases: list[Case], seconds: float, report: Report) -> None:
    """One admin call at a time, each followed by probes and an undo."""
    async with httpx.AsyncClient(base_url=base_url, timeout=seconds) as client:
        original = (await client.put("/_sandbox/settings", json={})).json()
        for case in cases:
            outcome = await send(client, case)
            report.outcomes.append(outcome)
            if outcome.kind in BUG_OUTCOMES:
                continue
            if case.endpoint == "admin:faults" and outcome.status == 200:
                rules = await send(client, Case(-1, "probe", "probe", "GET", "/_sandbox/faults"))
                report.probes += 1
                if rules.kind in BUG_OUTCOMES:
                    report.probe_failures.append((outcome, rules))
                if not await faults_are_tame(client):
                    await client.delete("/_sandbox/faults")
                    continue
            for result in await probe(client):
                report.probes += 1
                if result.kind in BUG_OUTCOMES:
                    report.probe_failures.append((outcome, result))
            await undo(client, original)


async def probe(client: httpx.AsyncClient) -> list[Outcome]:
    """A token for the untouched account, then two calls with it."""
    results = [
        await send(
            client,
            Case(-1, "probe", "probe:token", "GET", grant_query(CHECK)),
            keep_body=True,
        )
    ]
    try:
        token = str(json.loads(results[0].body).get("access_token", ""))
    except (ValueError, AttributeError):
        token = ""
    follow = [
        Case(
            -1,
            "probe",
            "probe:count",
            "GET",
            f"/cgi-bin/material/get_materialcount?access_token={quote(token)}",
        ),
        Case(
            -1,
            "probe",
            "probe:batchget",
            "POST",
            f"/cgi-bin/material/batchget_material?access_token={quote(token)}",
            [("Content-Type", "application/json")],
            b'{"type":"image","offset":0,"count":2}',
        ),
    ]
    for case in follow:
        results.append(await send(client, case))
    return results


async def faults_are_tame(client: httpx.AsyncClient) -> bool:
    """Whether the fault rules now set let a probe through unharmed and soon."""
    try:
        rules = (await client.get("/_sandbox/faults")).json().get("rules", [])
    except (httpx.HTTPError, ValueError):
        return False
    for rule in rules:
        waits = (rule.get("latency_ms", 0), rule.get("jitter_ms", 0))
        if not all(isinstance(w, int | float) and math.isfinite(w) for w in waits):
            return False
        if sum(waits) > 2000:
            return False
        if rule.get("drop_rate") or rule.get("http_5xx_rate"):
            return False
    return True


async def undo(client: httpx.AsyncClient, original: dict[str, Any]) -> None:
    await client.delete("/_sandbox/faults")
    await client.put("/_sandbox/settings", json=original)
    await client.post("/_sandbox/clock/set", json={"now": time.time()})


def counters_kept(base_url: str, cases: list[Case]) -> str:
    """What the sandbox still counts for the last appid of the memory phase."""
    appids = [httpx.URL(c.target).params.get("appid") for c in cases if c.target.startswith("/")]
    appid = next((a for a in reversed(appids) if a), None)
    if appid is None:
        return "no appid was sent"
    try:
        reply = httpx.get(
            base_url + "/_sandbox/counters", params={"appid": appid}, timeout=10
        ).json()
    except (httpx.HTTPError, ValueError) as error:
        return f"counters unreadable: {error!r}"
    calls = reply.get("calls") if isinstance(reply, dict) else None
    return f"counters kept for {appid[:24]}…: {calls}"


def final_check(base_url: str, sandbox: SandboxProcess, report: Report) -> None:
    if not sandbox.alive():
        report.final_detail = (
            f"the sandbox process exited with {sandbox.process and sandbox.process.returncode}"
        )
        return
    try:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            reply = client.get(grant_query(CHECK)).json()
    except (httpx.HTTPError, ValueError) as error:
        report.final_detail = f"no token after the run: {error!r}"
        return
    report.final_ok = "access_token" in reply
    report.final_detail = "a token call answers" if report.final_ok else f"token call: {reply}"


def tracebacks_in(log: str) -> Counter[str]:
    """The last line of each traceback in the server log (the exception), counted."""
    found: Counter[str] = Counter()
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            if j < len(lines):
                found[lines[j][:200]] += 1
    return found


def run(args: argparse.Namespace) -> Report:
    report = Report()
    with tempfile.TemporaryDirectory(prefix="fuzz-sandbox-") as tmp:
        log_path = Path(tmp) / "sandbox.log"
        accounts = [f"{appid}:{secret}" for appid, secret in ACCOUNTS]
        sandbox = SandboxProcess(["--memory"], accounts, args.sandbox_seed, log_path)
        sandbox.start()
        try:
            ctx = seed_content(sandbox.base_url)
            report.urls = len(ctx.urls)
            report.seeded = ", ".join(f"{k} {len(v)}" for k, v in sorted(ctx.ids.items()))
            n_memory, n_api, _ = plan(args.requests)
            cases = [make_case(i, args.requests, args.seed, ctx) for i in range(args.requests)]
            memory_cases = cases[:n_memory]
            started = time.perf_counter()
            report.rss.append(("start (after seeding)", rss_mb(sandbox.pid)))

            def sample_rss(done: int) -> None:
                if done % RSS_EVERY == 0:
                    report.rss.append((f"  memory phase {done}", rss_mb(sandbox.pid)))

            phase = run_phase(sandbox.base_url, memory_cases, args, report, sample_rss)
            asyncio.run(phase)
            report.rss.append((f"after memory phase ({n_memory})", rss_mb(sandbox.pid)))
            report.kept = counters_kept(sandbox.base_url, memory_cases)
            api_cases = cases[n_memory : n_memory + n_api]
            asyncio.run(run_phase(sandbox.base_url, api_cases, args, report))
            report.rss.append((f"after api phase ({n_api})", rss_mb(sandbox.pid)))
            state_cases = cases[n_memory + n_api :]
            asyncio.run(run_state_phase(sandbox.base_url, state_cases, args.timeout, report))
            report.rss.append(("end", rss_mb(sandbox.pid)))
            report.seconds = time.perf_counter() - started
            final_check(sandbox.base_url, sandbox, report)
        finally:
            sandbox.stop()
            report.tracebacks = tracebacks_in(sandbox.log_text())
            if args.keep_log:
                Path(args.keep_log).write_text(sandbox.log_text())
    return report


def is_bug(outcome: Outcome) -> bool:
    return outcome.kind in BUG_OUTCOMES


def print_report(report: Report, args: argparse.Namespace) -> bool:
    outcomes = report.outcomes
    by_kind = Counter(o.kind for o in outcomes)
    print(
        f"\nfuzzed requests: {len(outcomes)} in {report.seconds:.1f} s "
        f"(+{report.probes} probes), seed {args.seed}, concurrency {args.concurrency}"
    )
    print(f"aimed at seeded ids: {report.seeded}; file URLs known: {report.urls}")
    print("\nby outcome:")
    for kind, count in by_kind.most_common():
        verdict = "BUG" if kind in BUG_OUTCOMES else "fine" if kind in FINE_OUTCOMES else "odd"
        print(f"  {kind:<14} {count:>7}  {verdict}")
    print("\nby endpoint:")
    table: dict[str, Counter[str]] = defaultdict(Counter)
    slowest: dict[str, float] = defaultdict(float)
    for o in outcomes:
        table[o.case.endpoint][o.kind] += 1
        slowest[o.case.endpoint] = max(slowest[o.case.endpoint], o.seconds)
    print(f"  {'endpoint':<24} {'sent':>6} {'bugs':>5} {'max s':>6}  outcomes")
    for name in sorted(table):
        counts = table[name]
        bugs = sum(counts[k] for k in BUG_OUTCOMES)
        detail = ", ".join(f"{k} {v}" for k, v in counts.most_common())
        print(f"  {name:<24} {counts.total():>6} {bugs:>5} {slowest[name]:>6.2f}  {detail}")
    bugs = [o for o in outcomes if is_bug(o)]
    if bugs:
        print(
            f"\nfirst bugs (of {len(bugs)}); replay one with "
            f"--requests {args.requests} --seed {args.seed} --case N:"
        )
        for o in bugs[: args.examples]:
            print(f"  [{o.kind} {o.status or ''}] {o.case.reproducer()}")
            print(f"      -> {o.detail[:200]!r}")
    odd = [o for o in outcomes if o.kind not in BUG_OUTCOMES + FINE_OUTCOMES]
    if odd:
        print(f"\nodd answers (not counted as bugs; of {len(odd)}):")
        seen: set[tuple[str, str]] = set()
        for o in odd:
            if (o.kind, o.case.endpoint) in seen:
                continue
            seen.add((o.kind, o.case.endpoint))
            print(f"  [{o.kind}] {o.case.reproducer(80)}\n      -> {o.detail[:120]!r}")
            if len(seen) >= args.examples:
                break
    for admin_call, probe in report.probe_failures[: args.examples]:
        print(f"\nprobe failed after an admin call: {admin_call.case.reproducer()}")
        print(f"  probe [{probe.kind} {probe.status or ''}] {probe.case.reproducer()}")
        print(f"      -> {probe.detail[:200]!r}")
    if report.tracebacks:
        print("\nexceptions in the sandbox log:")
        for line, count in report.tracebacks.most_common(args.examples):
            print(f"  {count:>5}  {line}")
    print("\nsandbox RSS (VmRSS):")
    for label, value in report.rss:
        print(f"  {label:<32} {'?' if value is None else f'{value:.1f} MB':>10}")
    print(f"  {report.kept}")
    memory_bug, verdict = memory_verdict(report.rss, plan(args.requests)[0], args.rss_growth_mb)
    print(f"  {verdict}")
    print(
        f"\nafter the run: process {'alive' if report.final_ok else 'NOT OK'}; "
        f"{report.final_detail}"
    )
    failed = bool(bugs) or bool(report.probe_failures) or not report.final_ok or memory_bug
    print(f"\nverdict: {'BUGS FOUND' if failed else 'no bug found'}")
    return not failed


def memory_verdict(
    rss: list[tuple[str, float | None]], requests: int, limit_mb: float
) -> tuple[bool, str]:
    """Whether the memory phase grew the RSS past ``limit_mb``, and how it grew."""
    start = next((v for label, v in rss if label.startswith("start")), None)
    samples = [v for label, v in rss if label.strip().startswith("memory phase")]
    end = next((v for label, v in rss if label.startswith("after memory")), None)
    if start is None or end is None or not requests:
        return False, "memory phase growth: unknown (VmRSS unreadable)"
    growth = end - start
    points = [start, *(v for v in samples if v is not None), end]
    half = points[len(points) // 2]
    steady = all(b >= a for a, b in itertools.pairwise(points)) and end - half >= 0.25 * growth
    shape = "still rising at the end, no plateau" if steady and growth > 0.5 else "levels off"
    exceeded = growth > limit_mb
    return exceeded, (
        f"memory phase growth: {growth:+.1f} MB over {requests} requests "
        f"({growth / requests * 1000:+.2f} MB per 1000; {shape}); "
        f"limit {limit_mb:g} MB: {'EXCEEDED' if exceeded else 'within'}"
    )


def replay(args: argparse.Namespace) -> int:
    """Send one case to a fresh sandbox and show the whole answer."""
    with tempfile.TemporaryDirectory(prefix="fuzz-sandbox-") as tmp:
        accounts = [f"{appid}:{secret}" for appid, secret in ACCOUNTS]
        log_path = Path(tmp) / "sandbox.log"
        sandbox = SandboxProcess(["--memory"], accounts, args.sandbox_seed, log_path)
        sandbox.start()
        try:
            ctx = seed_content(sandbox.base_url)
            case = make_case(args.case, args.requests, args.seed, ctx)
            print(case.reproducer(2000 if args.verbose else 300))
            outcome = asyncio.run(_send_one(sandbox.base_url, case, args.timeout))
            print(f"-> {outcome.kind} {outcome.status or ''} in {outcome.seconds:.2f} s")
            print(f"   {outcome.detail[:2000]}")
        finally:
            sandbox.stop()
            if args.verbose:
                print(sandbox.log_text()[-4000:])
    return 1 if is_bug(outcome) else 0


async def _send_one(base_url: str, case: Case, seconds: float) -> Outcome:
    async with httpx.AsyncClient(base_url=base_url, timeout=seconds) as client:
        return await send(client, case)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Exit status 1 when a bug was found.",
    )
    parser.add_argument("--requests", type=int, default=10_000, help="fuzzed requests in all")
    parser.add_argument("--seed", type=int, default=20240601, help="draws every case")
    parser.add_argument("--sandbox-seed", type=int, default=7, help="the sandbox's --seed")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a hang")
    parser.add_argument("--examples", type=int, default=8, help="bug examples to print")
    parser.add_argument(
        "--rss-growth-mb",
        type=float,
        default=32.0,
        help="RSS growth over the memory phase beyond which memory counts as unbounded",
    )
    parser.add_argument("--case", type=int, help="replay this one case on a fresh sandbox")
    parser.add_argument("--verbose", action="store_true", help="with --case: show more")
    parser.add_argument("--keep-log", metavar="FILE", help="save the sandbox's log here")
    args = parser.parse_args()
    if args.requests < 10:
        parser.error("--requests must be at least 10")
    if args.case is not None:
        sys.exit(replay(args))
    report = run(args)
    sys.exit(0 if print_report(report, args) else 1)


if __name__ == "__main__":
    main()
