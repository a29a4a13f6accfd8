"""Sharing docstrings between a sync method and its async twin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def same_doc(source: Callable[..., Any]) -> Callable[[F], F]:
    """Give the decorated async method the docstring of its sync twin (``await`` it)."""

    def decorate(method: F) -> F:
        method.__doc__ = source.__doc__
        return method

    return decorate
