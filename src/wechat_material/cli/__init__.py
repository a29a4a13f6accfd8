"""``wxm``, the command line for WeChat Official Account material.

Run ``wxm --help``; every command's help ends with examples.

This module stays light on purpose: :func:`main` imports the command line
inside its ``try``, so Ctrl-C while it loads ends with one line, not a traceback.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from wechat_material.cli.exit_codes import EXIT_INTERRUPTED, Terminated

if TYPE_CHECKING:
    from wechat_material.cli.root import app

__all__ = ["app", "main"]


def main() -> None:
    """The ``wxm`` entry point."""
    stop_on_termination()
    if sys.argv[1:] == ["--version"]:
        # Answered before the command line loads: a script asking for the version
        # should not wait for typer (``wxm --version -v`` and the like still take
        # the ordinary way, where the root option prints the same line).
        from wechat_material.cli.version import version_line

        sys.stdout.write(version_line() + "\n")
        return
    skip_httpx_command_line()
    try:
        from wechat_material.extras import require_extra

        require_extra("cli")
        from wechat_material.cli.root import app

        app(prog_name="wxm")
    except ModuleNotFoundError as missing:
        # The cli extra, or another one a command needs (the sandbox for ``wxm demo``):
        # one line naming the pip command.
        from wechat_material.extras import MissingExtraError

        if not isinstance(missing, MissingExtraError):
            raise
        sys.stderr.write(f"error: {missing}\n")
        sys.exit(1)
    except Terminated as stop:
        sys.stderr.write(f"error: {signal.Signals(stop.signum).name}\n")
        sys.exit(stop.exit_code)
    except KeyboardInterrupt:
        # Interrupted while loading, or outside any command: no traceback.
        sys.stderr.write("error: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


def skip_httpx_command_line() -> None:
    """Keep httpx from loading its own command line (``httpx URL``) into ``wxm``.

    ``import httpx`` imports ``httpx._main`` when it can, and with it click, pygments,
    ``rich.progress`` and ``rich.syntax``: about a third of what importing httpx costs
    here, for an entry point ``wxm`` never calls. A ``None`` in :data:`sys.modules`
    makes that import fail, and httpx then defines its stand-in ``httpx.main``.
    Only the ``wxm`` process is concerned: the SDK imported elsewhere is untouched.
    """
    if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]


def stop_on_termination() -> None:
    """Make SIGTERM and SIGHUP stop ``wxm`` like Ctrl-C: clean-up runs, nothing half-written.

    By default they end the process on the spot, leaving a download's temporary
    file behind. A second one while the first is handled ends it the default way.
    """
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, _stop)


def _stop(signum: int, frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_DFL)
    raise Terminated(signum)


def __getattr__(name: str) -> Any:
    # ``app`` (the typer app, for embedding and tests) is loaded on first use only.
    if name == "app":
        from wechat_material.cli.root import app

        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
