"""A sandbox in a subprocess, started the way users start it, for the bench harnesses.

Only the stable command line is used (``python -m wechat_material.sandbox``), so the
harnesses keep working whatever the sandbox's modules are called inside. The server's
output goes to a log file (a pipe nobody reads would block it once full).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch_token(base_url: str, appid: str, secret: str) -> str:
    """A new access token from ``/cgi-bin/token`` (RuntimeError with the reply if none)."""
    params = {"grant_type": "client_credential", "appid": appid, "secret": secret}
    reply = httpx.get(base_url + "/cgi-bin/token", params=params, timeout=10).json()
    if not isinstance(reply, dict) or not isinstance(reply.get("access_token"), str):
        raise RuntimeError(f"no token for {appid}: {reply}")
    token: str = reply["access_token"]
    return token


def answers(url: str, alive: Callable[[], bool], timeout: float = START_TIMEOUT) -> bool:
    """Whether ``GET url`` answers 200 within ``timeout`` s, asked again while ``alive()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


def rss_mb(pid: int) -> float | None:
    """The process's resident set size in MB (``VmRSS``), None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class SandboxProcess:
    """``python -m wechat_material.sandbox`` on a free loopback port.

    ``storage`` is ``["--memory"]`` or ``["--data-dir", DIR]``; ``accounts`` are
    ``APPID:SECRET`` strings. :meth:`start` returns once ``/_sandbox/health``
    answers; :meth:`kill` sends SIGKILL, :meth:`stop` SIGTERM.
    """

    def __init__(
        self, storage: list[str], accounts: list[str], seed: int | None, log_path: Path
    ) -> None:
        self.storage = storage
        self.accounts = accounts
        self.seed = seed
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        for _ in range(5):  # a free port can be taken between the probe and the bind
            self.port = free_port()
            command = [sys.executable, "-m", "wechat_material.sandbox"]
            command += ["--host", "127.0.0.1", "--port", str(self.port), *self.storage]
            for account in self.accounts:
                command += ["--account", account]
            if self.seed is not None:
                command += ["--seed", str(self.seed)]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            if self._wait_healthy():
                return
            if self.alive():
                self.kill()
                raise RuntimeError(f"the sandbox did not answer; see {self.log_path}")
        raise RuntimeError(f"the sandbox would not start; see {self.log_path}")

    def _wait_healthy(self) -> bool:
        return answers(self.base_url + "/_sandbox/health", self.alive)

    def kill(self) -> None:
        if self.process is not None and self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
