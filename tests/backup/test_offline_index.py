"""The backup's ``index.html``, to the letter where a reader looks: times, links, empty cells."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wechat_material.backup.manifest import Entry
from wechat_material.backup.pages import index_page, page_path
from wechat_material.backup.store import ObjectStore

DIGEST = "ab" * 32


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local zone eight hours from UTC: the index's times must not follow it."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _row(page: str, name: str) -> str:
    start = page.index(f"<td>{name}</td>")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_times_are_utc_to_the_minute_and_a_missing_one_is_an_empty_cell(
    far_from_utc: None,
) -> None:
    entries = [
        Entry(kind="image", id="a", size=1, sha256=DIGEST, name="dated", update_time=1_700_000_000),
        Entry(kind="image", id="b", size=1, sha256=DIGEST, name="undated"),
    ]

    page = index_page(entries, ObjectStore(Path("/nonexistent")))

    assert "<td>2023-11-14 22:13</td>" in _row(page, "dated")
    assert "<td></td>" in _row(page, "undated")


def test_an_article_page_is_named_by_its_id_with_unsafe_characters_replaced() -> None:
    odd = "a/b c.d?é"

    assert page_path("draft", odd) == "articles/draft/a_b_c_d__.html"
    entry = Entry(kind="draft", id=odd, size=1, sha256=DIGEST, name="post")
    page = index_page([entry], ObjectStore(Path("/nonexistent")))
    assert '<a href="articles/draft/a_b_c_d__.html">read</a>' in page
