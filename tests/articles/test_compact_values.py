"""Declarations that restate the browser's own values, and no-break spaces as the character."""

from __future__ import annotations

from wechat_material.articles import rendering
from wechat_material.articles.compact import compact_html


def test_a_value_the_browser_gives_the_element_anyway_goes() -> None:
    html = compact_html(
        '<table><tr><th style="font-weight:bold;padding:0">a</th>'
        '<td style="font-weight:bold">b</td></tr></table><em style="font-style:italic">c</em>'
    )

    assert '<th style="padding:0">' in html
    assert '<td style="font-weight:700">' in html  # a cell's text is not bold by itself
    assert "<em>c</em>" in html


def test_a_border_in_the_elements_own_colour_needs_no_colour() -> None:
    html = compact_html(
        '<section style="color:#1e6bb8"><h2 style="border-bottom:2px solid #1e6bb8">a</h2>'
        '<p style="border-left:3px solid #1e6bb8;color:#fff">b</p>'
        '<a href="https://mp.weixin.qq.com/" style="border-bottom:1px solid #1e6bb8">c</a>'
        "</section>"
    )

    assert '<h2 style="border-bottom:2px solid">' in html  # inherits #1e6bb8
    assert "border-left:3px solid #1e6bb8" in html  # its own colour is white
    assert "border-bottom:1px solid #1e6bb8" in html  # a link's colour is the browser's


def test_no_break_spaces_are_written_as_the_character() -> None:
    html = compact_html('<p>a&nbsp;&nbsp;b <abbr title="&nbsp;">&amp;nbsp;</abbr>&nbsp;</p>')

    # In text only; an attribute stays as written, and "&amp;nbsp;" is not a space.
    assert html == '<p>a\u00a0\u00a0b <abbr title="&nbsp;">&amp;nbsp;</abbr>\u00a0</p>'


def test_a_list_marker_floats_unless_the_first_line_may_be_taller() -> None:
    html = rendering.render(
        "- 普通\n- [x] 完成\n- 分数 $\\frac{a}{b}$ 在第一行\n- 文字 $t_i$ 公式\n"
    ).html

    floated = html.count("float:left;margin-left:-1.4em")
    inline = html.count("display:inline-block;width:1.4em;margin-left:-1.4em")
    assert (floated, inline) == (3, 1)
    # The task's space stays after the floated box, where an ordinary one would go.
    assert "☑</span>\u00a0完成" in html
