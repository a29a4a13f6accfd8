"""The quota state on its own: China-time months, per-account minute windows, reports."""

from __future__ import annotations

import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.quotas import DEFAULT_DAILY_LIMIT, STABLE_TOKEN_PATH, china_month

PATH = "/cgi-bin/material/get_materialcount"


def test_a_month_is_a_china_time_month() -> None:
    # 2023-11-30 17:00 UTC is already 01:00 on 1 December in China.
    assert china_month(1_701_363_600.0) == "2023-12"
    assert china_month(1_701_363_600.0 - 3601) == "2023-11"


def test_clearing_one_account_leaves_the_others_minute_windows(backend: SandboxBackend) -> None:
    quotas = backend.quotas
    for appid in (DEMO_APPID, "wxother"):
        quotas.set_limit(appid, PATH, 100, minute_limit=1)
        quotas.charge(appid, PATH)

    quotas.clear(DEMO_APPID)

    quotas.charge(DEMO_APPID, PATH)  # its minute starts afresh
    with pytest.raises(SandboxError) as refused:
        quotas.charge("wxother", PATH)
    assert refused.value.code == 45011


def test_the_eleventh_clear_of_a_month_says_how_many_and_when(backend: SandboxBackend) -> None:
    for _ in range(10):
        backend.quotas.clear(DEMO_APPID)
    with pytest.raises(SandboxError) as refused:
        backend.quotas.clear(DEMO_APPID)
    month = china_month(backend.clock.now())
    assert (refused.value.code, refused.value.detail) == (
        48006,
        f"clear_quota used 10 times in {month}",
    )


def test_a_report_never_shows_a_negative_remainder_nor_an_invented_rate(
    backend: SandboxBackend,
) -> None:
    quotas = backend.quotas
    quotas.set_limit(DEMO_APPID, PATH, 5)
    for _ in range(3):
        quotas.charge(DEMO_APPID, PATH)
    quotas.set_limit(DEMO_APPID, PATH, 2)  # lowered below what was used today

    assert quotas.report(DEMO_APPID, PATH) == {
        "quota": {"daily_limit": 2, "used": 3, "remain": 0},
        "rate_limit": {"call_count": 0, "refresh_second": 60},
    }


def test_a_minute_window_counts_its_calls_and_the_next_one_starts_at_one(
    backend: SandboxBackend,
) -> None:
    quotas = backend.quotas
    quotas.set_limit(DEMO_APPID, PATH, 100, minute_limit=2)
    backend.clock.advance(60 - backend.clock.now() % 60)  # the start of a minute
    quotas.charge(DEMO_APPID, PATH)
    quotas.charge(DEMO_APPID, PATH)
    with pytest.raises(SandboxError) as refused:
        quotas.charge(DEMO_APPID, PATH)
    assert (refused.value.code, refused.value.detail) == (45011, f"2 calls a minute on {PATH}")

    backend.clock.advance(60)
    quotas.charge(DEMO_APPID, PATH)
    quotas.charge(DEMO_APPID, PATH)


def test_a_spent_day_names_its_limit(backend: SandboxBackend) -> None:
    backend.quotas.set_limit(DEMO_APPID, PATH, 1)
    backend.quotas.charge(DEMO_APPID, PATH)
    with pytest.raises(SandboxError) as refused:
        backend.quotas.charge(DEMO_APPID, PATH)
    assert (refused.value.code, refused.value.detail) == (45009, f"1 calls a day on {PATH}")


def test_the_default_limits_of_a_path(backend: SandboxBackend) -> None:
    assert backend.quotas.limits("wxnew", STABLE_TOKEN_PATH) == (500_000, 10_000)
    assert backend.quotas.limits("wxnew", PATH) == (DEFAULT_DAILY_LIMIT, None)


def test_a_limit_may_be_zero_but_never_negative(backend: SandboxBackend) -> None:
    backend.quotas.set_limit(DEMO_APPID, PATH, 0, minute_limit=0)
    for daily, minute in [(-1, None), (5, -1)]:
        with pytest.raises(ValueError, match=r"^quota limits cannot be negative$"):
            backend.quotas.set_limit(DEMO_APPID, PATH, daily, minute_limit=minute)
