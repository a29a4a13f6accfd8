"""Kill the sandbox mid-upload and check that nothing it acknowledged is lost or corrupt.

Starts ``python -m wechat_material.sandbox --data-dir DIR`` (state on disk), then
each round:

1. ``--uploaders`` concurrent clients upload small PNG images, each one new
   pixels, as permanent material (``/cgi-bin/material/add_material?type=image``);
   every media_id the sandbox answers with is recorded with the image's hash;
2. at a random moment (drawn from ``--seed``) the sandbox gets SIGKILL;
3. a new sandbox starts on the same directory (it must take over the lock the
   dead one held) and, with a new token, the harness checks that
   - every acknowledged upload, of this round and all before, is still there:
     ``get_material`` returns the very bytes sent;
   - every listed image (``batchget_material``, paged to the end) downloads,
     is a whole PNG and is one of the images sent (an upload cut by the kill
     may be kept or dropped, but never half-kept);
   - the counts agree: ``total_count``, the items listed, ``image_count``.

Per round it prints acknowledged / found / lost / corrupt, then the totals.
Exit status 1 on any loss, corruption or count mismatch.

    .venv/bin/python bench/crash_sandbox.py [--rounds 3] [--uploaders 32] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from png_image import is_valid_png, png_bytes
from sandbox_process import SandboxProcess, fetch_token

APPID, SECRET = "wxcrash0000000001", "crashsecret00000000000000000000001"
PAGE = 20
CHECKERS = 8  # downloads in flight while checking


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Ledger:
    """Everything sent, and what the sandbox said it kept."""

    sent: set[str] = field(default_factory=set)  # hashes of every image sent
    acked: dict[str, str] = field(default_factory=dict)  # media_id -> hash
    refused: int = 0  # answered with an errcode
    unanswered: int = 0  # the connection went down with the sandbox


@dataclass
class Survey:
    """What a restarted sandbox holds, against the ledger."""

    found: int  # acknowledged ids that download as the bytes sent
    lost: list[str]  # acknowledged ids that do not
    corrupt: list[str]  # listed ids that do not download as a whole image that was sent
    listed: int
    kept_unacked: int  # listed images whose upload was cut by a kill
    counts: str  # "" when the counts agree, else what disagrees


@dataclass
class RoundResult:
    number: int
    kill_after: float
    acked: int  # acknowledged during this round
    acked_total: int
    survey: Survey
    seconds: float


def token(base_url: str) -> str:
    return fetch_token(base_url, APPID, SECRET)


async def upload_until_killed(
    base_url: str, access_token: str, ledger: Ledger, args: argparse.Namespace, round_no: int
) -> None:
    """Upload from ``args.uploaders`` clients until the sandbox stops answering."""
    limits = httpx.Limits(max_connections=args.uploaders)
    params = {"access_token": access_token, "type": "image"}
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=args.timeout) as client:

        async def uploader(number: int) -> None:
            rng = random.Random(f"{args.seed}:{round_no}:{number}")
            while True:
                image = png_bytes(rng, largest=48)
                ledger.sent.add(sha(image))
                try:
                    reply = await client.post(
                        "/cgi-bin/material/add_material",
                        params=params,
                        files={"media": (f"u{number}.png", image, "image/png")},
                    )
                    data = reply.json()
                except (httpx.TransportError, ValueError):
                    ledger.unanswered += 1
                    return
                if isinstance(data, dict) and isinstance(data.get("media_id"), str):
                    ledger.acked[data["media_id"]] = sha(image)
                else:
                    ledger.refused += 1

        await asyncio.gather(*(uploader(n) for n in range(args.uploaders)))


async def load_and_kill(
    sandbox: SandboxProcess, ledger: Ledger, args: argparse.Namespace, round_no: int, delay: float
) -> None:
    access_token = token(sandbox.base_url)
    load = asyncio.create_task(
        upload_until_killed(sandbox.base_url, access_token, ledger, args, round_no)
    )
    await asyncio.sleep(delay)
    sandbox.kill()
    await load


async def download(client: httpx.AsyncClient, media_id: str) -> bytes | None:
    reply = await client.post("/cgi-bin/material/get_material", json={"media_id": media_id})
    if reply.status_code != 200 or reply.content.lstrip().startswith(b"{"):
        return None  # an errcode, not the file
    return reply.content


async def listing(client: httpx.AsyncClient) -> tuple[list[str], set[int]]:
    """Every listed image id, and every total_count seen while paging."""
    ids: list[str] = []
    totals: set[int] = set()
    offset = 0
    while True:
        body = {"type": "image", "offset": offset, "count": PAGE}
        page = (await client.post("/cgi-bin/material/batchget_material", json=body)).json()
        if "item" not in page:
            raise RuntimeError(f"batchget_material failed: {page}")
        totals.add(page["total_count"])
        ids += [item["media_id"] for item in page["item"]]
        offset += PAGE
        if not page["item"] or offset >= page["total_count"]:
            return ids, totals


async def check(base_url: str, ledger: Ledger, args: argparse.Namespace) -> Survey:
    """What survived: found / lost acknowledged ids, corrupt listed ones, counts."""
    params = {"access_token": token(base_url)}
    limits = httpx.Limits(max_connections=CHECKERS)
    async with httpx.AsyncClient(
        base_url=base_url, params=params, limits=limits, timeout=args.timeout
    ) as client:
        ids, totals = await listing(client)
        counted = (await client.get("/cgi-bin/material/get_materialcount")).json()
        wanted = list(dict.fromkeys([*ids, *ledger.acked]))
        gate = asyncio.Semaphore(CHECKERS)

        async def fetch(media_id: str) -> tuple[str, bytes | None]:
            async with gate:
                return media_id, await download(client, media_id)

        files = dict(await asyncio.gather(*(fetch(m) for m in wanted)))
    listed = set(ids)
    corrupt = [
        m
        for m in ids
        if (data := files[m]) is None
        or not is_valid_png(data)
        or sha(data) not in ledger.sent
        or (m in ledger.acked and sha(data) != ledger.acked[m])
    ]
    found = [m for m, digest in ledger.acked.items() if (d := files[m]) and sha(d) == digest]
    lost = [m for m in ledger.acked if m not in set(found)]
    problems = []
    if len(totals) != 1 or len(ids) not in totals:
        problems.append(f"listed {len(ids)}, total_count {sorted(totals)}")
    if counted.get("image_count") != len(ids):
        problems.append(f"image_count {counted.get('image_count')} vs {len(ids)} listed")
    if len(listed) != len(ids):
        problems.append(f"{len(ids) - len(listed)} ids listed twice")
    unlisted = [m for m in found if m not in listed]
    if unlisted:
        problems.append(f"{len(unlisted)} acknowledged ids download but are not listed")
    kept_unacked = len([m for m in ids if m not in ledger.acked])
    return Survey(len(found), lost, corrupt, len(ids), kept_unacked, "; ".join(problems))


def run_round(
    sandbox: SandboxProcess, ledger: Ledger, args: argparse.Namespace, number: int
) -> RoundResult:
    started = time.perf_counter()
    before = len(ledger.acked)
    delay = random.Random(f"{args.seed}:kill:{number}").uniform(args.earliest, args.latest)
    asyncio.run(load_and_kill(sandbox, ledger, args, number, delay))
    sandbox.start()  # the same data directory: the lock of the killed process must go
    survey = asyncio.run(check(sandbox.base_url, ledger, args))
    acked = len(ledger.acked)
    return RoundResult(number, delay, acked - before, acked, survey, time.perf_counter() - started)


def print_round(r: RoundResult) -> None:
    s = r.survey
    print(
        f"{r.number:>5} {r.kill_after:>7.2f} {r.acked:>6} {r.acked_total:>6} {s.found:>6} "
        f"{len(s.lost):>5} {len(s.corrupt):>7} {s.listed:>6} {s.kept_unacked:>8} "
        f"{'ok' if not s.counts else 'MISMATCH':>8} {r.seconds:>6.1f}"
    )
    for label, ids in (("lost", s.lost), ("corrupt", s.corrupt)):
        if ids:
            print(f"      {label}: {', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}")
    if s.counts:
        print(f"      counts: {s.counts}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Exit status 1 on any loss or corruption.",
    )
    parser.add_argument("--rounds", type=int, default=3, help="kill/restart cycles")
    parser.add_argument("--uploaders", type=int, default=32, help="concurrent uploaders")
    parser.add_argument("--seed", type=int, default=1, help="draws the images and kill times")
    parser.add_argument("--earliest", type=float, default=1.0, help="kill no sooner (s)")
    parser.add_argument("--latest", type=float, default=3.0, help="kill no later (s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request (s)")
    parser.add_argument("--keep-dir", metavar="DIR", help="use (and keep) this data directory")
    args = parser.parse_args()
    if not 0 < args.earliest <= args.latest:
        parser.error("need 0 < --earliest <= --latest")
    with tempfile.TemporaryDirectory(prefix="crash-sandbox-") as tmp:
        data_dir = Path(args.keep_dir) if args.keep_dir else Path(tmp) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = Path(tmp) / "sandbox.log"
        sandbox = SandboxProcess(
            ["--data-dir", str(data_dir)], [f"{APPID}:{SECRET}"], args.seed, log_path
        )
        ledger = Ledger()
        results: list[RoundResult] = []
        print(f"data dir {data_dir}; {args.uploaders} uploaders; seed {args.seed}\n")
        print(
            f"{'round':>5} {'kill s':>7} {'acked':>6} {'total':>6} {'found':>6} {'lost':>5} "
            f"{'corrupt':>7} {'listed':>6} {'unacked':>8} {'counts':>8} {'secs':>6}"
        )
        try:
            sandbox.start()
            for number in range(1, args.rounds + 1):
                results.append(run_round(sandbox, ledger, args, number))
                print_round(results[-1])
            alive = sandbox.alive()
        except RuntimeError as error:
            print(f"\nthe run stopped: {error}\n--- sandbox log (tail) ---")
            print(sandbox.log_text()[-3000:])
            sys.exit(1)
        finally:
            sandbox.stop()
    last = results[-1].survey
    lost = sum(len(r.survey.lost) for r in results)
    corrupt = sum(len(r.survey.corrupt) for r in results)
    mismatches = sum(1 for r in results if r.survey.counts)
    print(
        f"\noverall: {len(ledger.sent)} images sent, {len(ledger.acked)} acknowledged, "
        f"{last.found} found after the last restart, {len(last.lost)} lost, "
        f"{corrupt} corrupt listings over all rounds, {ledger.refused} refused with an errcode, "
        f"{ledger.unanswered} cut by the kills ({last.kept_unacked} of those kept whole)"
    )
    failed = lost or corrupt or mismatches or not alive
    print(f"verdict: {'LOSS OR CORRUPTION' if failed else 'nothing lost, nothing corrupt'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
