"""What ``wxm --version`` prints: read from the installed package, loading nothing else.

Its own module so that both the entry point (before the command line loads)
and the root command's ``--version`` option use it without importing each other.
"""

from __future__ import annotations


def version_line() -> str:
    """What ``wxm --version`` prints."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("wechat-material")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        number = "unknown"
    return f"wxm (wechat-material) {number}"
