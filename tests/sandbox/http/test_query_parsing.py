"""The sandbox reads a query string exactly as the standard library does, fast path or not."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from wechat_material.sandbox.http.wire import parse_query

QUERIES = [
    "",
    "&",
    "&&a=1&&",
    "access_token=abc",
    "grant_type=client_credential&appid=wx1&secret=s3cr3t",
    "a=1&a=2",
    "flag&b=",
    "=value",
    "a==b&c=d=e",
    "name=a;b",
    "%73ecret=x&access%5Ftoken=y",
    "a=1+2&b=%20",
    "a=%zz&b=%",
    "é=ü",
]


@pytest.mark.parametrize("text", QUERIES)
def test_parse_query_matches_the_standard_library(text: str) -> None:
    assert parse_query(text) == dict(parse_qsl(text, keep_blank_values=True))
