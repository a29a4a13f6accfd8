"""Operations driven by hand, step by step: how often a publish is polled, what a stream counts.

No sockets: each test answers the steps an operation yields, the way
tests/sdk/test_request_flow_table.py does for one call.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from wechat_material import (
    NotAFileError,
    PublishResult,
    PublishTimeoutError,
    TargetExistsError,
    TransportError,
    ValidationError,
)
from wechat_material import _endpoints as ep
from wechat_material._flow import _StreamSink, download, download_to_stream, wait_for_publish
from wechat_material._replies import FileReply, JsonReply
from wechat_material._steps import Blocking, Perform, Sleep

PUBLISHING = PublishResult(publish_id="P1", publish_status=1)
PUBLISHED = PublishResult(publish_id="P1", publish_status=0, article_id="A1")


def drive(
    operation: Any, answers: list[PublishResult], steps: list[str] | None = None
) -> tuple[Any, list[str]]:
    """Run ``operation``; each poll gets the next answer (the last one repeats).

    The steps taken are appended to ``steps`` as they come (kept when it raises).
    """
    steps = [] if steps is None else steps
    outcome: Any = None
    try:
        while True:
            step = operation.send(outcome)
            if isinstance(step, Perform):
                steps.append("poll")
                outcome = answers[min(steps.count("poll"), len(answers)) - 1]
            else:
                assert isinstance(step, Sleep)
                steps.append(f"sleep {step.seconds:g}")
                outcome = None
    except StopIteration as done:
        return done.value, steps


def test_waiting_polls_once_per_interval_then_gives_up_with_the_last_state() -> None:
    with pytest.raises(PublishTimeoutError) as caught:
        drive(wait_for_publish("P1", interval=3, max_wait=10), [PUBLISHING])
    assert str(caught.value) == (
        "publish P1 was still in progress after 10 s; "
        "call wait() again or check it later with get()"
    )
    assert caught.value.result == PUBLISHING


def test_the_polls_and_sleeps_of_a_publish_that_finishes() -> None:
    result, steps = drive(
        wait_for_publish("P1", interval=3, max_wait=10), [PUBLISHING, PUBLISHING, PUBLISHED]
    )
    assert result == PUBLISHED
    assert steps == ["poll", "sleep 3", "poll", "sleep 3", "poll"]


def test_on_poll_hears_each_state_still_in_progress_and_not_the_last() -> None:
    heard: list[PublishResult] = []
    waiting = PublishResult(publish_id="P1", publish_status=1, fail_idx=[1])
    result, _ = drive(
        wait_for_publish("P1", interval=3, max_wait=10, on_poll=heard.append),
        [PUBLISHING, waiting, PUBLISHED],
    )
    assert result == PUBLISHED
    assert heard == [PUBLISHING, waiting]


def test_the_last_poll_comes_at_max_wait_with_no_sleep_after_it() -> None:
    steps: list[str] = []
    with pytest.raises(PublishTimeoutError):
        drive(wait_for_publish("P1", interval=3, max_wait=10), [PUBLISHING], steps)
    assert steps == ["poll", "sleep 3"] * 4 + ["poll"]


def test_max_wait_zero_polls_once() -> None:
    operation = wait_for_publish("P1", interval=1, max_wait=0)
    assert isinstance(operation.send(None), Perform)
    with pytest.raises(PublishTimeoutError):
        operation.send(PUBLISHING)


@pytest.mark.parametrize(("interval", "max_wait"), [(0, 10), (-1, 10), (1, -0.5)])
def test_a_bad_interval_or_max_wait_is_refused(interval: float, max_wait: float) -> None:
    with pytest.raises(ValidationError):
        next(wait_for_publish("P1", interval=interval, max_wait=max_wait))


def test_a_stream_counts_every_chunk_and_refuses_to_start_over_once_written() -> None:
    out = io.BytesIO()
    sink = _StreamSink(out)
    sink.truncate()  # nothing went out yet: starting over is fine
    assert sink.write(b"abc") == 3
    assert sink.write(b"de") == 2
    assert sink.written == 5
    assert out.getvalue() == b"abcde"
    with pytest.raises(TransportError) as refused:
        sink.truncate()
    assert str(refused.value) == (
        "the download broke off after 5 bytes were written out; "
        "a stream cannot be rewound to try again"
    )


NOT_A_FILE = "M1 is not a file; read it with get_material() instead of downloading it"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"title": "a video without its link"}, NOT_A_FILE),
        ({"down_url": 5}, NOT_A_FILE),
        ({"down_url": ""}, NOT_A_FILE),
        (
            {"news_item": [{"title": "t", "thumb_media_id": "T", "content": "c"}]},
            "M1 is a news material (articles); read it with get_material() "
            "instead of downloading it",
        ),
    ],
)
def test_a_json_reply_without_a_link_is_not_a_file(reply: dict[str, Any], message: str) -> None:
    operation = download_to_stream(ep.MATERIAL_GET, "M1", io.BytesIO())
    assert isinstance(next(operation), Perform)
    with pytest.raises(NotAFileError) as refused:
        operation.send(JsonReply(reply))
    assert str(refused.value) == message
    assert (refused.value.news is None) == ("news_item" not in reply)


def test_a_file_that_appears_during_a_no_overwrite_download_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "a.jpg"
    operation = download(ep.MATERIAL_GET, "M1", target, overwrite=False)
    step = next(operation)
    assert isinstance(step, Perform)
    part = step.call.open_file()
    part.write(b"downloaded")
    target.write_bytes(b"saved meanwhile by someone else")

    # The commit to disk is a Blocking step (a worker thread under asyncio): run it.
    commit = operation.send(FileReply(file=part, size=10, content_type="image/jpeg", filename=None))
    assert isinstance(commit, Blocking)
    with pytest.raises(TargetExistsError) as refused:
        commit.work()
    with pytest.raises(TargetExistsError):  # as a driver does: back into the operation
        operation.throw(refused.value)
    assert target.read_bytes() == b"saved meanwhile by someone else"
