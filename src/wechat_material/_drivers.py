"""The drivers: they perform the steps flows ask for (:mod:`._steps`), and decide nothing.

:class:`SyncDriver` does it with ``httpx.Client``, threads and blocking locks;
:class:`AsyncDriver` with ``httpx.AsyncClient`` and asyncio. Each runs one
generator at a time with :class:`Stepper`, which holds the one rule every
driver follows for a step that fails:

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

Token steps are performed against a :class:`TokenAccess`: one appid's store,
the process-local lock and the token source, which a token manager provides.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    ExitStack,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import anyio
import httpx

from wechat_material._config import Settings
from wechat_material._flow import TokenFlows, call_flow, operation_flow
from wechat_material._steps import (
    Blocking,
    Discard,
    Emit,
    Fetch,
    Load,
    LockLocal,
    LockStore,
    Received,
    ReleaseLocks,
    Save,
    Send,
    Sleep,
    StoreLockHeld,
)

if TYPE_CHECKING:
    from wechat_material._calls import Call
    from wechat_material.tokens.base import TokenStore

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
H = TypeVar("H")


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

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class TokenAccess:
    """What performing token steps needs: one appid's store, lock and source.

    ``local_lock`` is a ``threading.Lock`` for the sync driver; for the async
    driver, a callable giving the ``asyncio.Lock`` of the running loop.
    """

    appid: str
    store: Any  # TokenStore, or for the async driver TokenStore | AsyncTokenStore
    fetch: Callable[[], Any]
    local_lock: Any


class _Held:
    """The locks one run holds: all on ``stack`` (released newest first), the store's by name."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.store_lock: object = None


def _still_held(store_lock: object) -> bool | Awaitable[bool]:
    """Ask a store lock whether it is still ours; one that cannot expire always is.

    A lock that can expire while held (the Redis stores') has ``still_held()``,
    async for an async store.
    """
    check = getattr(store_lock, "still_held", None)
    if check is None:
        return True
    return cast("bool | Awaitable[bool]", check())


def lower_headers(response: httpx.Response) -> dict[str, str]:
    """A reply's headers with lower-case names, as the request flow reads them."""
    return {name.lower(): value for name, value in response.headers.items()}


class _Driver(Generic[H]):
    """What both drivers are given: ``http`` and ``settings`` for calls, ``tokens``
    for the token policy's steps (a token manager on its own has no ``http``),
    and ``token_flows``, the client's token policy that its calls run.
    """

    def __init__(
        self,
        http: H | None = None,
        settings: Settings | None = None,
        tokens: TokenAccess | None = None,
        token_flows: TokenFlows | None = None,
    ) -> None:
        self.http = http
        self.settings = settings
        self.tokens = tokens
        self.token_flows = token_flows

    def _call_flow(self, call: Call[T]) -> Generator[Any, Any, T]:
        assert self.settings is not None
        return call_flow(call, self.settings, self.token_flows)

    def _operation_flow(self, operation: Generator[Any, Any, T]) -> Generator[Any, Any, T]:
        assert self.settings is not None
        return operation_flow(operation, self.settings, self.token_flows)


class SyncDriver(_Driver[httpx.Client]):
    """Performs steps for :class:`~wechat_material.WeChatClient` and :class:`TokenManager`."""

    def call(self, call: Call[T]) -> T:
        """Make one call and return its typed result."""
        return self.drive(self._call_flow(call))

    def run(self, operation: Generator[Any, Any, T]) -> T:
        """Run a multi-call operation to its result."""
        return self.drive(self._operation_flow(operation))

    def iterate(self, operation: Generator[Any, Any, None]) -> Iterator[Any]:
        """Run a paging operation, handing out the items it emits as they come."""
        flow = self._operation_flow(operation)
        held = _Held(ExitStack())
        # The flow is closed first, then its locks are released, newest first.
        with held.stack, Stepper(flow) as stepper:
            while (step := stepper.next_step()) is not None:
                if isinstance(step, Emit):
                    stepper.succeeded(None)
                    yield step.item
                    continue
                stepper.perform(lambda s: self._do(s, held), step)

    def drive(self, flow: Generator[Any, Any, T]) -> T:
        """Perform every step of ``flow``; its return value."""
        held = _Held(ExitStack())
        with held.stack, Stepper(flow) as stepper:
            result: T = stepper.run(lambda step: self._do(step, held))
            return result

    def _do(self, step: Any, held: _Held) -> Any:
        if isinstance(step, Send):
            return self._send(step)
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, Blocking):
            return step.work()
        if isinstance(step, ReleaseLocks):
            held.stack.close()
            held.store_lock = None
            return None
        return self._token_step(step, held)

    def _token_step(self, step: Any, held: _Held) -> Any:
        tokens = self.tokens
        if tokens is None:
            raise TypeError(f"unknown step {step!r}")
        store: TokenStore = tokens.store
        if isinstance(step, Load):
            return store.load(tokens.appid)
        if isinstance(step, Save):
            return store.save(tokens.appid, step.token)
        if isinstance(step, Discard):
            return store.discard(tokens.appid, step.value)
        if isinstance(step, LockLocal):
            lock: threading.Lock = tokens.local_lock
            if not lock.acquire(blocking=step.wait):
                return False
            held.stack.callback(lock.release)
            return True
        if isinstance(step, LockStore):
            store_lock = store.lock(tokens.appid)
            held.stack.enter_context(store_lock)
            held.store_lock = store_lock
            return None
        if isinstance(step, StoreLockHeld):
            return _still_held(held.store_lock)
        if isinstance(step, Fetch):
            return tokens.fetch()
        raise TypeError(f"unknown step {step!r}")

    def _send(self, step: Send) -> Received | httpx.RequestError:
        assert self.http is not None
        started = time.monotonic()
        try:
            response = self.http.send(
                step.request, stream=True, follow_redirects=step.follow_redirects
            )
            try:
                for chunk in response.iter_bytes():
                    step.body.write(chunk)
            finally:
                response.close()
        except httpx.RequestError as exc:
            return exc
        return Received(response.status_code, lower_headers(response), time.monotonic() - started)


class AsyncDriver(_Driver[httpx.AsyncClient]):
    """The asyncio twin of :class:`SyncDriver`: the same steps, performed with ``await``.

    A sync store (memory, file, redis-py) answers at once; its lock is waited
    for on a worker thread, never on the event loop.
    """

    @property
    def _store_is_async(self) -> bool:
        return self.tokens is not None and inspect.iscoroutinefunction(self.tokens.store.load)

    async def call(self, call: Call[T]) -> T:
        return await self.drive(self._call_flow(call))

    async def run(self, operation: Generator[Any, Any, T]) -> T:
        return await self.drive(self._operation_flow(operation))

    async def iterate(self, operation: Generator[Any, Any, None]) -> AsyncIterator[Any]:
        flow = self._operation_flow(operation)
        async with AsyncExitStack() as stack:
            held = _Held(stack)
            with Stepper(flow) as stepper:
                while (step := stepper.next_step()) is not None:
                    if isinstance(step, Emit):
                        stepper.succeeded(None)
                        yield step.item
                        continue
                    await stepper.perform_async(lambda s: self._do(s, held), step)

    async def drive(self, flow: Generator[Any, Any, T]) -> T:
        # The flow is closed first, then its locks are released, newest first.
        async with AsyncExitStack() as stack:
            held = _Held(stack)
            with Stepper(flow) as stepper:
                result: T = await stepper.run_async(lambda step: self._do(step, held))
                return result

    async def _do(self, step: Any, held: _Held) -> Any:
        if isinstance(step, Send):
            return await self._send(step)
        if isinstance(step, Sleep):
            await anyio.sleep(step.seconds)
            return None
        if isinstance(step, Blocking):
            return await anyio.to_thread.run_sync(step.work)
        if isinstance(step, ReleaseLocks):
            await held.stack.aclose()
            held.store_lock = None
            return None
        return await self._token_step(step, held)

    async def _token_step(self, step: Any, held: _Held) -> Any:
        tokens = self.tokens
        if tokens is None:
            raise TypeError(f"unknown step {step!r}")
        store = tokens.store
        if isinstance(step, Load):
            return await self._answer(store.load(tokens.appid))
        if isinstance(step, Save):
            return await self._answer(store.save(tokens.appid, step.token))
        if isinstance(step, Discard):
            return await self._answer(store.discard(tokens.appid, step.value))
        if isinstance(step, LockLocal):
            lock: asyncio.Lock = tokens.local_lock()
            if not step.wait and lock.locked():
                return False
            await lock.acquire()
            held.stack.callback(lock.release)
            return True
        if isinstance(step, LockStore):
            store_lock = store.lock(tokens.appid)
            if self._store_is_async:
                await held.stack.enter_async_context(
                    cast(AbstractAsyncContextManager[object], store_lock)
                )
            else:
                from wechat_material.tokens.locking import HeldInThread

                await held.stack.enter_async_context(
                    HeldInThread(cast(AbstractContextManager[object], store_lock))
                )
            held.store_lock = store_lock
            return None
        if isinstance(step, StoreLockHeld):
            answer = _still_held(held.store_lock)
            return await answer if inspect.isawaitable(answer) else answer
        if isinstance(step, Fetch):
            return await tokens.fetch()
        raise TypeError(f"unknown step {step!r}")

    async def _answer(self, outcome: Awaitable[T] | T) -> T:
        # A sync store answers at once (memory, a small file, one Redis round
        # trip); an async store answers with an awaitable.
        if self._store_is_async:
            return await cast(Awaitable[T], outcome)
        return cast(T, outcome)

    async def _send(self, step: Send) -> Received | httpx.RequestError:
        assert self.http is not None
        started = time.monotonic()
        try:
            response = await self.http.send(
                step.request, stream=True, follow_redirects=step.follow_redirects
            )
            try:
                async for chunk in response.aiter_bytes():
                    step.body.write(chunk)
            finally:
                await response.aclose()
        except httpx.RequestError as exc:
            return exc
        return Received(response.status_code, lower_headers(response), time.monotonic() - started)


class LoopLocks:
    """One ``asyncio.Lock`` per event loop: such a lock belongs to one loop, and a
    client or manager may outlive an ``asyncio.run()``."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()

    def __call__(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._locks.get(loop)
            if lock is None:
                lock = self._locks[loop] = asyncio.Lock()
            return lock


def with_doc_of(source: Callable[..., Any]) -> Callable[[F], F]:
    """Give the decorated async method the docstring of its sync twin (``await`` it)."""

    def decorate(method: F) -> F:
        method.__doc__ = source.__doc__
        return method

    return decorate
