"""When a running sandbox holds the data directory a command needs.

One sandbox at a time may use a data directory (``wxm sandbox serve`` in
another terminal, say). A command that would start a second one, or wipe the
directory under it, stops with exit 3 and says how to go on.
"""

from __future__ import annotations

from pathlib import Path

from wechat_material.cli.errors import LocalInputError

SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8900  # where ``wxm sandbox serve`` listens unless told otherwise
SERVE_URL = f"http://{SERVE_HOST}:{SERVE_PORT}"

USE_THE_RUNNING_ONE = (
    f"talk to the running sandbox instead: wxm --sandbox --base-url {SERVE_URL} ... "
    "(the URL it printed); or stop it first."
)
STOP_IT_FIRST = "stop that sandbox first (Ctrl-C where it runs); nothing was deleted."


class SandboxBusy(LocalInputError):
    """A running sandbox holds the data directory (exit 3); the hint says what to do."""


def sandbox_busy(data_dir: Path, pid: int | None, hint: str) -> SandboxBusy:
    """The error for ``data_dir`` held by the sandbox process ``pid`` (if known)."""
    holder = f" (pid {pid})" if pid is not None else ""
    return SandboxBusy(
        f"the sandbox data in {data_dir} is in use by a running sandbox{holder}", hint=hint
    )
