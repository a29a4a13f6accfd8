"""How long ``wxm`` takes to start, next to bare Python and ``import httpx``.

Run: .venv/bin/python bench/bench_cli.py [--runs 10]

Each figure is the wall time of a whole process (fork, interpreter, imports,
the command), run ``--runs`` times in a row; the table shows the median and
the range. Two reference rows measured in the same run say what the machine
allows at the moment: ``python -c pass`` (the interpreter alone) and
``python -c "import httpx"`` (one library the commands that talk to WeChat need).

Goals (on an idle machine): ``wxm --version`` ≤ 120 ms; ``wxm --help`` and
``wxm SUBCOMMAND --help`` ≤ 250 ms; ``wxm count`` against a running sandbox
(``python -m wechat_material.sandbox`` in another process) ≤ 400 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox_process import SandboxProcess
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

WXM = Path(sys.executable).with_name("wxm")


@dataclass(frozen=True)
class Case:
    name: str
    command: list[str]
    goal_ms: float | None


def timed_runs(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Milliseconds of each run; a run that fails stops the bench with its output."""
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {done.stderr.decode(errors='replace')}")
    return times


def cases(base_url: str) -> list[Case]:
    wxm = [str(WXM)]
    sandbox = [*wxm, "--sandbox", "--base-url", base_url]
    help_goal = 250.0
    return [
        Case("python -c pass", [sys.executable, "-c", "pass"], None),
        Case('python -c "import httpx"', [sys.executable, "-c", "import httpx"], None),
        Case("wxm --version", [*wxm, "--version"], 120.0),
        Case("wxm --help", [*wxm, "--help"], help_goal),
        Case("wxm count --help", [*wxm, "count", "--help"], help_goal),
        Case("wxm upload --help", [*wxm, "upload", "--help"], help_goal),
        Case("wxm config --help", [*wxm, "config", "--help"], help_goal),
        Case("wxm sandbox --help", [*wxm, "sandbox", "--help"], help_goal),
        Case("wxm count (running sandbox)", [*sandbox, "count"], 400.0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {**os.environ, "WXM_CONFIG_DIR": str(home / "config")}
        env["WXM_DATA_DIR"] = str(home / "data")
        env["COLUMNS"] = "100"
        for name in ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_BASE_URL", "WXM_PROFILE"):
            env.pop(name, None)
        sandbox = SandboxProcess(
            ["--memory"], [f"{DEMO_APPID}:{DEMO_SECRET}"], None, home / "sandbox.log"
        )
        sandbox.start()
        try:
            print(f"{'command':<30} {'median':>8} {'range':>17} {'goal':>8}  met")
            for case in cases(sandbox.base_url):
                times = timed_runs(case.command, args.runs, env)
                median = statistics.median(times)
                spread = f"{min(times):.0f}–{max(times):.0f} ms"
                goal = f"≤{case.goal_ms:.0f} ms" if case.goal_ms is not None else ""
                met = "" if case.goal_ms is None else ("yes" if median <= case.goal_ms else "NO")
                print(f"{case.name:<30} {median:>5.0f} ms {spread:>17} {goal:>8}  {met}")
        finally:
            sandbox.stop()
    print(f"({args.runs} runs each; median and range; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
