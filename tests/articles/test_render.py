"""Rendering the sample posts: the HTML has the structure WeChat keeps."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("markdown_it")

from wechat_material.articles import PostError, formula, rendering
from wechat_material.articles.themes import THEMES, dropped_declarations

POSTS = Path(__file__).parent / "posts"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def full() -> rendering.Rendered:
    return rendering.render((POSTS / "full.md").read_text("utf-8"))


def test_no_style_element_class_or_id(full: rendering.Rendered) -> None:
    elements = Elements(full.html)

    assert "<style" not in full.html
    assert all("class" not in attrs and "id" not in attrs for _, attrs in elements.tags)
    assert not elements.named("input")  # task-list checkboxes become ☑ / ☐
    assert "☑" in full.html
    assert "☐" in full.html


def test_every_theme_rule_is_inlined_with_a_root_text_colour(full: rendering.Rendered) -> None:
    elements = Elements(full.html)
    root_tag, root = elements.tags[0]

    assert root_tag == "section"
    assert "color:#3f3f3f" in str(root["style"])
    assert all(attrs.get("style") for tag, attrs in elements.tags if tag in {"h1", "h2", "p"})


def test_code_keeps_indentation_and_line_breaks_and_scrolls(full: rendering.Rendered) -> None:
    codes = re.findall(r"<code style=\"display:block[^>]*>(.*?)</code>", full.html)
    python = next(c for c in codes if "greet" in c)
    go = next(c for c in codes if "Println" in c)

    assert "\n" not in python
    assert python.count("<br>") == 3
    tokens = re.compile(r"</?(?:span|b|i)\b[^>]*>")  # coloured, bold and italic tokens
    # Spaces as the no-break space character (U+00A0), one character instead of "&nbsp;".
    assert "<br>\u00a0\u00a0\u00a0\u00a0if" in tokens.sub("", python)
    assert "<br>\u00a0\u00a0\u00a0\u00a0fmt" in tokens.sub("", go)
    assert "plain\u00a0\u00a0\u00a0text" in full.html
    assert "&nbsp;" not in full.html
    assert "white-space:nowrap" in full.html
    assert "color:#" in python  # highlighted
    assert "overflow-x:auto" in full.html


def test_nested_lists_are_flat_blocks_with_their_own_markers(full: rendering.Rendered) -> None:
    elements = Elements(full.html)

    assert not elements.named("ul")
    assert not elements.named("ol")
    assert not elements.named("li")
    # Each depth is indented 1.5em more, past the 1.4em the marker hangs into (the left
    # margin, after the item's own .2em above and below).
    indents = re.findall(r"margin:\.2em 0 \.2em ([\d.]+)em", full.html)
    assert {"1.4", "2.9", "4.4"} <= set(indents)
    for marker in ("•", "◦", "▪", "1.", "2.", "3."):
        assert f">{marker}</span>" in full.html
    # The third level is a sibling block, not inside the second.
    third = full.html.index("第三层 A")
    block_start = full.html.rindex("<section", 0, third)
    assert "margin:.2em 0 .2em 4.4em" in full.html[block_start:third]


def test_tables_scroll_sideways(full: rendering.Rendered) -> None:
    table = full.html.index("<table")
    container = full.html.rindex("<section", 0, table)

    assert "overflow-x:auto" in full.html[container:table]


def test_links_become_numbered_references_except_wechat_ones(full: rendering.Rendered) -> None:
    elements = Elements(full.html)
    hrefs = [attrs["href"] for attrs in elements.named("a")]

    assert hrefs == ["https://mp.weixin.qq.com/s/AbCdEf"]
    assert full.references == (
        "https://www.python.org/",
        "https://example.org/page",
        "https://example.com/fn",
    )
    assert full.html.count(">[1]</sup>") == 2  # the same URL keeps its number
    assert "参考链接" in full.html
    assert "[3] https://example.com/fn" in full.html
    assert "本地文件" in full.html
    assert "notes.md" not in full.html


def test_footnotes_without_anchors(full: rendering.Rendered) -> None:
    assert "注释" in full.html
    assert "脚注的内容。" in full.html
    assert "#fn" not in full.html
    assert "↩" not in full.html


def test_simple_math_is_text_and_the_rest_svg(full: rendering.Rendered) -> None:
    # $E = mc^2$ reads the same as text; the block formula (a sum) is drawn.
    assert "<i>E</i>\u00a0=\u00a0<i>mc</i><sup" in full.html
    assert full.html.count("<svg") == 1
    assert "<use" not in full.html
    assert "<symbol" not in full.html


def test_math_that_cannot_be_drawn_is_shown_as_code(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(latex: str, *, inline: bool) -> str:
        raise ValueError(latex)

    monkeypatch.setattr(formula, "_svg", refuse)
    rendered = rendering.render("$\\sqrt{a} < b$ and\n\n$$\n\\frac{1}{2}\n$$")

    assert "<code" in rendered.html
    assert "\\sqrt{a} &lt; b" in rendered.html
    assert "<pre" in rendered.html
    assert "\\frac{1}{2}" in rendered.html
    assert "<svg" not in rendered.html
    assert len(rendered.warnings) == 2
    assert "shown as code" in rendered.warnings[0]


def test_text_and_emoji_survive(full: rendering.Rendered) -> None:
    text = "".join(Elements(full.html).text)

    assert "中文、English 与 emoji 🎉🚀 混排" in text
    assert full.first_paragraph.startswith("这是第一段：中文、English 与 emoji 🎉🚀")


def test_images_in_order_each_once(full: rendering.Rendered) -> None:
    assert full.images == ("media/image.png", "media/image.jpg")
    swapped = full.with_image_urls({"media/image.png": "https://mmbiz.qpic.cn/a?x=1&y=2"})

    assert 'src="https://mmbiz.qpic.cn/a?x=1&amp;y=2"' in swapped
    assert 'src="media/image.jpg"' in swapped


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_theme_renders_and_warns_about_nothing(name: str) -> None:
    rendered = rendering.render((POSTS / "full.md").read_text("utf-8"), theme=name)

    assert rendered.warnings == ()
    assert dropped_declarations(THEMES[name].css()) == []
    assert "<style" not in rendered.html


def test_extra_css_is_applied_and_dropped_declarations_reported() -> None:
    css = "h1 { color: red; position: fixed; } p:hover { color: blue; } @media (x) {}"
    rendered = rendering.render("# T\n\ntext", css=css)

    assert "color:red" in rendered.html
    kinds = " ".join(rendered.warnings)
    assert "position" in kinds
    assert "pseudo" in kinds
    assert "@-rules" in kinds


def test_unknown_theme_names_the_choices() -> None:
    with pytest.raises(PostError, match="default, ink, ocean"):
        rendering.render("x", theme="neon")


def test_a_table_has_a_column_per_cell_of_its_first_row_and_the_grid_on_rows() -> None:
    rendered = rendering.render("| a | b | c |\n|---|:-:|---|\n| 1 | 2 | 3 |\n| 4 | 5 | 6 |\n")

    elements = Elements(rendered.html)
    # The columns draw the frame and the vertical lines, each body row the line above it.
    assert [attrs.get("span") for attrs in elements.named("col")] == ["3"]
    assert "border:1px solid" in str(elements.named("col")[0]["style"])
    rows = [str(attrs.get("style")) for attrs in elements.named("tr")]
    assert rows[0] == "background:#f0f9f4"
    assert rows[1:] == ["border-top:1px solid #dfe2e5"] * 2
    assert not elements.named("thead")  # the parser makes the groups itself
    assert not elements.named("tbody")
    assert all("border" not in str(attrs.get("style")) for attrs in elements.named("td"))


def test_a_paragraph_of_one_image_is_the_image_with_the_paragraphs_margin() -> None:
    rendered = rendering.render(
        "![a](a.png)\n\n文字 ![b](b.png)\n\n> ![c](c.png)\n\n- ![d](d.png)\n"
    )

    elements = Elements(rendered.html)
    styles = {attrs["alt"]: attrs.get("style") for attrs in elements.named("img")}
    # Alone in its paragraph (in a quote too): no <p>, the paragraph's bottom margin.
    assert styles["a"] == styles["c"] == "display:block;margin:.5em auto 1em"
    assert styles["b"] == styles["d"] == "display:block;margin:.5em auto"
    assert rendered.html.count("<p") == 1  # the paragraph with text
    assert rendered.images == ("a.png", "b.png", "c.png", "d.png")


def test_a_formula_of_one_variable_is_one_italic_element() -> None:
    rendered = rendering.render("其中 $c$ 与 $t_i$。\n")

    assert '<i style="font-family:serif">c</i>' in rendered.html
    assert "<span" not in rendered.html
