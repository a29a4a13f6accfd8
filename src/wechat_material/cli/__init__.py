"""``wxm``, the command line for WeChat Official Account material.

Run ``wxm --help``; every command's help ends with examples.

This module stays light on purpose: :func:`main` imports the command line
inside its ``try``, so Ctrl-C while it loads ends with one line, not a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from wechat_material.cli.exit_codes import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from wechat_material.cli.root import app

__all__ = ["app", "main"]


def main() -> None:
    """The ``wxm`` entry point."""
    try:
        from wechat_material._extras import require_extra

        require_extra("cli")
        from wechat_material.cli.root import app

        app(prog_name="wxm")
    except ModuleNotFoundError as missing:
        # The cli extra, or another one a command needs (the sandbox for ``wxm demo``):
        # one line naming the pip command.
        from wechat_material._extras import MissingExtraError

        if not isinstance(missing, MissingExtraError):
            raise
        sys.stderr.write(f"error: {missing}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        # Interrupted while loading, or outside any command: no traceback.
        sys.stderr.write("error: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


def __getattr__(name: str) -> Any:
    # ``app`` (the typer app, for embedding and tests) is loaded on first use only.
    if name == "app":
        from wechat_material.cli.root import app

        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
