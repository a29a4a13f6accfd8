"""The one rule every driver follows (client calls, operations, token flows).

A step that fails with an Exception hands it to the generator; an interruption
(Ctrl-C, a cancelled task) stops it: the generator is closed, its cleanup
runs, and the interruption reaches the caller as it was.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Generator
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from wechat_material import _drivers
from wechat_material._drivers import AsyncDriver, Stepper, SyncDriver, TokenAccess
from wechat_material._steps import Load, NeedToken, Perform, Step
from wechat_material.tokens import MemoryTokenStore, TokenGrant, TokenManager

from .harness import Both


def watched(seen: list[str]) -> Generator[str, Any, str]:
    """Asks for two steps; notes what reaches it and that its cleanup ran."""
    try:
        try:
            first = yield "first"
        except ValueError as exc:
            seen.append(f"handled {exc}")
            first = "recovered"
        second = yield "second"
        return f"{first}+{second}"
    except BaseException as exc:
        seen.append(type(exc).__name__)
        raise
    finally:
        seen.append("cleaned up")


def test_a_failed_step_is_handed_to_the_generator() -> None:
    seen: list[str] = []

    def perform(step: str) -> str:
        if step == "first":
            raise ValueError("boom")
        return "fine"

    with Stepper(watched(seen)) as stepper:
        assert stepper.run(perform) == "recovered+fine"
    assert seen == ["handled boom", "cleaned up"]


def test_an_interruption_closes_the_generator_and_reaches_the_caller_unchanged() -> None:
    seen: list[str] = []
    interruption = KeyboardInterrupt()

    def perform(step: str) -> str:
        raise interruption

    with pytest.raises(KeyboardInterrupt) as caught, Stepper(watched(seen)) as stepper:
        stepper.run(perform)

    assert caught.value is interruption
    assert seen == ["GeneratorExit", "cleaned up"]


@pytest.mark.anyio
async def test_a_cancellation_closes_the_generator_too() -> None:
    seen: list[str] = []

    async def perform(step: str) -> str:
        await asyncio.Event().wait()
        return step

    with anyio.move_on_after(0.01) as scope, Stepper(watched(seen)) as stepper:
        await stepper.run_async(perform)

    assert scope.cancelled_caught
    assert seen == ["GeneratorExit", "cleaned up"]


def test_an_interrupted_token_fetch_releases_every_lock() -> None:
    store = MemoryTokenStore()
    interrupted = True

    def fetch() -> TokenGrant:
        if interrupted:
            raise KeyboardInterrupt
        return TokenGrant("FRESH-" + "t" * 30, 7200)

    manager = TokenManager("wx0123456789abcdef", fetch, store)
    with pytest.raises(KeyboardInterrupt):
        manager.get()

    assert not store.lock("wx0123456789abcdef").locked()
    interrupted = False
    assert manager.get().startswith("FRESH-")


@pytest.mark.anyio
async def test_each_request_is_logged_with_the_time_it_took(
    wx: Both, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = itertools.count(1000.0, 1.5)  # every reading of the clock is 1.5 s on
    monkeypatch.setattr(_drivers, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    caplog.set_level(logging.DEBUG, logger="wechat_material")

    await wx(wx.client.material.get_material_count)

    timed = [message for message in caplog.messages if "errcode=" in message]
    assert "GET /cgi-bin/material/get_materialcount -> HTTP 200 errcode=0 in 1500 ms" in timed
    assert all(message.endswith(" in 1500 ms") for message in timed)  # the token's too


@pytest.mark.anyio
async def test_a_store_lock_that_cannot_expire_is_never_taken_for_lost(
    wx: Both, caplog: pytest.LogCaptureFixture
) -> None:
    # The memory store's lock has no still_held(): it is held until released.
    client = wx.new_client(token_store=MemoryTokenStore())
    caplog.set_level(logging.WARNING, logger="wechat_material")
    await wx(client.material.get_material_count)
    assert caplog.messages == []


def asking(step: Step) -> Generator[Step, Any, None]:
    yield step


TOKENS = TokenAccess("wx0123456789abcdef", MemoryTokenStore(), lambda: None, threading.Lock())


@pytest.mark.parametrize(
    ("tokens", "step"), [(None, Load()), (TOKENS, NeedToken()), (TOKENS, Perform(None))]
)
def test_a_step_the_driver_cannot_perform_is_named_in_a_type_error(
    tokens: TokenAccess | None, step: Step
) -> None:
    with pytest.raises(TypeError) as caught:
        SyncDriver(tokens=tokens).drive(asking(step))
    assert str(caught.value) == f"unknown step {step!r}"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tokens", "step"), [(None, Load()), (TOKENS, NeedToken()), (TOKENS, Perform(None))]
)
async def test_the_async_driver_names_such_a_step_too(
    tokens: TokenAccess | None, step: Step
) -> None:
    with pytest.raises(TypeError) as caught:
        await AsyncDriver(tokens=tokens).drive(asking(step))
    assert str(caught.value) == f"unknown step {step!r}"
