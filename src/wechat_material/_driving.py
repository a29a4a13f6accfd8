"""What the sync and async drivers share: stepping a generator with results or errors."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx


class Stepper:
    """Feeds a flow or operation generator the outcome of each step it yields.

    An exception raised while performing a step is thrown into the generator
    at its ``yield``, so its ``finally``/``with`` blocks (a download's
    temporary file) clean up, and it can see what went wrong.
    """

    def __init__(self, generator: Generator[Any, Any, Any]) -> None:
        self._gen = generator
        self._value: Any = None
        self._error: BaseException | None = None
        self.result: Any = None

    def next_step(self) -> Any | None:
        """The next step, or None when the generator has returned (see :attr:`result`)."""
        error, self._error = self._error, None
        try:
            if error is not None:
                return self._gen.throw(error)
            return self._gen.send(self._value)
        except StopIteration as stop:
            self.result = stop.value
            return None
        finally:
            del error

    def succeeded(self, value: Any) -> None:
        self._value = value

    def failed(self, error: BaseException) -> None:
        self._value = None
        self._error = error

    def close(self) -> None:
        self._gen.close()


def lower_headers(response: httpx.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}
