"""The call flow on its own: which steps it asks for, answered here without any I/O."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wechat_material import RateLimitError, RetryPolicy
from wechat_material._calls import get_material_count
from wechat_material._drivers import Stepper
from wechat_material._flow import request_flow
from wechat_material._steps import NeedToken, Received, Send
from wechat_material._steps import Sleep as Wait

from .harness import flow_settings

# 0.05 s before a whole minute (1_700_000_040 is one).
JUST_BEFORE_A_MINUTE = 1_700_000_039.95


def rate_limited_run(retry: RetryPolicy) -> list[Any]:
    """A get_material_count whose every reply is 45011; the steps it took, until it raised."""
    settings = flow_settings(retry, lambda: JUST_BEFORE_A_MINUTE)
    taken: list[Any] = []

    def answer(step: Any) -> Any:
        taken.append(step)
        if isinstance(step, NeedToken):
            return "TOKEN"
        if isinstance(step, Send):
            step.body.write(
                json.dumps({"errcode": 45011, "errmsg": "api minute-quota reach limit"}).encode()
            )
            return Received(200, {"content-type": "application/json"}, 0.0)
        assert isinstance(step, Wait)
        return None

    with pytest.raises(RateLimitError), Stepper(request_flow(get_material_count(), settings)) as s:
        s.run(answer)
    return taken


def test_a_spent_minute_quota_waits_once_until_just_past_the_next_minute() -> None:
    taken = rate_limited_run(RetryPolicy(backoff_base=0.0, wait_on_rate_limit=True))

    assert [type(step) for step in taken] == [NeedToken, Send, Wait, Send]
    # To the minute, plus one second so that clocks a little apart agree it has begun.
    assert taken[2].seconds == pytest.approx(0.05 + 1.0)


def test_no_wait_unless_asked_or_when_the_minute_is_too_far() -> None:
    for retry in (
        RetryPolicy(),
        RetryPolicy(wait_on_rate_limit=True, max_rate_limit_wait=0.5),
    ):
        assert [type(step) for step in rate_limited_run(retry)] == [NeedToken, Send]
