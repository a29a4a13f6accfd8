"""What each admin call takes: every field with its type and range, checked before anything
changes.

A body that does not fit answers HTTP 400 ``{"error": ..., "field": ...}``
naming the first field at fault and what it may be. Numbers are finite (no
``Infinity`` or ``NaN``), integers are whole JSON numbers within their range
(no ``true``, no ``5.0``), strings have a length bound, and a field the call
does not know is refused rather than ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from wechat_material.sandbox.state.clock import LATEST
from wechat_material.sandbox.state.config import (
    API_PREFIX,
    JSON_CONTENT_TYPE,
    JSON_LABELS,
    MAX_PUBLISH_SECONDS,
    TEXT_CONTENT_TYPE,
)
from wechat_material.sandbox.state.faults import MAX_DELAY_MS

MAX_COUNT = 1_000_000_000
"""The largest quota, limit or count the admin API takes."""
MAX_ACCOUNTS = 100
"""Accounts one ``POST /_sandbox/accounts`` may create."""
MAX_LIST = 1000
SEED_RANGE = (-(2**63), 2**63 - 1)

# Appids are WeChat's "wx" and 16 hex digits, but tests make up their own: letters,
# digits, "_" and "-", at most 64. Secrets: printable ASCII, no spaces.
Appid = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[!-~]+$")]
ApiPath = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=f"^{re.escape(API_PREFIX)}")
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Ip = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AdminInputError(ValueError):
    """Bad admin input: HTTP 400, naming the field (``field``) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class _Input(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


def _count(allowed: str = f"an integer from 0 to {MAX_COUNT}", **default: Any) -> Any:
    return Field(ge=0, le=MAX_COUNT, description=allowed, **default)


class ClockAdvance(_Input):
    seconds: float = Field(ge=0, le=LATEST, description=f"seconds from 0 to {LATEST:.0f}")


class ClockSet(_Input):
    now: float = Field(ge=0, le=LATEST, description=f"epoch seconds from 0 to {LATEST:.0f}")


class NewAccountInput(_Input):
    appid: Appid = Field(description="1 to 64 letters, digits, '_' or '-'")
    secret: Secret = Field(description="1 to 128 printable ASCII characters, no spaces")
    token_daily_limit: int | None = _count(default=None)
    whitelist: list[Ip] | None = Field(
        default=None, max_length=MAX_LIST, description=f"null or up to {MAX_LIST} IP addresses"
    )


class NewAccounts(_Input):
    accounts: list[NewAccountInput] = Field(
        min_length=1, max_length=MAX_ACCOUNTS, description=f"1 to {MAX_ACCOUNTS} accounts"
    )


class WhitelistInput(_Input):
    ips: list[Ip] | None = Field(
        default=None, description=f"null or up to {MAX_LIST} IP addresses", max_length=MAX_LIST
    )


class QuotaInput(_Input):
    cgi_path: ApiPath = Field(description="an API path like /cgi-bin/token, 256 characters at most")
    daily_limit: int = _count()
    minute_limit: int | None = _count(f"null or an integer from 0 to {MAX_COUNT}", default=None)


class ProtectInput(_Input):
    media_id: ShortText = Field(description="a media_id, 1 to 256 characters")


class StatusInput(_Input):
    secret_frozen: bool | None = Field(default=None, description="true or false")
    token_forbidden: bool | None = Field(default=None, description="true or false")
    frozen: bool | None = Field(default=None, description="true or false")
    limited: bool | None = Field(default=None, description="true or false")
    unauthorized: list[ShortText] | None = Field(
        default=None, max_length=MAX_LIST, description=f"up to {MAX_LIST} API paths"
    )


class SettingsInput(_Input):
    news_api: Literal["legacy", "retired"] | None = Field(
        default=None, description="'legacy' or 'retired'"
    )
    json_content_type: str | None = Field(
        default=None,
        description=f"'wechat', {JSON_CONTENT_TYPE!r} or {TEXT_CONTENT_TYPE!r}",
    )
    publish_id: Literal["string", "number"] | None = Field(
        default=None, description="'string' or 'number'"
    )
    msg_data_id: Literal["string", "number"] | None = Field(
        default=None, description="'string' or 'number'"
    )
    publish_seconds: float | None = Field(
        default=None,
        ge=0,
        le=MAX_PUBLISH_SECONDS,
        allow_inf_nan=False,
        description=f"how long a publication takes: 0 to {MAX_PUBLISH_SECONDS:g} seconds",
    )

    @field_validator("json_content_type")
    @classmethod
    def _known_label(cls, value: str | None) -> str | None:
        if value is not None and value not in JSON_LABELS:
            raise ValueError("not a label the sandbox knows")
        return value


# WeChat's errcodes are five- or six-digit numbers, -1 the busy one; 0 is success.
MAX_ERRCODE = 999_999


class FaultInput(_Input):
    endpoint: ShortText = Field(
        default="*",
        description="'*', an endpoint like 'token', a path, or a prefix like '/mmbiz/*'",
    )
    latency_ms: float = Field(
        default=0, ge=0, le=MAX_DELAY_MS, description=f"milliseconds from 0 to {MAX_DELAY_MS}"
    )
    jitter_ms: float = Field(
        default=0, ge=0, le=MAX_DELAY_MS, description=f"milliseconds from 0 to {MAX_DELAY_MS}"
    )
    error_rate: float = Field(default=0.0, ge=0, le=1, description="a probability from 0 to 1")
    errcode: int = Field(
        default=-1,
        ge=-1,
        le=MAX_ERRCODE,
        description=f"the errcode error_rate answers: -1, or a WeChat errcode up to {MAX_ERRCODE}",
    )
    http_5xx_rate: float = Field(default=0.0, ge=0, le=1, description="a probability from 0 to 1")
    drop_rate: float = Field(default=0.0, ge=0, le=1, description="a probability from 0 to 1")
    seed: int | None = Field(
        default=None,
        ge=SEED_RANGE[0],
        le=SEED_RANGE[1],
        description="null or an integer from -2**63 to 2**63 - 1",
    )
    count: int | None = Field(
        default=None, ge=1, le=MAX_COUNT, description=f"null or an integer from 1 to {MAX_COUNT}"
    )

    @field_validator("errcode")
    @classmethod
    def _not_success(cls, value: int) -> int:
        if value == 0:
            raise ValueError("errcode 0 is success, not a fault")
        return value


Model = TypeVar("Model", bound=_Input)


def parse(model: type[Model], data: Any) -> Model:
    """``data`` as ``model``, or :class:`AdminInputError` naming the first field at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise _explained(model, invalid) from None


def _explained(model: type[_Input], invalid: ValidationError) -> AdminInputError:
    problem = invalid.errors(include_url=False, include_context=False)[0]
    where = [str(part) for part in problem["loc"]]
    if not where:
        return AdminInputError(f"the body: {problem['msg']}")
    field = ".".join(where)
    message = f"'{field}': {problem['msg']}"
    info = _field_info(model, problem["loc"])
    if info is not None and info.description:
        message += f"; allowed: {info.description}"
    return AdminInputError(message, field)


def _field_info(model: type[_Input], loc: tuple[int | str, ...]) -> Any:
    """The innermost known field on the path ``loc`` (list indexes are skipped)."""
    found = None
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            break
        found = fields[part]
        current = _item_model(found.annotation)
    return found


def _item_model(annotation: Any) -> Any:
    """The model inside ``list[Model]`` (or the annotation itself)."""
    args = getattr(annotation, "__args__", ())
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, _Input):
            return arg
    return annotation
