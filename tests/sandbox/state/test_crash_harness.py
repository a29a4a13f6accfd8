"""The kill -9 harness (bench/crash_sandbox.py), one short round, as a regression guard.

A sandbox on a data directory is killed with SIGKILL while uploads are in
flight and started again on the same directory: every acknowledged upload
must come back byte for byte and nothing listed may be corrupt.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_nothing_acknowledged_is_lost_after_kill_9() -> None:
    command = [sys.executable, str(ROOT / "bench" / "crash_sandbox.py")]
    command += ["--rounds", "1", "--uploaders", "8", "--earliest", "0.5", "--latest", "1.0"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nothing lost, nothing corrupt" in run.stdout
