"""The call flow on its own: which steps it asks for, answered here without any I/O."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wechat_material import (
    APIError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    TokenError,
    TransportError,
    UnexpectedReplyError,
)
from wechat_material._calls import Call, get_material_count, video_file
from wechat_material._drivers import Stepper
from wechat_material._flow import call_flow
from wechat_material._steps import InvalidateToken, NeedToken, Received, Send
from wechat_material._steps import Sleep as Wait

from .harness import flow_settings

# 0.05 s before a whole minute (1_700_000_040 is one).
JUST_BEFORE_A_MINUTE = 1_700_000_039.95


COUNT = "GET /cgi-bin/material/get_materialcount"
OK_COUNT = {"voice_count": 1, "video_count": 2, "image_count": 3, "news_count": 4}


def reply(data: Any, status: int = 200) -> Callable[[Send], Received]:
    """The outcome of a Send: this JSON reply, received in two seconds."""

    def received(step: Send) -> Received:
        step.body.write(json.dumps(data).encode())
        return Received(status, {"content-type": "application/json"}, 2.0)

    return received


def scripted(
    call: Call[Any],
    outcomes: list[Any],
    retry: RetryPolicy,
    now: float = 1_700_000_000.0,
    taken: list[Any] | None = None,
) -> tuple[list[Any], Any]:
    """Run ``call``'s flow, each Send answered by the next outcome: its steps and its result.

    An outcome is a function of the Send, or an ``httpx.RequestError`` to hand back.
    ``taken`` collects the steps as they come (for a flow that raises).
    """
    settings = flow_settings(retry, lambda: now)
    left = list(outcomes)
    taken = [] if taken is None else taken

    def answer(step: Any) -> Any:
        taken.append(step)
        if isinstance(step, NeedToken):
            return "TOKEN"
        if isinstance(step, Send):
            outcome = left.pop(0)
            return outcome if isinstance(outcome, httpx.RequestError) else outcome(step)
        return None

    with Stepper(call_flow(call, settings)) as stepper:
        result = stepper.run(answer)
    assert not left, f"{len(left)} outcome(s) left unused"
    return taken, result


REFUSED = {"errcode": 40001, "errmsg": "invalid credential"}
BUSY = {"errcode": -1, "errmsg": "system error"}
MINUTE_SPENT = {"errcode": 45011, "errmsg": "api minute-quota reach limit"}


def rate_limited_run(retry: RetryPolicy) -> list[Any]:
    """A get_material_count whose every reply is 45011; the steps it took, until it raised."""
    taken: list[Any] = []
    with pytest.raises(RateLimitError):
        scripted(
            get_material_count(), [reply(MINUTE_SPENT)] * 2, retry, JUST_BEFORE_A_MINUTE, taken
        )
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


def test_the_log_tells_each_attempt_what_came_back_and_what_happens_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="wechat_material")
    taken, count = scripted(
        get_material_count(),
        [
            httpx.ConnectError("connection refused"),
            reply({}, status=502),
            reply({"errcode": -1, "errmsg": "system error"}),
            reply({"errcode": 40001, "errmsg": "invalid credential"}),
            reply({"errcode": 45011, "errmsg": "api minute-quota reach limit"}),
            reply(OK_COUNT),
        ],
        RetryPolicy(max_attempts=4, jitter=False, wait_on_rate_limit=True),
        now=JUST_BEFORE_A_MINUTE - 9.0,
    )

    assert count.news_count == 4
    assert caplog.messages == [
        f"{COUNT} failed (attempt 1): ConnectError: connection refused",
        f"{COUNT} -> HTTP 502 (attempt 2)",
        f"{COUNT} -> HTTP 200 errcode=-1 in 2000 ms",
        f"{COUNT}: WeChat is busy (-1, attempt 3); retrying",
        f"{COUNT} -> HTTP 200 errcode=40001 in 2000 ms",
        f"{COUNT}: token refused (errcode 40001); refreshing once",
        # The replay after a new token is not one of the retries: attempt 4 again.
        f"{COUNT} -> HTTP 200 errcode=45011 in 2000 ms",
        f"{COUNT}: minute quota spent (45011); waiting 10 s",
        f"{COUNT} -> HTTP 200 errcode=0 in 2000 ms",
    ]
    # Backoff doubles from 0.5 s; the token is asked for again after the refusal.
    steps = [type(step).__name__ if not isinstance(step, Wait) else step.seconds for step in taken]
    assert steps == [
        "NeedToken", "Send", 0.5, "Send", 1.0, "Send", 2.0, "Send",
        "InvalidateToken", "NeedToken", "Send", pytest.approx(10.05), "Send",
    ]  # fmt: skip
    assert taken[8] == InvalidateToken("TOKEN")
    assert len(taken[10].request.url.params["access_token"]) > 0


@pytest.mark.parametrize("between", [REFUSED, MINUTE_SPENT])
def test_a_replay_on_a_new_token_or_after_the_minute_leaves_the_retries_whole(
    between: dict[str, Any],
) -> None:
    busy = reply(BUSY)
    taken, count = scripted(
        get_material_count(),
        [busy, busy, reply(between), busy, reply(OK_COUNT)],
        RetryPolicy(max_attempts=4, jitter=False, wait_on_rate_limit=True),
        now=JUST_BEFORE_A_MINUTE,
    )
    assert count.image_count == 3
    # Three retries in all: the third still waits 2 s, as the third retry does.
    waits = [step.seconds for step in taken if isinstance(step, Wait)]
    assert [wait for wait in waits if wait != pytest.approx(1.05)] == [0.5, 1.0, 2.0]


def test_system_busy_on_the_last_attempt_is_raised() -> None:
    with pytest.raises(APIError) as caught:
        scripted(get_material_count(), [reply(BUSY)] * 3, RetryPolicy(jitter=False))
    assert caught.value.errcode == -1


def test_the_minute_is_waited_for_when_exactly_as_far_as_allowed() -> None:
    # 10 s before a whole minute: 11 s to wait, and 11 s allowed.
    taken, count = scripted(
        get_material_count(),
        [reply(MINUTE_SPENT), reply(OK_COUNT)],
        RetryPolicy(wait_on_rate_limit=True, max_rate_limit_wait=11.0),
        now=1_700_000_030.0,
    )
    assert count.voice_count == 1
    assert [step.seconds for step in taken if isinstance(step, Wait)] == [11.0]


def test_a_video_link_that_fails_is_named_without_its_query() -> None:
    link = "https://mp.weixin.qq.com/v/abc?vid=1&sig=SECRET"
    with pytest.raises(TransportError) as caught:
        scripted(
            video_file(link, io.BytesIO),
            [httpx.ConnectError("refused")] * 3,
            RetryPolicy(jitter=False),
        )
    assert str(caught.value) == (
        "could not connect to mp.weixin.qq.com:443: ConnectError: refused "
        "(GET https://mp.weixin.qq.com/v/abc, 2 attempts)"
    )


def test_a_token_refused_twice_is_raised_after_one_replay() -> None:
    refused = reply({"errcode": 40001, "errmsg": "invalid credential"})
    with pytest.raises(TokenError, match="invalid credential"):
        scripted(get_material_count(), [refused, refused], RetryPolicy(jitter=False))


def test_jittered_backoff_stays_between_half_and_all_of_the_doubled_wait() -> None:
    busy = reply({"errcode": -1, "errmsg": "system error"})
    taken, _ = scripted(
        get_material_count(),
        [httpx.ConnectError("refused"), reply({}, status=500), busy, reply(OK_COUNT)],
        RetryPolicy(max_attempts=4),
    )
    waits = [step.seconds for step in taken if isinstance(step, Wait)]
    assert len(waits) == 3
    for wait, full in zip(waits, (0.5, 1.0, 2.0), strict=True):
        assert full / 2 <= wait <= full


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        # A refused connection and a timeout get one more try, not two; the
        # message names the host, and the timeout that ran out.
        (
            httpx.ConnectError("connection refused"),
            "could not connect to api.weixin.qq.com:443: ConnectError: connection refused "
            f"({COUNT}, 2 attempts)",
        ),
        (
            httpx.ReadTimeout(""),
            f"api.weixin.qq.com did not answer within 15 s ({COUNT}, 2 attempts)",
        ),
        (
            httpx.ConnectTimeout(""),
            f"api.weixin.qq.com did not accept a connection within 5 s ({COUNT}, 2 attempts)",
        ),
        # Other failures: named by type alone when they have no text, all attempts used.
        (
            httpx.RemoteProtocolError(""),
            f"{COUNT} to api.weixin.qq.com: RemoteProtocolError (after 3 attempts)",
        ),
        (reply({}, status=500), f"{COUNT}: the server answered HTTP 500 (after 3 attempt(s))"),
    ],
)
def test_a_failure_that_outlasts_the_retries_says_what_and_how_often(
    outcome: Any, message: str
) -> None:
    with pytest.raises(TransportError) as caught:
        scripted(get_material_count(), [outcome] * 3, RetryPolicy(jitter=False))
    assert str(caught.value) == message


def test_a_reply_without_errcode_but_not_200_is_unexpected() -> None:
    with pytest.raises(UnexpectedReplyError) as caught:
        scripted(get_material_count(), [reply(OK_COUNT, status=201)], RetryPolicy())
    assert str(caught.value) == f"{COUNT}: HTTP 201 without a WeChat error"


def test_an_api_error_carries_its_code_message_and_endpoint() -> None:
    refused = reply({"errcode": 40007, "errmsg": "invalid media_id"})
    with pytest.raises(NotFoundError) as caught:
        scripted(get_material_count(), [refused], RetryPolicy())
    assert caught.value.errcode == 40007
    assert caught.value.errmsg == "invalid media_id"
    assert caught.value.endpoint == "/cgi-bin/material/get_materialcount"
