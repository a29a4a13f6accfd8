"""The blocking driver: performs the steps of flows and operations with httpx.Client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, TypeVar

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
from wechat_material.tokens import TokenManager

T = TypeVar("T")


class SyncDriver:
    """Runs calls for :class:`~wechat_material.WeChatClient`; holds no logic of its own."""

    def __init__(self, http: httpx.Client, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self.tokens: TokenManager | None = None  # set by the client once it has one

    def call(self, call: Call[T]) -> T:
        """Make one call and return its typed result."""
        try:
            reply: Reply = self._drive(request_flow(call, self.settings))
            return call.result(reply)
        finally:
            call.close()

    def run(self, operation: Operation[T]) -> T:
        """Run a multi-call operation to its result."""
        result: T = self._drive(operation)
        return result

    def iterate(self, operation: Operation[None]) -> Iterator[Any]:
        """Run a paging operation, handing out the items it emits as they come."""
        with Stepper(operation) as stepper:
            while (step := stepper.next_step()) is not None:
                if isinstance(step, Emit):
                    stepper.succeeded(None)
                    yield step.item
                    continue
                stepper.perform(self._do, step)

    def _drive(self, generator: Any) -> Any:
        with Stepper(generator) as stepper:
            return stepper.run(self._do)

    def _do(self, step: Any) -> Any:
        if isinstance(step, Send):
            return self._send(step)
        if isinstance(step, Perform):
            return self.call(step.call)
        if isinstance(step, NeedToken):
            return self._token_manager().get()
        if isinstance(step, InvalidateToken):
            return self._token_manager().invalidate(step.failed)
        if isinstance(step, Wait | Sleep):
            time.sleep(step.seconds)
            return None
        raise TypeError(f"unknown step {step!r}")

    def _token_manager(self) -> TokenManager:
        if self.tokens is None:  # pragma: no cover - the client always sets one
            raise RuntimeError("this driver has no token manager")
        return self.tokens

    def _send(self, step: Send) -> Received | httpx.RequestError:
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
