"""TokenManager with threads: single flight, refresh ahead, compare-and-delete, no retries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from wechat_material.errors import AuthenticationError, SystemBusyError, UnexpectedReplyError
from wechat_material.tokens import AccessToken, MemoryTokenStore, TokenGrant, TokenManager

from .sources_for_tests import CountingFetcher, FakeClock, GatedFetcher

APPID = "wx0123456789abcdef"


def run_in_threads(count: int, work: Callable[[], object]) -> list[object]:
    """Start ``count`` threads together on ``work``; their results or exceptions."""
    start = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def one(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = work()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_fifty_threads_share_one_fetch() -> None:
    fetch = CountingFetcher(pause=0.05)
    manager = TokenManager(APPID, fetch)

    tokens = run_in_threads(50, manager.get)

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}


def test_expiry_is_clock_plus_expires_in() -> None:
    clock = FakeClock()
    manager = TokenManager(APPID, CountingFetcher(expires_in=7200), clock=clock)

    manager.get()

    current = manager.current()
    assert current is not None
    assert current.expires_at == clock.now + 7200


def test_a_stored_fresh_token_is_reused() -> None:
    fetch = CountingFetcher()
    store = MemoryTokenStore()
    first = TokenManager(APPID, fetch, store)
    second = TokenManager(APPID, fetch, store)

    assert first.get() == second.get()
    assert fetch.calls == 1


def test_current_never_fetches() -> None:
    fetch = CountingFetcher()
    manager = TokenManager(APPID, fetch)

    assert manager.current() is None
    assert fetch.calls == 0


def test_refresh_ahead_when_the_margin_is_reached() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(expires_in=7200)
    manager = TokenManager(APPID, fetch, refresh_margin=300, clock=clock)
    first = manager.get()

    clock.advance(7200 - 301)
    assert manager.get() == first
    assert fetch.calls == 1

    clock.advance(1)
    second = manager.get()
    assert second != first
    assert fetch.calls == 2


def test_others_keep_the_old_token_while_one_refreshes() -> None:
    clock = FakeClock()
    fetch = GatedFetcher(expires_in=7200)
    fetch.gate.set()
    manager = TokenManager(APPID, fetch, refresh_margin=300, clock=clock)
    old = manager.get()
    fetch.gate.clear()
    fetch.entered.clear()
    clock.advance(7200 - 200)

    refresher = threading.Thread(target=manager.get)
    refresher.start()
    assert fetch.entered.wait(timeout=30)

    # The refresh is under way and the old token has 200 s left: no waiting.
    assert manager.get() == old
    fetch.gate.set()
    refresher.join(timeout=30)
    assert manager.get() == fetch.issued[-1] != old
    assert fetch.calls == 2


def test_callers_wait_when_the_old_token_has_expired() -> None:
    clock = FakeClock()
    fetch = GatedFetcher(expires_in=7200)
    fetch.gate.set()
    manager = TokenManager(APPID, fetch, clock=clock)
    old = manager.get()
    fetch.gate.clear()
    fetch.entered.clear()
    clock.advance(7200 + 1)

    refresher = threading.Thread(target=manager.get)
    refresher.start()
    assert fetch.entered.wait(timeout=30)
    got: list[str] = []
    waiter = threading.Thread(target=lambda: got.append(manager.get()))
    waiter.start()
    waiter.join(timeout=0.3)
    assert waiter.is_alive(), "a caller must not be handed an expired token"

    fetch.gate.set()
    refresher.join(timeout=30)
    waiter.join(timeout=30)
    assert got == [fetch.issued[-1]]
    assert got[0] != old
    assert fetch.calls == 2


def test_invalidate_forgets_the_failed_token_then_one_fetch() -> None:
    fetch = CountingFetcher(pause=0.02)
    manager = TokenManager(APPID, fetch)
    stale = manager.get()

    def report_and_retry() -> str:
        manager.invalidate(stale)
        return manager.get()

    tokens = run_in_threads(30, report_and_retry)

    # 30 callers saw 40001 with the same token: exactly one new fetch.
    assert fetch.calls == 2
    assert set(tokens) == {fetch.issued[1]}


def test_invalidate_leaves_a_newer_token_alone() -> None:
    fetch = CountingFetcher()
    manager = TokenManager(APPID, fetch)
    old = manager.get()
    manager.invalidate(old)
    new = manager.get()

    manager.invalidate(old)

    assert manager.get() == new
    assert fetch.calls == 2


def test_a_failing_fetch_raises_at_once_and_is_not_retried() -> None:
    fetch = CountingFetcher(error=AuthenticationError(40125, "invalid appsecret rid: 1-2-3"))
    manager = TokenManager(APPID, fetch)

    with pytest.raises(AuthenticationError) as caught:
        manager.get()
    assert caught.value.errcode == 40125
    assert fetch.calls == 1
    assert manager.current() is None

    # Each later call tries once more (the secret may have been fixed meanwhile).
    with pytest.raises(AuthenticationError):
        manager.get()
    assert fetch.calls == 2


def test_callers_queued_behind_a_failing_fetch_share_its_error() -> None:
    fetch = CountingFetcher(pause=0.1, error=SystemBusyError(-1, "system error"))
    manager = TokenManager(APPID, fetch)

    outcomes = run_in_threads(20, manager.get)

    assert fetch.calls == 1
    assert all(isinstance(outcome, SystemBusyError) for outcome in outcomes)


def test_a_fetch_after_a_failure_recovers() -> None:
    fetch = CountingFetcher(error=SystemBusyError(-1, "system error"))
    manager = TokenManager(APPID, fetch)
    with pytest.raises(SystemBusyError):
        manager.get()

    fetch.error = None

    assert manager.get() == fetch.issued[0]
    assert fetch.calls == 2


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (TokenGrant("", 7200), "empty access_token"),
        (TokenGrant("TOKEN", 0), "already expired"),
        (TokenGrant("TOKEN", -5), "already expired"),
    ],
)
def test_a_broken_grant_is_refused(grant: TokenGrant, message: str) -> None:
    manager = TokenManager(APPID, lambda: grant)

    with pytest.raises(UnexpectedReplyError, match=message):
        manager.get()
    assert manager.current() is None


def test_a_grant_inside_the_margin_is_used_until_it_expires() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(expires_in=120)
    manager = TokenManager(APPID, fetch, refresh_margin=300, clock=clock)

    first = manager.get()
    clock.advance(100)
    assert manager.get() == first
    assert fetch.calls == 1

    clock.advance(21)
    assert manager.get() != first
    assert fetch.calls == 2


def test_invalidating_a_short_grant_fetches_again() -> None:
    fetch = CountingFetcher(expires_in=120)
    manager = TokenManager(APPID, fetch, refresh_margin=300)
    first = manager.get()

    manager.invalidate(first)

    assert manager.get() != first
    assert fetch.calls == 2


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="appid"):
        TokenManager("", CountingFetcher())
    with pytest.raises(ValueError, match="refresh_margin"):
        TokenManager(APPID, CountingFetcher(), refresh_margin=-1)


def test_tokens_never_reach_logs_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="wechat_material")
    clock = FakeClock()
    fetch = CountingFetcher(expires_in=7200)
    store = MemoryTokenStore()
    manager = TokenManager(APPID, fetch, store, clock=clock)

    first = manager.get()
    clock.advance(7000)
    manager.get()  # refresh ahead
    manager.invalidate(first)  # already replaced
    manager.invalidate(fetch.issued[-1])  # forgotten
    short = TokenManager("wxshort", CountingFetcher(expires_in=60), store, clock=clock)
    short.get()

    shown = caplog.text + repr(manager) + repr(store) + repr(manager.current())
    shown += repr(TokenGrant(first, 7200)) + str(AccessToken(first, 1.0))
    assert caplog.records, "the manager should say what it does"
    for value in fetch.issued:
        assert value not in shown
    assert "TOKE…" in caplog.text


def test_a_failed_refresh_ahead_keeps_serving_the_valid_token() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(expires_in=7200)
    manager = TokenManager(APPID, fetch, refresh_margin=300, clock=clock)
    old = manager.get()
    clock.advance(7200 - 200)
    fetch.error = SystemBusyError(-1, "system error")

    assert manager.get() == old
    assert fetch.calls == 2
    # No new attempt on every call: the refresh waits a while.
    clock.advance(29)
    assert manager.get() == old
    assert fetch.calls == 2

    clock.advance(2)
    assert manager.get() == old
    assert fetch.calls == 3

    fetch.error = None
    clock.advance(31)
    new = manager.get()
    assert new != old
    assert fetch.calls == 4


def test_a_failed_refresh_raises_once_the_token_is_nearly_gone() -> None:
    clock = FakeClock()
    fetch = CountingFetcher(expires_in=7200)
    manager = TokenManager(APPID, fetch, refresh_margin=300, clock=clock)
    manager.get()
    clock.advance(7200 - 5)
    fetch.error = AuthenticationError(40125, "invalid appsecret")

    with pytest.raises(AuthenticationError):
        manager.get()
