"""The decision procedure on its own: which steps, in which order."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from wechat_material._steps import (
    Discard,
    Fetch,
    Load,
    LockLocal,
    LockStore,
    Save,
    Step,
    StoreLockHeld,
)
from wechat_material.tokens import AccessToken, TokenGrant
from wechat_material.tokens.flow import TokenPolicy

from .sources_for_tests import FakeClock


def steps_of(flow: Generator[Step, Any, Any], answers: list[Any]) -> tuple[list[Step], Any]:
    """Run ``flow``, answering its steps in turn; the steps it took and its result."""
    taken = [next(flow)]
    try:
        for answer in answers:
            taken.append(flow.send(answer))
    except StopIteration as done:
        return taken, done.value
    raise AssertionError(f"the flow wanted more steps after {taken}")


def test_with_no_token_it_checks_three_times_then_fetches_and_saves() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)

    steps, result = steps_of(
        policy.get(), [None, True, None, None, None, TokenGrant("NEW", 7200), True, None]
    )

    assert [type(step) for step in steps] == [
        Load,
        LockLocal,
        Load,
        LockStore,
        Load,
        Fetch,
        StoreLockHeld,
        Save,
    ]
    assert steps[1] == LockLocal(wait=True)
    assert steps[-1] == Save(AccessToken("NEW", clock.now + 7200))
    assert result == "NEW"


def test_a_token_found_after_the_store_lock_is_not_fetched_again() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    from_another_process = AccessToken("OTHER", clock.now + 7200)

    steps, result = steps_of(policy.get(), [None, True, None, None, from_another_process])

    assert Fetch() not in steps
    assert result == "OTHER"


def test_a_fresh_token_needs_one_load_and_no_lock() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)

    steps, result = steps_of(policy.get(), [AccessToken("OK", clock.now + 1000)])

    assert steps == [Load()]
    assert result == "OK"


def test_a_token_due_for_refresh_does_not_wait_for_a_busy_lock() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    due = AccessToken("DUE", clock.now + 100)

    steps, result = steps_of(policy.get(), [due, False])

    assert steps == [Load(), LockLocal(wait=False)]
    assert result == "DUE"


def test_invalidate_is_one_compare_and_delete() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())

    steps, result = steps_of(policy.invalidate("OLD"), [True])

    assert steps == [Discard("OLD")]
    assert result is True


def test_current_only_loads() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())

    steps, result = steps_of(policy.current(), [None])

    assert steps == [Load()]
    assert result is None


def lost_lock_run(
    clock: FakeClock, grant: TokenGrant, saved_meanwhile: AccessToken | None
) -> tuple[list[Step], Any]:
    """A fetch whose store lock expired before it ended; ``saved_meanwhile`` by another."""
    policy = TokenPolicy("wx1", 300, clock)
    return steps_of(
        policy.get(), [None, True, None, None, None, grant, False, saved_meanwhile, None]
    )


def test_a_newer_token_saved_while_the_lock_was_lost_is_kept() -> None:
    clock = FakeClock()
    newer = AccessToken("NEWER", clock.now + 7200)

    # The token server handed this caller a token issued 200 s ago.
    steps, result = lost_lock_run(clock, TokenGrant("OLDER", 7000), newer)

    assert steps[-2:] == [StoreLockHeld(), Load()]
    assert not any(isinstance(step, Save) for step in steps)
    assert result == "NEWER"


def test_an_older_token_saved_while_the_lock_was_lost_is_replaced() -> None:
    clock = FakeClock()
    older = AccessToken("OLDER", clock.now + 7000)

    steps, result = lost_lock_run(clock, TokenGrant("NEWER", 7200), older)

    assert steps[-3:] == [StoreLockHeld(), Load(), Save(AccessToken("NEWER", clock.now + 7200))]
    assert result == "NEWER"


def test_nothing_saved_while_the_lock_was_lost_means_a_plain_save() -> None:
    clock = FakeClock()

    steps, result = lost_lock_run(clock, TokenGrant("MINE", 7200), None)

    assert steps[-1] == Save(AccessToken("MINE", clock.now + 7200))
    assert result == "MINE"
