"""Running a generator that yields the steps it needs and receives their outcomes.

Call flows, multi-call operations and token flows are all written this way
(the shape of httpx's ``Auth.auth_flow``); the drivers of the clients and of
the token managers run them with :class:`Stepper`, so they all agree on one
rule for what happens when a step fails:

* An ``Exception`` raised while performing a step is a failure of that step:
  it is thrown into the generator at its ``yield``. The generator may handle
  it (a failed refresh ahead keeps serving the current token) or let it
  propagate, running its ``finally``/``with`` blocks on the way.
* Anything else (``KeyboardInterrupt``, ``SystemExit``, ``asyncio.CancelledError``)
  is an order to stop, not a failure: it propagates from the driver as it is,
  and the generator is closed (``GeneratorExit`` at its ``yield``). Its
  ``finally`` blocks still run (a download's temporary file is deleted), but it
  cannot swallow the interruption, turn it into another error or ask for one
  more step. The locks the driver took for the generator are released by the
  driver's own ``with`` blocks around it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any


class Stepper:
    """Feeds ``generator`` the outcome of each step it yields; closes it when done.

    >>> with Stepper(flow) as stepper:
    ...     result = stepper.run(perform)
    """

    def __init__(self, generator: Generator[Any, Any, Any]) -> None:
        self._gen = generator
        self._value: Any = None
        self._error: Exception | None = None
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
            del error  # no reference cycle through the traceback

    def succeeded(self, value: Any) -> None:
        """Hand ``value`` to the generator as the outcome of its last step."""
        self._value = value
        self._error = None

    def failed(self, error: Exception) -> None:
        """Throw ``error`` into the generator at its last step."""
        self._value = None
        self._error = error

    def perform(self, do: Callable[[Any], Any], step: Any) -> None:
        """Perform ``step`` with ``do`` and keep its outcome for the generator."""
        try:
            self.succeeded(do(step))
        except Exception as exc:
            self.failed(exc)

    async def perform_async(self, do: Callable[[Any], Awaitable[Any]], step: Any) -> None:
        """:meth:`perform` for an async ``do``."""
        try:
            self.succeeded(await do(step))
        except Exception as exc:
            self.failed(exc)

    def run(self, do: Callable[[Any], Any]) -> Any:
        """Perform every step with ``do``; the generator's return value."""
        while (step := self.next_step()) is not None:
            self.perform(do, step)
        return self.result

    async def run_async(self, do: Callable[[Any], Awaitable[Any]]) -> Any:
        """:meth:`run` for an async ``do``."""
        while (step := self.next_step()) is not None:
            await self.perform_async(do, step)
        return self.result

    def close(self) -> None:
        self._gen.close()

    def __enter__(self) -> Stepper:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
