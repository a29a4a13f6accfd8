"""Formulas that text can say are written as text; the rest are drawn."""

from __future__ import annotations

import pytest

from wechat_material.articles import formula, rendering
from wechat_material.articles.formula import as_text

NB = "\u00a0"


@pytest.mark.parametrize(
    ("latex", "html"),
    [
        ("E = mc^2", f"<i>E</i>{NB}={NB}<i>mc</i><sup>2</sup>"),
        ("t_i", "<i>t</i><sub><i>i</i></sub>"),
        ("P(H)", "<i>P</i>(<i>H</i>)"),
        ("P(H \\mid E)", f"<i>P</i>(<i>H</i>{NB}|{NB}<i>E</i>)"),
        ("x^{2n} \\le -1", f"<i>x</i><sup>2<i>n</i></sup>{NB}≤{NB}−1"),
        ("a - b", f"<i>a</i>{NB}−{NB}<i>b</i>"),  # binary: spaced, a real minus sign
        ("(-a)", "(−<i>a</i>)"),  # unary: not spaced
        ("x^10", "<i>x</i><sup>1</sup>0"),  # as TeX reads it
        ("\\alpha \\cdot \\Omega", f"<i>α</i>{NB}·{NB}Ω"),  # Greek capitals are upright
        ("f'(x) < 2\\%", f"<i>f</i>′(<i>x</i>){NB}&lt;{NB}2%"),
    ],
)
def test_simple_formulas_are_text(latex: str, html: str) -> None:
    assert as_text(latex) == html


@pytest.mark.parametrize(
    "latex",
    [
        "\\frac{a}{b}",
        "\\sum_{i=1}^{n} t_i",
        "\\sqrt{2}",
        "x_i^2",  # TeX stacks the two scripts; text cannot
        "a^b^c",  # a TeX error
        "x_{a_b}",  # a script of a script
        "{a}",
        "x^",
        "x^{a",
        "\\hat{x}",
        "\\text{km}",
        "",
    ],
)
def test_anything_else_is_left_to_drawing(latex: str) -> None:
    assert as_text(latex) is None


def test_a_text_formula_is_not_drawn_and_is_set_in_serif(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[str] = []

    def draw(latex: str, *, inline: bool) -> str:
        drawn.append(latex)
        return "<svg></svg>"

    monkeypatch.setattr(formula, "_svg", draw)
    rendered = rendering.render("其中 $t_i$ 是时间。\n\n$$\n\\frac{1}{2}\n$$\n\n$$\nE = mc^2\n$$\n")

    assert drawn == ["\\frac{1}{2}"]
    # In a serif face, as math is set; a script keeps the line's height, as a footnote's.
    serif = '<font face="serif">'  # a span that only sets the face, in fewer characters
    script = '<sub style="line-height:0;font-size:75%">'
    assert f"其中 {serif}<i>t</i>{script}<i>i</i></sub></font> 是" in rendered.html
    block = rendered.html.split("<i>E</i>")[0].rsplit("<section", 1)[1]
    assert "text-align:center" in block
    assert "font-family:serif" in block
    blocks = [(block.kind, block.line) for block in rendered.blocks]
    assert blocks == [("formula", 1), ("formula", 3), ("formula", 7)]
