#!/usr/bin/env python3
"""Set up and run wechat-material from a fresh checkout, needing only Python 3.11+.

    python3 run.py demo         # the demo, on an embedded sandbox (no WeChat account needed)
    python3 run.py test         # the whole test suite (installs redis-server and chromium
                                # if missing)
    python3 run.py test --fast  # the quick loop: no slow or redis tests, no redis-server needed
    python3 run.py setup        # only create .venv and install the project (what CI does first)

Both create ``.venv`` beside this file and install the project into it the
first time; later runs reuse it. Extra arguments go to the command
(``python3 run.py test -k sandbox``, ``python3 run.py test --fast tests/cli``).

``--fast`` leaves out the tests marked ``slow`` (those that start ``wxm``,
python or several processes) and ``redis`` (those that need a redis-server):
``pytest -m "not slow and not redis"``. The full suite is what CI runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"
FAST = "--fast"
FAST_MARKERS = "not slow and not redis"
CHROMIUM = "/usr/bin/chromium"


def say(text: str) -> None:
    print(f"run.py: {text}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    """Create the virtual environment and install the project, once per pyproject change."""
    if sys.version_info < (3, 11):
        sys.exit(f"run.py: Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        say(f"creating {VENV.relative_to(ROOT)} ...")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing wechat-material and its test tools (first run only) ...")
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[dev]",
        ],
        check=True,
    )
    STAMP.write_text(wanted)


def apt_install(*packages: str) -> bool:
    """Install Debian packages when this is a root shell with apt-get; False otherwise."""
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    say(f"installing {' '.join(packages)} with apt-get ...")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return True


def ensure_browser() -> None:
    """The console's browser tests drive Debian's chromium; the CJK fonts make Chinese
    text render in its screenshots. Without them those tests are skipped (outside CI)."""
    if os.path.exists(CHROMIUM):
        return
    if not apt_install("chromium", "fonts-noto-cjk"):
        say(f"no {CHROMIUM}: the console's browser tests will be skipped")


def ensure_redis_server() -> None:
    """The Redis token-store tests need a real redis-server binary."""
    if shutil.which("redis-server") or os.environ.get("REDIS_URL"):
        return
    if apt_install("redis-server"):
        return
    sys.exit(
        "run.py: the tests need redis-server. Install it (e.g. `sudo apt-get install "
        "redis-server` or `brew install redis`), or set REDIS_URL to a server whose "
        "database 15 may be wiped."
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "setup":
        return 0
    if command == "demo":
        return subprocess.call([str(BIN / "wxm"), "demo", *rest])
    if FAST in rest:
        rest = [arg for arg in rest if arg != FAST]
        rest = ["-m", FAST_MARKERS, *rest]
    else:
        ensure_redis_server()
        ensure_browser()
    code = subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    if code == 5:  # pytest ran no test at all: that is a failure, not a pass
        say("pytest collected no tests")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
