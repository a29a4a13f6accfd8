"""A call description: everything needed to make one API call, and nothing done yet.

The call builders (``_calls/``) are pure functions from the user's arguments
to a :class:`Call`; the flow turns it into requests, the drivers do the I/O.
An operation that needs more than one call (a download following a video's
``down_url``, paging, waiting for a publish) is a generator that yields the
instructions below; both drivers run it the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, TypeAlias, TypeVar

import pydantic

from wechat_material._endpoints import Endpoint
from wechat_material._reply import FileReply, JsonReply, Reply
from wechat_material.errors import UnexpectedReplyError
from wechat_material.uploads import UploadForm

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)


@dataclass
class Call(Generic[T]):
    """One API call: endpoint, arguments, and how to turn the reply into a result."""

    endpoint: Endpoint
    parse: Callable[[Reply], T]
    # Not in the repr: the token call carries the app secret here.
    query: dict[str, str] = field(default_factory=dict, repr=False)
    json: Any = field(default=None, repr=False)
    upload: UploadForm | None = None
    # Where a file reply is written (memory for get_*, a temporary file for downloads).
    open_file: Callable[[], BinaryIO] | None = None
    url: str | None = None  # an absolute URL instead of base_url + endpoint.path

    def result(self, reply: Reply) -> T:
        """The typed result of a reply, or :class:`UnexpectedReplyError` if it does not fit."""
        try:
            return self.parse(reply)
        except pydantic.ValidationError as exc:
            # Only locations and reasons: the input itself may hold a token.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'reply'}: {err['msg']}"
                for err in exc.errors()
            )
            raise UnexpectedReplyError(
                f"{self.endpoint.path or self.endpoint.name}: the reply does not have the "
                f"expected shape ({problems})"
            ) from None

    def close(self) -> None:
        """Release what the call holds (an upload's open file)."""
        if self.upload is not None:
            self.upload.close()


def json_of(reply: Reply, endpoint: Endpoint) -> dict[str, Any]:
    """The JSON object of a reply; a file where JSON belongs is an unexpected reply."""
    if isinstance(reply, FileReply):
        raise UnexpectedReplyError(f"{endpoint.path}: a file arrived where JSON was expected")
    return reply.data


def model_parser(model: type[M], endpoint: Endpoint) -> Callable[[Reply], M]:
    """A parser that validates the JSON reply into ``model``."""

    def parse(reply: Reply) -> M:
        return model.model_validate(json_of(reply, endpoint))

    return parse


def ignore_reply(reply: Reply) -> None:
    """For calls whose success reply is only ``{"errcode": 0, "errmsg": "ok"}``."""


def raw_reply(reply: Reply) -> Reply:
    return reply


# Instructions an operation yields to its driver (the result it gets back):
@dataclass(frozen=True)
class Perform(Generic[T]):
    """Make this call (result: the call's typed result)."""

    call: Call[T]


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds (result: None)."""

    seconds: float


@dataclass(frozen=True)
class Emit:
    """Hand one item to the caller of a ``stream_*`` method (result: None)."""

    item: Any


OperationStep: TypeAlias = Perform[Any] | Sleep | Emit
Operation: TypeAlias = Generator[OperationStep, Any, T]

__all__ = [
    "Call",
    "Emit",
    "JsonReply",
    "Operation",
    "Perform",
    "Sleep",
    "ignore_reply",
    "json_of",
    "model_parser",
    "raw_reply",
]
