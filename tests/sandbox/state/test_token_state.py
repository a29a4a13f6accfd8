"""The sandbox's token state on its own: stable tokens, forced refreshes per China day."""

from __future__ import annotations

import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.tokens import FORCE_REFRESH_GAP, FORCE_REFRESH_PER_DAY, Grant


def test_a_grant_shows_its_token_masked() -> None:
    assert repr(Grant("ACCESS-TOKEN-XYZ", 7200)) == (
        "Grant(access_token=ACCE…(16 chars), expires_in=7200)"
    )


def test_a_stable_token_is_the_same_token_unless_a_refresh_is_forced(
    backend: SandboxBackend,
) -> None:
    first = backend.tokens.stable(DEMO_APPID)
    assert backend.tokens.stable(DEMO_APPID).access_token == first.access_token
    forced = backend.tokens.stable(DEMO_APPID, force_refresh=True)
    assert forced.access_token != first.access_token


def test_forced_refreshes_are_counted_per_china_day(backend: SandboxBackend) -> None:
    tokens, clock = backend.tokens, backend.clock
    clock.advance(86400 - (clock.now() + 8 * 3600) % 86400)  # midnight in China
    for _ in range(FORCE_REFRESH_PER_DAY):
        clock.advance(FORCE_REFRESH_GAP)
        tokens.stable(DEMO_APPID, force_refresh=True)
    clock.advance(FORCE_REFRESH_GAP)
    spent = tokens.stable(DEMO_APPID)
    assert tokens.stable(DEMO_APPID, force_refresh=True).access_token == spent.access_token

    clock.advance(86400)  # the next day: forcing works again
    current = tokens.stable(DEMO_APPID)
    assert tokens.stable(DEMO_APPID, force_refresh=True).access_token != current.access_token


def test_a_refused_token_says_why_in_the_log_detail(backend: SandboxBackend) -> None:
    tokens = backend.tokens
    with pytest.raises(SandboxError) as unknown:
        tokens.check("MADE-UP")
    assert (unknown.value.code, unknown.value.detail) == (40014, "no such token")

    issued = tokens.issue(DEMO_APPID)
    tokens.revoke(DEMO_APPID)
    with pytest.raises(SandboxError) as revoked:
        tokens.check(issued.access_token)
    assert (revoked.value.code, revoked.value.detail) == (
        40001,
        "the token was replaced or revoked",
    )


def _steps_of_one_rotation(backend: SandboxBackend) -> int:
    """SQLite's virtual machine steps (in hundreds) that one /token rotation takes."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    db = backend.storage.db
    db.set_progress_handler(count, 100)
    try:
        backend.tokens.issue(DEMO_APPID)
    finally:
        db.set_progress_handler(None, 100)
    return steps


def test_a_rotation_reads_the_live_tokens_not_every_token_kept(backend: SandboxBackend) -> None:
    """Tokens are kept a week after they expire: rotating must not read them all."""
    for _ in range(20):
        backend.tokens.issue(DEMO_APPID)
    few = _steps_of_one_rotation(backend)
    for _ in range(3000):
        backend.tokens.issue(DEMO_APPID)
    many = _steps_of_one_rotation(backend)
    assert many <= few + 5, (few, many)
