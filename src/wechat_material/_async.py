"""The asyncio driver: the same steps as :mod:`._sync`, with httpx.AsyncClient."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import anyio
import httpx

from wechat_material._call import Call, Emit, Operation, Perform, Sleep
from wechat_material._driving import lower_headers
from wechat_material._flow import (
    InvalidateToken,
    NeedToken,
    Received,
    Send,
    Settings,
    Wait,
    request_flow,
)
from wechat_material._reply import Reply
from wechat_material._stepping import Stepper
from wechat_material.tokens import AsyncTokenManager

T = TypeVar("T")


class AsyncDriver:
    """Runs calls for :class:`~wechat_material.AsyncWeChatClient`; holds no logic of its own."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self.tokens: AsyncTokenManager | None = None

    async def call(self, call: Call[T]) -> T:
        try:
            reply: Reply = await self._drive(request_flow(call, self.settings))
            return call.result(reply)
        finally:
            call.close()

    async def run(self, operation: Operation[T]) -> T:
        result: T = await self._drive(operation)
        return result

    async def iterate(self, operation: Operation[None]) -> AsyncIterator[Any]:
        with Stepper(operation) as stepper:
            while (step := stepper.next_step()) is not None:
                if isinstance(step, Emit):
                    stepper.succeeded(None)
                    yield step.item
                    continue
                await stepper.perform_async(self._do, step)

    async def _drive(self, generator: Any) -> Any:
        with Stepper(generator) as stepper:
            return await stepper.run_async(self._do)

    async def _do(self, step: Any) -> Any:
        if isinstance(step, Send):
            return await self._send(step)
        if isinstance(step, Perform):
            return await self.call(step.call)
        if isinstance(step, NeedToken):
            return await self._token_manager().get()
        if isinstance(step, InvalidateToken):
            return await self._token_manager().invalidate(step.failed)
        if isinstance(step, Wait | Sleep):
            await anyio.sleep(step.seconds)
            return None
        raise TypeError(f"unknown step {step!r}")

    def _token_manager(self) -> AsyncTokenManager:
        if self.tokens is None:  # pragma: no cover - the client always sets one
            raise RuntimeError("this driver has no token manager")
        return self.tokens

    async def _send(self, step: Send) -> Received | httpx.RequestError:
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
