"""Compact styles and formulas: shorter, and the same declarations and shapes."""

from __future__ import annotations

import re

import pytest
import ziamath

from wechat_material.articles.compact import compact_declarations, compact_html
from wechat_material.articles.formula import compact_svg


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("margin: 0 0 1em 0", {"margin": "0 0 1em"}),
        ("padding: 0.2em 0.6em 0.2em 0.6em", {"padding": ".2em .6em"}),
        ("margin: 0px 0em", {"margin": "0"}),
        ("color: #FFFFFF; background: #f6F6f6", {"color": "#fff", "background": "#f6f6f6"}),
        ("font-weight: bold", {"font-weight": "700"}),
        ("width: 1.50em; margin-left: -0.5em", {"width": "1.5em", "margin-left": "-.5em"}),
        (
            "font-family: Menlo , 'Songti SC', monospace",
            {"font-family": "Menlo,'Songti SC',monospace"},
        ),
        # Later wins; a side after the shorthand is folded into it; a longhand before a
        # shorthand is dead.
        ("color: red; color: blue", {"color": "blue"}),
        ("color: red !important; color: blue", {"color": "red !important"}),
        ("margin: 0 0 1em 0; margin-bottom: 0.5em", {"margin": "0 0 .5em"}),
        ("border-left: 1px solid #000; border: none", {"border": "none"}),
        # Nothing inside quotes or functions is touched; a ; there does not split.
        ("background: url(a;0.50px.png) 0px", {"background": "url(a;0.50px.png) 0"}),
        ("color: hsl(0, 0%, 50%)", {"color": "hsl(0, 0%, 50%)"}),
        ("transition: 0s", {"transition": "0s"}),
        ("font-family: 'A  B'", {"font-family": "'A  B'"}),
    ],
)
def test_declarations_take_their_shortest_equal_form(style: str, expected: dict[str, str]) -> None:
    assert compact_declarations(style) == expected


def test_an_inherited_value_equal_to_the_parents_is_dropped() -> None:
    html = (
        '<section style="color: #333333; font-size: 14px">'
        '<p style="color:#333;font-size:14px;margin:0">a <span style="color:#333">b</span></p>'
        '<p style="font-size:.9em"><span style="font-size:.9em">c</span></p>'
        '<a href="https://mp.weixin.qq.com/s/x" style="color:#333">d</a>'
        '<code style="font-family:x">e<span style="font-family:x">f</span></code>'
        "</section>"
    )

    assert compact_html(html) == (
        '<section style="color:#333;font-size:14px">'
        '<p style="margin:0">a b</p>'  # the span said nothing more: unwrapped
        '<p style="font-size:90%"><span style="font-size:90%">c</span></p>'  # relative
        '<a href="https://mp.weixin.qq.com/s/x" style="color:#333">d</a>'  # links are blue
        '<code style="font-family:x">e<span>f</span></code>'.replace("<span>f</span>", "f")
        + "</section>"
    )


def test_what_wechat_applies_anyway_is_left_to_it() -> None:
    html = (
        '<section><img src="a.png" style="max-width: 100%; height: auto; display: block"></section>'
    )

    assert compact_html(html) == '<section><img src="a.png" style="display:block"></section>'


def test_classes_ids_and_blank_lines_between_blocks_go_but_not_inside_text_or_pre() -> None:
    html = (
        '<section class="a" id="b">\n<p>x\ny</p>\n<p>z</p>\n'
        "<pre>\n<code>keep</code>\n</pre>\n<span>s</span> <span>t</span>\n</section>"
    )

    assert compact_html(html) == (
        "<section><p>x\ny</p><p>z</p><pre>\n<code>keep</code>\n</pre>s t</section>"
    )


def test_comments_and_attribute_text_are_left_alone() -> None:
    html = '<p title="a > b" style="color: red"><!-- <span style="x"> -->x</p>'

    assert compact_html(html) == '<p title="a > b" style="color:red"><!-- <span style="x"> -->x</p>'


def test_quotes_in_attributes_stay_quoted() -> None:
    html = '<p title=\'say "hi"\' style="font-family: &quot;A;B&quot;, serif; color: red">x</p>'

    assert compact_html(html) == (
        '<p title=\'say "hi"\' style="font-family:&quot;A;B&quot;,serif;color:red">x</p>'
    )


def test_badly_nested_html_keeps_every_inherited_declaration() -> None:
    html = '<section style="color:red"><p style="color:red"><b>x</p></section>'

    assert 'p style="color:red"' in compact_html(html)


@pytest.mark.parametrize(
    ("size", "expected"),
    [(".75em", "75%"), ("1.25em", "125%"), ("0.9em", "90%"), ("1.125em", "112.5%"),
     ("1em", "1em"), ("2em", "2em"), ("14px", "14px"), ("0em", "0")],
)  # fmt: skip
def test_a_font_size_in_em_is_written_as_the_shorter_percentage(size: str, expected: str) -> None:
    assert compact_declarations(f"font-size: {size}") == {"font-size": expected}
    # Elsewhere % is of something else (the containing block's width): left alone.
    assert "%" not in compact_declarations(f"margin-left: {size}")["margin-left"]


def test_table_groups_without_attributes_go_and_so_do_bare_columns() -> None:
    html = (
        '<table><colgroup><col span="2"><col span="1" style="border: 1px solid red"></colgroup>'
        "<thead><tr><th>a</th></tr></thead><tbody><tr><td>b</td></tr></tbody></table>"
    )

    assert compact_html(html) == (
        '<table><col span="1" style="border:1px solid red"><tr><th>a</th></tr>'
        "<tr><td>b</td></tr></table>"
    )


def test_groups_stay_where_they_carry_something_or_the_table_draws_them() -> None:
    styled = '<table><tbody style="color: red"><tr><td>b</td></tr></tbody></table>'
    ruled = '<table rules="groups"><thead><tr><th>a</th></tr></thead><tbody></tbody></table>'
    spanned = '<table><col span="2" width="40"><tr><td>b</td></tr></table>'

    assert compact_html(styled) == styled.replace("color: red", "color:red")
    assert compact_html(ruled) == ruled
    assert compact_html(spanned) == spanned


def test_left_alignment_a_cell_gets_anyway_is_dropped() -> None:
    html = (
        '<section style="text-align:left"><table><tr>'
        '<th style="text-align:left">h</th><td style="text-align:left">l</td>'
        '<td style="text-align:right">r</td></tr></table></section>'
    )

    assert compact_html(html) == (
        '<section style="text-align:left"><table><tr>'
        # A heading cell is centred by the browser unless told: it keeps its alignment.
        '<th style="text-align:left">h</th><td>l</td>'
        '<td style="text-align:right">r</td></tr></table></section>'
    )


@pytest.mark.parametrize(
    "around",
    [
        'style="text-align:center"',  # the table inherits centre (standards mode)
        'style="text-align:left;direction:rtl"',  # start is right
        'style="text-align:left" dir="rtl"',
        "",  # what is around the article is not known
    ],
)
def test_left_alignment_stays_where_the_cell_would_not_get_it(around: str) -> None:
    html = f'<section {around}><table><tr><td style="text-align:left">l</td></tr></table></section>'

    assert 'td style="text-align:left"' in compact_html(html)


def test_a_span_that_only_colours_or_sets_a_face_is_a_font() -> None:
    html = (
        '<p><span style="color: #666666">a</span><span style="font-family: serif">b</span>'
        '<span style="color:#d14;font-family:serif">c</span>'
        '<span style="color: rgb(1, 2, 3)">d</span>'  # not HTML's legacy colour syntax
        '<span style="color: red; font-weight: bold">e</span>'  # more than a font says
        '<span title="t" style="color:#666">f</span></p>'
    )

    assert compact_html(html) == (
        '<p><font color="#666">a</font><font face="serif">b</font>'
        '<font color="#d14" face="serif">c</font>'
        '<span style="color:rgb(1, 2, 3)">d</span>'
        '<span style="color:red;font-weight:700">e</span>'
        '<span title="t" style="color:#666">f</span></p>'
    )


def test_a_face_with_quotes_stays_one_attribute() -> None:
    html = '<p><span style="font-family: &quot;A B&quot;, serif">a</span></p>'
    hostile = '<p><span style="font-family: x&quot; onclick=&quot;y">a</span></p>'

    assert compact_html(html) == '<p><font face="&quot;A B&quot;,serif">a</font></p>'
    assert compact_html(hostile) == '<p><font face="x&quot; onclick=&quot;y">a</font></p>'


def test_font_size_and_family_become_the_font_shorthand_where_nothing_else_changes() -> None:
    html = (
        '<section style="font-size:16px;line-height:1.75">'
        '<code style="font-family:Menlo,monospace;font-size:.9em">a</code>'
        '<code style="font-family:Menlo,monospace;font-size:13px;line-height:1.6">b</code>'
        '<b><code style="font-family:Menlo,monospace;font-size:.9em">c</code></b>'
        '<span style="font-variant-numeric:tabular-nums">'
        '<code style="font-family:Menlo,monospace;font-size:.9em">d</code></span>'
        "</section>"
        '<code style="font-family:Menlo,monospace;font-size:.9em">e</code>'
    )

    assert compact_html(html) == (
        '<section style="font-size:16px;line-height:1.75">'
        # The inherited line height goes in, so that the shorthand resets nothing.
        '<code style="font:90%/1.75 Menlo,monospace">a</code>'
        '<code style="font:13px/1.6 Menlo,monospace">b</code>'
        # Inside <b> the weight is bolder: the shorthand would make it normal.
        '<b><code style="font-family:Menlo,monospace;font-size:90%">c</code></b>'
        # A font property the shorthand would reset is set around it.
        '<span style="font-variant-numeric:tabular-nums">'
        '<code style="font-family:Menlo,monospace;font-size:90%">d</code></span>'
        "</section>"
        # The page's line height is not known.
        '<code style="font-family:Menlo,monospace;font-size:90%">e</code>'
    )


def _points(data: str) -> list[tuple[float, float]]:
    """Every point named in path data (ends and control points), in absolute pixels."""
    tokens = re.findall(r"[A-Za-z]|-?\d*\.?\d+", data)
    points: list[tuple[float, float]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    previous_control: tuple[float, float] | None = None
    command = ""
    index = 0
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
            if command in "zZ":
                x, y = start
                previous_control = None
                continue
        relative = command.islower()
        upper = command.upper()
        count = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4, "T": 2}[upper]
        values = [float(v) for v in tokens[index : index + count]]
        index += count
        if upper == "H":
            values = [values[0] + (x if relative else 0), y]
        elif upper == "V":
            values = [x, values[0] + (y if relative else 0)]
        elif relative:
            values = [v + (x if i % 2 == 0 else y) for i, v in enumerate(values)]
        if upper == "T":
            px, py = previous_control if previous_control else (x, y)
            control = (2 * x - px, 2 * y - py)
            values = [*control, *values]
            upper = "Q"
        previous_control = (values[0], values[1]) if upper == "Q" else None
        pairs = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
        points.extend(pairs)
        x, y = pairs[-1]
        if upper == "M":
            start = (x, y)
            command = "l" if relative else "L"
    return points


def _rect_corners(svg: str) -> list[tuple[float, float]]:
    corners = []
    for x, y, width, height in re.findall(
        r'<rect x="([^"]*)" y="([^"]*)" width="([^"]*)" height="([^"]*)"', svg
    ):
        left, top = float(x), float(y)
        right, bottom = round(left + float(width), 1), round(top + float(height), 1)
        corners += [(left, top), (right, top), (right, bottom), (left, bottom)]
    return corners


@pytest.mark.parametrize("latex", [r"E = mc^2", r"\frac{a+b}{\sqrt{x^2}} \sum_{i=1}^n i"])
def test_a_compact_formula_draws_the_same_points(latex: str) -> None:
    ziamath.config.svg2 = False
    ziamath.config.precision = 1
    drawn = str(ziamath.Latex(latex, size=18).svg())

    compact = compact_svg(drawn)

    assert len(compact) < len(drawn) / 2
    assert compact.count("<path") <= 2  # the glyphs in one, the bars in another
    original = {
        (round(x, 1), round(y, 1))
        for d in re.findall(r' d="([^"]*)"', drawn)
        for x, y in _points(d)
    } | set(_rect_corners(drawn))
    rebuilt = {
        (round(x / 10, 1), round(y / 10, 1))
        for d in re.findall(r' d="([^"]*)"', compact)
        for x, y in _points(d)
    }
    # Lines to where the pen already is were left out: they add no point.
    assert rebuilt == original
    old_box = re.search(r'viewBox="([^"]*)"', drawn)
    new_box = re.search(r'viewBox="([^"]*)"', compact)
    assert old_box is not None
    assert new_box is not None
    assert [float(v) * 10 for v in old_box.group(1).split()] == [
        float(v) for v in new_box.group(1).split()
    ]


def test_a_compact_formula_is_written_for_html() -> None:
    ziamath.config.svg2 = False
    ziamath.config.precision = 1
    drawn = str(ziamath.Latex(r"\frac{a}{b}", size=18).svg())

    compact = compact_svg(drawn)

    assert compact.startswith('<svg fill="black" width=')  # the one colour, said once
    assert "xmlns" not in compact  # the HTML parser knows <svg>
    assert "fill" not in compact.split(">", 1)[1]


def test_an_svg_with_other_elements_is_left_as_it_is() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><circle r="1"/></svg>'

    assert compact_svg(svg) == svg
