"""The decision procedure on its own: which steps, in which order."""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import pytest

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
from wechat_material.errors import UnexpectedReplyError, ValidationError
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


def test_on_a_tie_the_token_saved_while_the_lock_was_lost_is_kept() -> None:
    # Same expiry, so issued at the same moment: others may already use theirs.
    clock = FakeClock()
    theirs = AccessToken("THEIRS", clock.now + 7200)

    steps, result = lost_lock_run(clock, TokenGrant("MINE", 7200), theirs)

    assert not any(isinstance(step, Save) for step in steps)
    assert result == "THEIRS"


def run_flow(flow: Generator[Step, Any, Any], answers: list[Any]) -> tuple[list[Step], Any]:
    """Like :func:`steps_of`, but an exception among ``answers`` is raised into the flow."""
    taken = [next(flow)]
    try:
        for answer in answers:
            if isinstance(answer, Exception):
                taken.append(flow.throw(answer))
            else:
                taken.append(flow.send(answer))
    except StopIteration as done:
        return taken, done.value
    raise AssertionError(f"the flow wanted more steps after {taken}")


def test_a_failed_refresh_ahead_is_tried_again_after_exactly_30_s() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    due = AccessToken("DUE", clock.now + 200)  # inside the margin, still valid

    _, result = run_flow(policy.get(), [due, True, due, None, due, OSError("busy")])
    assert result == "DUE"

    clock.advance(29.9)
    steps, result = steps_of(policy.get(), [due])
    assert (steps, result) == ([Load()], "DUE")  # paused: no lock, no fetch

    clock.advance(0.1)
    steps, _ = run_flow(policy.get(), [due, False])
    assert steps == [Load(), LockLocal(wait=False)]  # 30 s on: it tries again


def fetch_short_lived(policy: TokenPolicy) -> AccessToken:
    """Fetch a token whose lifetime is already inside the margin (kept until it expires)."""
    _, value = steps_of(
        policy.get(), [None, True, None, None, None, TokenGrant("S", 200), True, None]
    )
    return AccessToken(value, policy.clock() + 200)


def test_a_short_lived_token_is_used_until_it_is_itself_rejected() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    short = fetch_short_lived(policy)

    steps_of(policy.invalidate("ANOTHER"), [False])
    assert steps_of(policy.get(), [short]) == ([Load()], "S")

    steps_of(policy.invalidate("S"), [False])  # rejected, though someone already replaced it
    steps, _ = steps_of(policy.get(), [short, False])
    assert steps == [Load(), LockLocal(wait=False)]  # no longer used as it is


def test_invalidate_logs_the_masked_token_and_whether_it_was_forgotten(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())
    caplog.set_level(logging.DEBUG, logger="wechat_material.tokens")

    steps_of(policy.invalidate("OLD-TOKEN-1"), [True])
    steps_of(policy.invalidate("OLD-TOKEN-2"), [False])

    assert caplog.messages == [
        "forgot the rejected access token OLD-…(11 chars) of wx1",
        "the rejected token OLD-…(11 chars) of wx1 was already replaced",
    ]


def test_a_source_that_returns_no_grant_is_named_in_the_error() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())
    with pytest.raises(UnexpectedReplyError) as refused:
        steps_of(policy.get(), [None, True, None, None, None, {"access_token": "T"}])
    assert str(refused.value) == "the token source returned dict, not a TokenGrant"


def test_a_fetch_logs_the_masked_token_and_a_short_life(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wechat_material.tokens")
    fetch_short_lived(TokenPolicy("wx1", 300, FakeClock()))
    assert caplog.messages == [
        "the token source gave wx1 a token with only 200 s left, inside refresh_margin=300 s; "
        "it is used until it expires",
        "fetched a new access token S…(1 chars) for wx1 (expires in 200 s)",
    ]


def test_a_grant_of_one_second_is_taken_and_an_empty_one_refused() -> None:
    policy = TokenPolicy("wx1", 0, FakeClock())
    fetch = [None, True, None, None, None]
    assert steps_of(policy.get(), [*fetch, TokenGrant("T", 1), True, None])[1] == "T"
    with pytest.raises(UnexpectedReplyError) as refused:
        steps_of(TokenPolicy("wx1", 0, FakeClock()).get(), [*fetch, TokenGrant("", 7200)])
    assert str(refused.value) == "the token source returned an empty access_token"


class Uncopyable(Exception):
    def __copy__(self) -> Uncopyable:
        raise TypeError("cannot copy")


def test_a_failure_that_cannot_be_copied_is_shared_as_it_is() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())
    waiting = policy.get()
    assert next(waiting) == Load()
    assert waiting.send(None) == LockLocal(wait=True)  # queued behind the fetch below

    failure = Uncopyable("wrong secret")
    with pytest.raises(Uncopyable):
        run_flow(policy.get(), [None, True, None, None, None, failure])

    assert waiting.send(True) == Load()
    with pytest.raises(Uncopyable) as shared:
        waiting.send(None)
    assert shared.value is failure


NOTHING_STORED = [None, True, None, None, None]  # up to the Fetch, with no token anywhere


def fetched(policy: TokenPolicy, value: str) -> str:
    result: str = steps_of(policy.get(), [*NOTHING_STORED, TokenGrant(value, 7200), True, None])[1]
    return result


def test_a_caller_queued_behind_a_fetch_shares_its_failure_whatever_came_before() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())
    fetched(policy, "T1")
    with pytest.raises(OSError, match="first"):
        run_flow(policy.get(), [*NOTHING_STORED, OSError("first")])

    waiting = policy.get()  # queues for the local lock
    assert (next(waiting), waiting.send(None)) == (Load(), LockLocal(wait=True))
    fetched(policy, "T2")
    steps_of(policy.invalidate("T2"), [True])
    failure = OSError("wrong secret")
    with pytest.raises(OSError, match="wrong secret"):
        run_flow(policy.get(), [*NOTHING_STORED, failure])

    assert waiting.send(True) == Load()
    with pytest.raises(OSError, match="wrong secret"):
        waiting.send(None)


def test_a_caller_queued_behind_a_good_fetch_whose_token_was_rejected_fetches_anew() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())
    waiting = policy.get()
    assert (next(waiting), waiting.send(None)) == (Load(), LockLocal(wait=True))
    fetched(policy, "T1")
    steps_of(policy.invalidate("T1"), [True])

    assert waiting.send(True) == Load()
    assert waiting.send(None) == LockStore()


def test_after_a_failure_the_next_caller_fetches_again() -> None:
    policy = TokenPolicy("wx1", 300, FakeClock())
    with pytest.raises(OSError, match="down"):
        run_flow(policy.get(), [*NOTHING_STORED, OSError("down")])
    assert fetched(policy, "BACK") == "BACK"


def test_a_token_too_close_to_its_end_is_waited_for_even_while_refreshes_pause() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    due = AccessToken("DUE", clock.now + 200)
    run_flow(policy.get(), [due, True, due, None, due, OSError("busy")])  # pauses refreshes

    ending = AccessToken("DUE", clock.now + 5)  # 5 s left: too close to hand out
    flow = policy.get()
    assert (next(flow), flow.send(ending)) == (Load(), LockLocal(wait=True))


def test_a_refresh_that_works_again_ends_the_pause() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    due = AccessToken("DUE", clock.now + 200)
    run_flow(policy.get(), [due, True, due, None, due, OSError("busy")])
    clock.advance(30)
    _, value = steps_of(
        policy.get(), [due, True, due, None, due, TokenGrant("NEW", 7200), True, None]
    )
    assert value == "NEW"

    clock.advance(7000)  # the new token is due in turn: refreshed at once, no pause
    new_due = AccessToken("NEW", clock.now + 200)
    steps, _ = steps_of(policy.get(), [new_due, False])
    assert steps == [Load(), LockLocal(wait=False)]


def test_a_refresh_and_its_failures_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    caplog.set_level(logging.DEBUG, logger="wechat_material.tokens")
    due = AccessToken("DUE", clock.now + 200)
    run_flow(TokenPolicy("wx1", 300, clock).get(), [due, True, due, None, due, OSError("busy")])
    with pytest.raises(OSError, match="down"):
        run_flow(TokenPolicy("wx2", 300, clock).get(), [*NOTHING_STORED, OSError("down")])
    lost_lock_run(clock, TokenGrant("OLDER", 7000), AccessToken("NEWER-1", clock.now + 7200))
    lost_lock_run(clock, TokenGrant("NEWER-2", 7200), None)

    assert caplog.messages == [
        "refreshing the access token of wx1 (200 s left)",
        "refreshing the access token of wx1 failed (OSError); the current one still has "
        "200 s, trying again in 30 s",
        "fetching an access token for wx2 failed: OSError",
        "fetched a new access token OLDE…(5 chars) for wx1 (expires in 7000 s)",
        "the store lock of wx1 expired during a fetch; keeping the newer token "
        "NEWE…(7 chars) that another caller saved meanwhile",
        "fetched a new access token NEWE…(7 chars) for wx1 (expires in 7200 s)",
        "the store lock of wx1 expired during a fetch; saving the token fetched here, "
        "which is the newest",
    ]


@pytest.mark.parametrize(("expires_in", "short"), [(300, True), (301, False)])
def test_a_grant_no_longer_than_the_margin_is_short_lived(
    expires_in: int, short: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wechat_material.tokens")
    policy = TokenPolicy("wx1", 300, FakeClock())
    steps_of(policy.get(), [*NOTHING_STORED, TokenGrant("S", expires_in), True, None])
    assert any("inside refresh_margin=300 s" in m for m in caplog.messages) is short


def test_a_grant_that_has_already_expired_is_refused() -> None:
    policy = TokenPolicy("wx1", 0, FakeClock())
    with pytest.raises(UnexpectedReplyError) as refused:
        steps_of(policy.get(), [*NOTHING_STORED, TokenGrant("T", 0)])
    assert str(refused.value) == (
        "the token source returned a token that has already expired (expires_in=0)"
    )


def test_a_caller_that_waited_for_the_local_lock_takes_the_token_fetched_meanwhile() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    fetched_meanwhile = AccessToken("NEW", clock.now + 7200)

    steps, result = steps_of(policy.get(), [None, True, fetched_meanwhile])

    assert steps == [Load(), LockLocal(wait=True), Load()]  # no store lock, no fetch
    assert result == "NEW"


def test_a_token_with_only_the_grace_left_is_not_handed_out_while_refreshed() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    flow = policy.get()
    assert next(flow) == Load()
    # 10 s left (STALE_GRACE): too close to its end, so wait for the new one.
    assert flow.send(AccessToken("ENDING", clock.now + 10)) == LockLocal(wait=True)


def test_a_short_lived_token_is_used_to_its_last_moment_and_not_at_it() -> None:
    clock = FakeClock()
    policy = TokenPolicy("wx1", 300, clock)
    short = fetch_short_lived(policy)  # 200 s left

    clock.advance(199.5)
    assert steps_of(policy.get(), [short]) == ([Load()], "S")
    clock.advance(0.5)
    flow = policy.get()
    assert (next(flow), flow.send(short)) == (Load(), LockLocal(wait=True))


def test_an_empty_appid_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        TokenPolicy("", 300, FakeClock())
    assert str(refused.value) == "appid must not be empty"


@pytest.mark.parametrize("margin", [-1, float("nan"), True, "300"])
def test_a_bad_refresh_margin_is_refused_with_an_example(margin: object) -> None:
    with pytest.raises(ValidationError) as refused:
        TokenPolicy("wx1", margin, FakeClock())  # type: ignore[arg-type]
    assert str(refused.value) == (
        f"refresh_margin must be a finite number of seconds, 0 or more, not {margin!r} "
        "(300 refreshes a token 5 minutes before it expires)"
    )
