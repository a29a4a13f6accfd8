"""The request flow as a table of scripts: each step it asks for, and what it gets back.

No sockets and no driver: each case runs one call's flow, with the client's
token policy composed in, against a script of (expected step, outcome) pairs,
the way h11 tests its state machine. A case passes when the flow asks for
exactly the scripted steps, in order, and then returns or raises as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from wechat_material import (
    AuthenticationError,
    MaterialCount,
    TokenError,
    TransportError,
    UploadedMaterial,
)
from wechat_material._calls import (
    Call,
    add_material,
    draft_add,
    fetch_token,
    get_material_count,
    publish_submit,
)
from wechat_material._drivers import Stepper
from wechat_material._flow import TokenFlows, call_flow
from wechat_material._steps import (
    Blocking,
    Discard,
    Fetch,
    Load,
    LockLocal,
    LockStore,
    Received,
    ReleaseLocks,
    Save,
    Send,
    Sleep,
    Step,
    StoreLockHeld,
)
from wechat_material.retry import RetryPolicy
from wechat_material.tokens import AccessToken, TokenGrant
from wechat_material.tokens.flow import TokenPolicy

from .harness import flow_settings


class FakeClock:
    """A clock that stands still."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


MEDIA_IMAGE = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
COUNT = "/cgi-bin/material/get_materialcount"
ADD = "/cgi-bin/material/add_material"
# 10 s before a whole minute (1_700_000_040 is one).
BEFORE_A_MINUTE = 1_700_000_030.0
SECRET = SecretStr("s" * 32)


def sent(path: str) -> Callable[[Step], bool]:
    """Expect a request to ``path``."""

    def matches(step: Step) -> bool:
        return isinstance(step, Send) and step.request.url.path == path

    matches.__name__ = f"Send({path})"
    return matches


def sent_with_token(token: str) -> Callable[[Step], bool]:
    """Expect a request that carries ``token``."""

    def matches(step: Step) -> bool:
        return isinstance(step, Send) and step.request.url.params["access_token"] == token

    matches.__name__ = f"Send(access_token={token})"
    return matches


def answer(data: dict[str, Any], status: int = 200) -> Callable[[Send], Received]:
    """Outcome of a Send: this JSON reply, whole."""

    def reply(step: Send) -> Received:
        step.body.write(json.dumps(data).encode())
        return Received(status, {"content-type": "application/json"}, 0.0)

    return reply


def cut_off(step: Send) -> httpx.RequestError:
    """Outcome of a Send: half a reply, then the connection drops."""
    step.body.write(b'{"errcode": 0, "media_')
    return httpx.RemoteProtocolError("peer closed connection without sending complete body")


def failing(error: httpx.RequestError) -> Callable[[Send], httpx.RequestError]:
    """Outcome of a Send: the request failed with ``error`` (handed back, not raised)."""
    return lambda step: error


OK_COUNT = {"voice_count": 1, "video_count": 2, "image_count": 3, "news_count": 4}
ADDED = {"media_id": "MEDIA", "url": "http://mmbiz.qpic.cn/x"}
REFUSED = {"errcode": 40001, "errmsg": "invalid credential"}
BUSY = {"errcode": -1, "errmsg": "system error"}
MINUTE_SPENT = {"errcode": 45011, "errmsg": "api minute-quota reach limit"}


def fresh(value: str, clock: FakeClock) -> AccessToken:
    return AccessToken(value, clock.now + 7200)


def before_fetch() -> list[tuple[Any, Any]]:
    """Nothing stored: check, take the local lock, check, take the store's lock, check."""
    return [
        (Load(), None),
        (LockLocal(wait=True), True),
        (Load(), None),
        (LockStore(), None),
        (Load(), None),
    ]


def fetch_steps(grant: TokenGrant, *, lock_kept: bool = True) -> list[tuple[Any, Any]]:
    """A fetch with nothing stored, up to its save."""
    return [*before_fetch(), (Fetch(), grant), (StoreLockHeld(), lock_kept)]


@dataclass
class Case:
    """One script: the call, the steps it must ask for with their outcomes, and its end."""

    call: Callable[[], Call[Any]]
    script: Callable[[FakeClock], list[tuple[Any, Any]]]
    returns: Callable[[Any], bool] | None = None
    raises: type[BaseException] | None = None
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(jitter=False))
    now: float = 1_700_000_000.0
    fetch: Call[TokenGrant] | None = None


def upload_checked(step: Step) -> bool:
    """Expect the upload's file to be opened and checked, off the event loop."""
    return isinstance(step, Blocking)


def check_it(step: Step) -> Any:
    assert isinstance(step, Blocking)
    return step.work()


# Once per call, before the token: a file WeChat would refuse costs no call at all.
CHECKED = (upload_checked, check_it)


def stored(clock: FakeClock) -> list[tuple[Any, Any]]:
    """A usable stored token: one look at the store, then the locks (none) given back."""
    return [(Load(), fresh("OLD", clock)), (ReleaseLocks(), None)]


CASES: dict[str, Case] = {
    "a refused token is forgotten, fetched anew once, and the call replayed": Case(
        get_material_count,
        lambda clock: [
            *stored(clock),
            (sent(COUNT), answer(REFUSED)),
            (Discard("OLD"), True),
            (ReleaseLocks(), None),
            *fetch_steps(TokenGrant("NEW", 7200)),
            (Save(fresh("NEW", clock)), None),
            (ReleaseLocks(), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: isinstance(count, MaterialCount) and count.image_count == 3,
    ),
    "a second refusal is raised, not replayed again": Case(
        get_material_count,
        lambda clock: [
            *stored(clock),
            (sent(COUNT), answer(REFUSED)),
            (Discard("OLD"), True),
            (ReleaseLocks(), None),
            (Load(), fresh("NEW", clock)),  # another caller fetched meanwhile
            (ReleaseLocks(), None),
            (sent(COUNT), answer(REFUSED)),
        ],
        raises=TokenError,
    ),
    "-1 is retried with backoff, then succeeds": Case(
        get_material_count,
        lambda clock: [
            *stored(clock),
            (sent(COUNT), answer(BUSY)),
            (Sleep(0.5), None),
            (sent(COUNT), answer(BUSY)),
            (Sleep(1.0), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: count.news_count == 4,
    ),
    "-1 on an upload is retried too (WeChat did not carry it out)": Case(
        lambda: add_material("image", MEDIA_IMAGE, "a.png"),
        lambda clock: [
            CHECKED,
            *stored(clock),
            (sent(ADD), answer(BUSY)),
            (Sleep(0.5), None),
            (sent(ADD), answer(ADDED)),
        ],
        returns=lambda added: isinstance(added, UploadedMaterial) and added.media_id == "MEDIA",
    ),
    "HTTP 5xx on a read is retried": Case(
        get_material_count,
        lambda clock: [
            *stored(clock),
            (sent(COUNT), answer({}, status=502)),
            (Sleep(0.5), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: count.voice_count == 1,
    ),
    "HTTP 5xx on an upload raises without a resend": Case(
        lambda: add_material("image", MEDIA_IMAGE, "a.png"),
        lambda clock: [CHECKED, *stored(clock), (sent(ADD), answer({}, status=502))],
        raises=TransportError,
    ),
    "45011 waits for the next minute, then succeeds": Case(
        get_material_count,
        lambda clock: [
            *stored(clock),
            (sent(COUNT), answer(MINUTE_SPENT)),
            (Sleep(10.0 + 1.0), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: count.video_count == 2,
        retry=RetryPolicy(wait_on_rate_limit=True),
        now=BEFORE_A_MINUTE,
    ),
    "a reply cut off mid-body on an upload is not resent": Case(
        lambda: add_material("image", MEDIA_IMAGE, "a.png"),
        lambda clock: [CHECKED, *stored(clock), (sent(ADD), cut_off)],
        raises=TransportError,
    ),
    "a reply cut off mid-body on a read is resent": Case(
        get_material_count,
        lambda clock: [
            *stored(clock),
            (sent(COUNT), cut_off),
            (Sleep(0.5), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: count.image_count == 3,
    ),
    "a read timeout on add_material is not resent": Case(
        lambda: add_material("image", MEDIA_IMAGE, "a.png"),
        lambda clock: [
            CHECKED,
            *stored(clock),
            (sent(ADD), failing(httpx.ReadTimeout("timed out"))),
        ],
        raises=TransportError,
    ),
    "a read timeout on draft.add is not resent": Case(
        lambda: draft_add([{"title": "t", "content": "c", "thumb_media_id": "T"}]),
        lambda clock: [
            *stored(clock),
            (sent("/cgi-bin/draft/add"), failing(httpx.ReadTimeout("timed out"))),
        ],
        raises=TransportError,
    ),
    "a read timeout on publish.submit is not resent": Case(
        lambda: publish_submit("DRAFT"),
        lambda clock: [
            *stored(clock),
            (sent("/cgi-bin/freepublish/submit"), failing(httpx.ReadTimeout("timed out"))),
        ],
        raises=TransportError,
    ),
    "a connection never made is retried even for an upload": Case(
        lambda: add_material("image", MEDIA_IMAGE, "a.png"),
        lambda clock: [
            CHECKED,
            *stored(clock),
            (sent(ADD), failing(httpx.ConnectError("refused"))),
            (Sleep(0.5), None),
            (sent(ADD), answer(ADDED)),
        ],
        returns=lambda added: added.url == "http://mmbiz.qpic.cn/x",
    ),
    "a store lock lost during the fetch keeps a newer token saved meanwhile": Case(
        get_material_count,
        lambda clock: [
            *fetch_steps(TokenGrant("MINE", 7200), lock_kept=False),
            (Load(), AccessToken("THEIRS", clock.now + 7300)),
            (ReleaseLocks(), None),
            (
                lambda step: (
                    isinstance(step, Send) and "access_token=THEIRS" in str(step.request.url)
                ),
                answer(OK_COUNT),
            ),
        ],
        returns=lambda count: count.image_count == 3,
    ),
    "a store lock lost during the fetch saves the fetched token when it is the newest": Case(
        get_material_count,
        lambda clock: [
            *fetch_steps(TokenGrant("MINE", 7200), lock_kept=False),
            (Load(), AccessToken("OLDER", clock.now + 60)),
            (Save(fresh("MINE", clock)), None),
            (ReleaseLocks(), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: count.image_count == 3,
    ),
    "the client's own /token call runs inside the request flow": Case(
        get_material_count,
        lambda clock: [
            *before_fetch(),
            (sent("/cgi-bin/token"), answer({"access_token": "NEW", "expires_in": 7200})),
            (StoreLockHeld(), True),
            (Save(fresh("NEW", clock)), None),
            (ReleaseLocks(), None),
            (sent(COUNT), answer(OK_COUNT)),
        ],
        returns=lambda count: count.image_count == 3,
        fetch=fetch_token("wx0123456789abcdef", SECRET, "token"),
    ),
    "a refused secret fails the fetch, and the locks are given back": Case(
        get_material_count,
        lambda clock: [
            *before_fetch(),
            (sent("/cgi-bin/token"), answer({"errcode": 40125, "errmsg": "invalid appsecret"})),
            (ReleaseLocks(), None),
        ],
        raises=AuthenticationError,
        fetch=fetch_token("wx0123456789abcdef", SECRET, "token"),
    ),
}


def run(case: Case) -> Any:
    """Run the case's call against its script; the flow's result (or its exception)."""
    clock = FakeClock(case.now)
    settings = flow_settings(case.retry, clock)
    tokens = TokenFlows(TokenPolicy("wx0123456789abcdef", 300.0, clock), settings, case.fetch)
    script = case.script(clock)
    with Stepper(call_flow(case.call(), settings, tokens)) as stepper:
        for number, (expected, outcome) in enumerate(script, 1):
            where = f"step {number} of {len(script)}"
            try:
                step = stepper.next_step()
            except Exception as exc:
                raise AssertionError(f"{where}: the flow raised {exc!r} early") from exc
            assert step is not None, f"{where}: the flow ended early"
            if isinstance(expected, Step):
                assert step == expected, f"{where}: {step!r}"
            else:
                assert expected(step), f"{where}: {step!r} is not {expected.__name__}"
            stepper.succeeded(outcome(step) if callable(outcome) else outcome)
        last = stepper.next_step()
        assert last is None, f"the flow asked for more: {last!r}"
        return stepper.result


@pytest.mark.parametrize("name", list(CASES))
def test_request_flow(name: str) -> None:
    case = CASES[name]
    if case.raises is not None:
        with pytest.raises(case.raises):
            run(case)
        return
    result = run(case)
    assert case.returns is not None
    assert case.returns(result), result
