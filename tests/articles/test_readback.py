"""The comparison of what was sent with what WeChat kept, on its own."""

from __future__ import annotations

import pytest

pytest.importorskip("markdown_it")

from wechat_material.articles import compare


def details(sent: str, stored: str) -> list[str]:
    return [str(change) for change in compare(sent, stored)]


def test_nothing_lost_nothing_reported() -> None:
    html = '<p style="color:red">hi <img src="https://mmbiz.qpic.cn/a/0"></p>'

    assert compare(html, html) == []


def test_additions_and_whitespace_are_not_losses() -> None:
    sent = '<p>hi  there</p><img src="https://mmbiz.qpic.cn/a/0">'
    stored = (
        '<p data-x="1" style="margin:0">hi\nthere</p>'
        '<img data-src="https://mmbiz.qpic.cn/a/0?wx_fmt=png" class="rich_pages">'
    )

    assert compare(sent, stored) == []


def test_removed_elements_images_attributes_styles_and_text() -> None:
    sent = (
        '<section style="position:absolute;color:red">'
        "<script>alert(1)</script><script>x()</script>"
        '<p onclick="go()">one</p><div>two</div>'
        '<img src="https://example.com/a.png">'
        '<img src="https://mmbiz.qpic.cn/kept/0">'
        "</section>"
    )
    stored = (
        '<section style="color:red"><p>one</p><img src="https://mmbiz.qpic.cn/kept/0"></section>'
    )

    assert details(sent, stored) == [
        "1 <div> element removed",
        "1 <img> element removed",
        "2 <script> elements removed",
        "image https://example.com/a.png removed",
        "1 'onclick' attribute removed",
        "CSS 'position' removed from 1 element",
        "the text changed: 6 characters sent, 3 kept",
    ]
    assert {change.kind for change in compare(sent, stored)} == {
        "element",
        "image",
        "attribute",
        "style",
        "text",
    }


def test_a_drawing_counts_as_one_element() -> None:
    sent = '<p>x <svg width="9"><g><path d="M0 0"/><path d="M1 1"></path></g></svg> y</p>'

    assert details(sent, "<p>x  y</p>") == ["1 <svg> element removed"]
    assert compare(sent, sent) == []
