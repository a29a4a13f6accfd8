"""The fuzzer (bench/fuzz_sandbox.py), one short fixed-seed run, as a regression guard.

It sends fuzzed calls to a sandbox over real HTTP and fails on any HTTP 5xx,
hang, unexpected cut connection, non-strict JSON or unbounded memory growth.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_a_short_fuzz_finds_no_bug() -> None:
    command = [sys.executable, str(ROOT / "bench" / "fuzz_sandbox.py")]
    command += ["--requests", "1500", "--seed", "20240601"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "verdict: no bug found" in run.stdout
