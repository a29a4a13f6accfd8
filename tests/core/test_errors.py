"""Errcodes map to the right exception, with rid, hint and no secrets lost or leaked."""

from __future__ import annotations

import pickle

import pytest

from wechat_material import errors
from wechat_material.errcodes import ERRCODES, ErrorKind, lookup


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (-1, errors.SystemBusyError),
        (40001, errors.TokenError),
        (42001, errors.TokenError),
        (40125, errors.AuthenticationError),
        (40164, errors.AuthenticationError),
        (45009, errors.QuotaError),
        (45011, errors.RateLimitError),
        (40005, errors.InvalidMediaError),
        (40007, errors.NotFoundError),
        (45106, errors.RetiredAPIError),
        (45003, errors.ContentLimitError),
        (48005, errors.PermissionDeniedError),
        (53405, errors.RejectedError),
        (99999, errors.BadRequestError),
    ],
)
def test_errcode_maps_to_class(code: int, cls: type[errors.APIError]) -> None:
    error = errors.api_error(code, "whatever rid: 6125a48e-4bc55df9-6a1d6b57")
    assert type(error) is cls
    assert error.errcode == code
    assert error.rid == "6125a48e-4bc55df9-6a1d6b57"


def test_every_kind_has_a_class() -> None:
    assert set(errors.ERROR_CLASSES) == set(ErrorKind)
    for entry in ERRCODES.values():
        assert errors.ERROR_CLASSES[entry.kind]


def test_old_hint_suffix_and_ip() -> None:
    error = errors.api_error(
        40164,
        "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist hint: [KJZfAa0644e575]",
    )
    assert isinstance(error, errors.AuthenticationError)
    assert error.rid == "KJZfAa0644e575"
    assert error.ip == "1.2.3.4"
    assert "whitelist" in error.hint


def test_message_carries_code_and_hint() -> None:
    error = errors.api_error(45106, "This API has been unsupported rid: a-b-c", endpoint="add_news")
    assert str(error).startswith("add_news: [45106]")
    assert "draft" in str(error)


def test_api_errors_survive_pickling() -> None:
    # Errors cross process boundaries (multiprocessing, task queues).
    error = errors.api_error(40007, "invalid media_id rid: 1-2-3", endpoint="get_material")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert type(copy) is errors.NotFoundError
    assert (copy.errcode, copy.errmsg, copy.endpoint) == (40007, error.errmsg, "get_material")


def test_unknown_code_has_generic_entry() -> None:
    assert lookup(12345).kind is ErrorKind.BAD_REQUEST


def test_validation_errors_are_value_errors() -> None:
    error = errors.MediaValidationError("too big", file="a.jpg", limit=None)
    assert isinstance(error, ValueError)
    assert error.file == "a.jpg"
