"""The ``publish`` extra: the libraries rendering Markdown needs, checked once with a clear fix."""

from __future__ import annotations

import importlib.util

from wechat_material.errors import WeChatError

INSTALL = "pip install 'wechat-material[publish]'"

# Import names of the packages in the ``publish`` extra (see pyproject.toml).
MODULES = ("markdown_it", "mdit_py_plugins", "css_inline", "pygments", "PIL", "ziamath")


class MissingExtraError(WeChatError, ImportError):
    """A library of the ``publish`` extra is not installed."""


def missing_modules() -> list[str]:
    """The modules of the extra that cannot be imported here."""
    return [name for name in MODULES if importlib.util.find_spec(name) is None]


def require_publish_extra() -> None:
    """Raise :class:`MissingExtraError` (one line naming the fix) if the extra is missing."""
    missing = missing_modules()
    if missing:
        raise MissingExtraError(
            f"publishing Markdown needs {', '.join(missing)}: {INSTALL}",
        )
