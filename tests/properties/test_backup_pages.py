"""The backup's offline pages show the account's text as text, whatever it holds.

Names, ids, titles, authors and picture addresses come from the account (and a
backup is opened from disk, in a browser): generated hostile strings must come
back from ``index.html`` and each article's page as text, with no element,
attribute or comment made of them.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from wechat_material.backup.articles import render_page
from wechat_material.backup.manifest import Entry
from wechat_material.backup.pages import CSP, csp_meta, index_page
from wechat_material.backup.store import ObjectStore

from .hostile import hostile_text, same_markup

DIGEST = "ab" * 32
SETTINGS = settings(max_examples=60, deadline=None)


def _entries(name: str, id_: str) -> list[Entry]:
    return [
        Entry(kind="image", id=id_, size=3, sha256=DIGEST, name=name, update_time=1_700_000_000),
        Entry(
            kind="video",
            id=id_,
            size=3,
            sha256=DIGEST,
            name=name,
            extra={"content_type": "video/mp4"},
        ),
        Entry(kind="draft", id=id_, size=3, sha256=DIGEST, name=name, gone_at=1.0),
    ]


@SETTINGS
@given(name=hostile_text(), id_=hostile_text(), url=hostile_text())
@example(name="</title><script>alert(1)</script>", id_='"><img src=x>', url="javascript:x'\"<")
def test_the_index_shows_names_ids_and_links_as_text(name: str, id_: str, url: str) -> None:
    store = ObjectStore(Path("/nonexistent-backup"))
    page = index_page(_entries(name, id_), store, [url])
    plain = index_page(_entries("n", "i"), store, ["u"])
    found = same_markup(page, plain)
    assert found.text.count(name) >= 3  # once per row
    assert id_ in found.text
    assert url in found.text
    assert csp_meta(f"{CSP}; media-src 'self'") in page


@st.composite
def listed_items(draw: st.DrawFn) -> tuple[dict[str, object], list[str]]:
    articles = draw(
        st.lists(st.tuples(hostile_text(), hostile_text(max_size=4)), min_size=1, max_size=3)
    )
    raw = {
        "content": {
            "news_item": [
                {"title": title, "author": author, "content": "<p>正文</p>"}
                for title, author in articles
            ]
        }
    }
    return raw, [text for pair in articles for text in pair]


@SETTINGS
@given(item=listed_items(), title=hostile_text())
@example(
    item=(
        {"content": {"news_item": [{"title": "<!--", "author": "-->", "content": "<p>正文</p>"}]}},
        ["<!--", "-->"],
    ),
    title="</title><b>",
)
def test_an_article_page_shows_titles_and_authors_as_text(
    item: tuple[dict[str, object], list[str]], title: str
) -> None:
    raw, texts = item
    page = render_page(raw, title, {}, head=csp_meta())
    harmless = {
        "content": {
            "news_item": [
                {"title": "t", "author": "a", "content": "<p>正文</p>"}
                for _ in raw["content"]["news_item"]  # type: ignore[index]
            ]
        }
    }
    found = same_markup(page, render_page(harmless, "t", {}, head=csp_meta()))
    for text in [title, *texts]:
        assert text in found.text
