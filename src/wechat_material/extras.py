"""The optional parts of the package and the extra that installs each one.

``pip install wechat-material`` brings the SDK alone (httpx, pydantic). The
sandbox, the Redis token stores, the ``wxm`` command and publishing Markdown
(:mod:`wechat_material.articles`) need libraries of their own, installed by an
extra: ``wechat-material[sandbox]``, ``[redis]``, ``[cli]``, ``[publish]``
(``[all]`` for everything). Each of them calls :func:`require_extra` before it
imports any of those libraries, so a missing one ends in one line that says
what to install, not in a traceback deep inside an import.

Public so that an application built on the package can check the same way
(``require_extra("sandbox")``) and catch :class:`MissingExtraError`. Kept free
of imports from the package: the ``wxm`` entry point calls it first.
"""

from __future__ import annotations

from importlib.util import find_spec

# The modules each extra installs that its part of the package imports
# (python-multipart installs ``python_multipart``; tomli-w installs ``tomli_w``;
# PyYAML installs ``yaml``).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "sandbox": ("starlette", "uvicorn", "python_multipart", "nh3", "platformdirs"),
    "redis": ("redis",),
    "cli": ("typer", "rich", "platformdirs", "tomli_w", "redis", "nh3"),
    "publish": (
        "markdown_it",
        "mdit_py_plugins",
        "css_inline",
        "pygments",
        "PIL",
        "ziamath",
        "platformdirs",
        "yaml",
    ),
    "mcp": ("mcp",),
}

# What each extra is for, as the message names it.
_PURPOSE = {
    "sandbox": "the sandbox",
    "redis": "a Redis token store",
    "cli": "the wxm command",
    "publish": "publishing Markdown",
    "mcp": "the MCP server (wxm mcp)",
}


class MissingExtraError(ModuleNotFoundError):
    """A part of the package was used without the extra that installs its libraries."""


def install_hint(extra: str) -> str:
    """The pip command that installs ``extra``."""
    return f"pip install 'wechat-material[{extra}]'"


def require_extra(extra: str) -> None:
    """Raise :class:`MissingExtraError` unless every library of ``extra`` is installed.

    It only looks the modules up (nothing is imported), so it costs next to
    nothing when they are there.
    """
    missing = [name for name in EXTRA_MODULES[extra] if find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"{_PURPOSE[extra]} needs the {extra!r} extra (missing: {', '.join(missing)}):"
            f" {install_hint(extra)}",
            name=missing[0],
        )
