"""What a reader sees of each theme, measured in a real browser on the HTML as it is sent.

The compaction moves declarations around (a table's grid onto its rows and
columns, a code block's box onto its ``<pre>``, a span's colour into
``<font color>``), so these tests do not look at the markup: chromium draws
the article at phone width inside WeChat's article stylesheet, and the tests
read computed styles (``getComputedStyle``) and the colours of the pixels
drawn, the way a reader would see them.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.articles.phone import phone_page
from tests.console.conftest import browser  # noqa: F401 (the console tests' chromium)

from wechat_material.articles import rendering, themes
from wechat_material.articles.preview import PHONE_WIDTH

pytestmark = pytest.mark.slow

FIGURE = Path(__file__).parents[2] / "docs" / "examples" / "figure.png"
POST = """\
开头一段，有 `行内代码`，和公式 $c$。

## 小标题

```python
def greet(name):
    return name
```

| 名称 | 数量 | 说明 |
|---|--:|---|
| 甲 | 1 | 第一行 |
| 乙 | 22 | 第二行 |

- 第一项
  - 第二层

![图](figure.png)

图后的一段。
"""

Colour = tuple[int, int, int]


def _hex(colour: str) -> Colour:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(2 * digit for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _rgb(colour: str) -> str:
    red, green, blue = _hex(colour)
    return f"rgb({red}, {green}, {blue})"


# Per theme: the heading (size, colour, fill), text colour, inline code (colour, fill),
# code block (fill, plain text colour), table (heading cell fill, the lines: the frame,
# under the heading row, between body rows, between body cells; None: no line).
THEMES: dict[str, dict[str, Any]] = {
    "default": {
        "h2": ("20px", "#fff", "#07c160", "table"),
        "text": "#3f3f3f",
        "code": ("#d14", "#f6f6f6"),
        "block": ("#f0f0f0", "#333"),
        "keyword": ("#007020", "700"),
        "th_fill": "#f0f9f4",
        "lines": {"top": "#dfe2e5", "head": "#dfe2e5", "rows": "#dfe2e5", "cells": "#dfe2e5"},
        "accent": "#07c160",
    },
    "ink": {
        "h2": ("20.8px", "#111", None, "block"),
        "text": "#222",
        "code": ("#222", "#eee"),
        "block": ("#fff", "#333"),
        "keyword": ("#333", "700"),
        "th_fill": None,
        "lines": {"top": "#222", "head": "#222", "rows": "#ddd", "cells": None},
        "accent": "#222",
    },
    "ocean": {
        "h2": ("20px", "#1e6bb8", None, "block"),
        "text": "#2c3e50",
        "code": ("#1e6bb8", "#eef5fb"),
        "block": ("#272822", "#f8f8f2"),
        "keyword": ("#66d9ef", "400"),
        "th_fill": "#1e6bb8",
        "lines": {"top": "#1e6bb8", "head": "#1e6bb8", "rows": "#c9dcee", "cells": "#c9dcee"},
        "accent": "#1e6bb8",
    },
}

MEASURE = """() => {
  const style = (element) => getComputedStyle(element);
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY};
  };
  const h2 = document.querySelector("h2");
  const paragraph = document.querySelector("p");
  const code = paragraph.querySelector("code");
  const lines = [...document.querySelectorAll("code")].find((c) => c !== code);
  const keyword = [...lines.querySelectorAll("*")].find((e) => e.textContent.trim() === "def");
  const cells = [...document.querySelectorAll("tr")].map((row) => [...row.cells].map(box));
  const th = document.querySelector("th");
  const right = document.querySelectorAll("td")[1];
  const marker = [...document.querySelectorAll("section span, section font")].find(
    (e) => e.textContent === "•");
  const item = marker.parentElement;
  const text = document.createRange();
  text.selectNodeContents([...item.childNodes].find((n) => n.nodeType === Node.TEXT_NODE));
  const image = document.querySelector("img");
  const after = [...document.querySelectorAll("p")].pop();
  const variable = [...document.querySelectorAll("i")].find((i) => i.textContent === "c");
  return {
    h2: [style(h2).fontSize, style(h2).color, style(h2).backgroundColor, style(h2).display,
         style(h2).marginTop, style(h2).marginBottom],
    text: [style(paragraph).color, style(paragraph).fontSize, style(paragraph).lineHeight,
           style(paragraph).marginBottom],
    code: [style(code).color, style(code).backgroundColor, style(code).fontFamily,
           style(code).fontSize, style(code).lineHeight, style(code).fontWeight],
    lines: [style(lines).color, style(lines).fontFamily, style(lines).fontSize,
            style(lines).lineHeight, style(lines).whiteSpace],
    linesBox: box(lines),
    keyword: [style(keyword).color, style(keyword).fontWeight],
    cells: cells,
    th: [style(th).fontWeight, style(th).paddingTop, style(th).paddingLeft],
    right: style(right).textAlign,
    marker: [style(marker).color, box(marker).left - box(item.parentElement).left,
             text.getBoundingClientRect().left - box(item.parentElement).left,
             style(item).fontSize],
    gapAfterImage: box(after).top - box(image).bottom,
    image: box(image),
    variable: [style(variable).fontStyle, style(variable).fontFamily],
  };
}"""


@pytest.fixture(scope="module")
def drawn(browser: Any) -> dict[str, tuple[dict[str, Any], Image.Image]]:  # noqa: F811
    figure = "data:image/png;base64," + base64.b64encode(FIGURE.read_bytes()).decode()
    pages: dict[str, tuple[dict[str, Any], Image.Image]] = {}
    for theme in sorted(themes.THEMES):
        html = rendering.render(POST, theme=theme).with_image_urls({"figure.png": figure})
        with phone_page(browser, html) as page:
            measured = page.evaluate(MEASURE)
            picture = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
        pages[theme] = (measured, picture)
    return pages


def _near(picture: Image.Image, x: float, y: float, colour: str) -> bool:
    """Whether ``colour`` is drawn within a pixel of (x, y)."""
    wanted = _hex(colour)
    return any(
        picture.getpixel((round(x) + dx, round(y) + dy)) == wanted
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
    )


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_headings_text_and_inline_code(drawn: Any, theme: str) -> None:
    measured, _ = drawn[theme]
    expected = THEMES[theme]
    size, colour, fill, display = expected["h2"]

    assert measured["h2"][:4] == [
        size,
        _rgb(colour),
        _rgb(fill) if fill else "rgba(0, 0, 0, 0)",
        display,
    ]
    assert measured["text"] == [_rgb(expected["text"]), "16px", "28px", "16px"]
    code_colour, code_fill = expected["code"]
    # 90 % of the text's size, the text's line height (1.75), in the theme's colours.
    assert measured["code"] == [
        _rgb(code_colour),
        _rgb(code_fill),
        "Menlo, Consolas, monospace",
        "14.4px",
        "25.2px",
        "400",
    ]
    assert measured["variable"] == ["italic", "serif"]


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_code_blocks(drawn: Any, theme: str) -> None:
    measured, picture = drawn[theme]
    fill, text = THEMES[theme]["block"]
    keyword, weight = THEMES[theme]["keyword"]

    assert measured["lines"] == [
        _rgb(text),
        "Menlo, Consolas, monospace",
        "13px",
        "20.8px",
        "nowrap",
    ]
    assert measured["keyword"] == [_rgb(keyword), weight]
    lines = measured["linesBox"]
    # The block's fill around the lines: in its padding, left of and above the code.
    assert picture.getpixel((round(lines["left"]) - 4, round(lines["top"]) - 4)) == _hex(fill)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_table_grid_and_cells(drawn: Any, theme: str) -> None:
    measured, picture = drawn[theme]
    expected = THEMES[theme]
    head, first, second = measured["cells"]
    lines = expected["lines"]

    assert measured["th"] == ["700", "5.6px", "11.2px"]
    assert measured["right"] == "right"
    middle = (head[0]["left"] + head[0]["right"]) / 2
    if expected["th_fill"]:
        centre = (head[0]["top"] + head[0]["bottom"]) / 2
        assert picture.getpixel((round(head[0]["left"]) + 3, round(centre))) == _hex(
            expected["th_fill"]
        )
    assert _near(picture, middle, head[0]["top"], lines["top"])
    assert _near(picture, middle, first[0]["top"], lines["head"])
    assert _near(picture, middle, second[0]["top"], lines["rows"])
    assert _near(picture, middle, second[0]["bottom"], lines["rows"])
    row_middle = (second[0]["top"] + second[0]["bottom"]) / 2
    if lines["cells"]:
        assert _near(picture, second[0]["right"], row_middle, lines["cells"])
        assert _near(picture, second[0]["left"], row_middle, lines["cells"])
        assert _near(picture, second[-1]["right"], row_middle, lines["cells"])
    else:
        assert not _near(picture, second[0]["right"], row_middle, expected["lines"]["rows"])


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_list_markers_hang_and_an_image_keeps_its_paragraphs_spacing(
    drawn: Any, theme: str
) -> None:
    measured, _ = drawn[theme]

    colour, marker_left, text_left, size = measured["marker"]
    assert colour == _rgb(THEMES[theme]["accent"])
    assert marker_left == 0  # hung into the room left of the text
    assert text_left == pytest.approx(1.4 * 16, abs=0.1)
    assert size == "16px"
    assert measured["gapAfterImage"] == pytest.approx(16, abs=0.5)
    image = measured["image"]
    assert image["right"] - image["left"] > 10
    # Centred in the column (16 px of padding either side of the phone's width).
    assert image["left"] - 16 == pytest.approx(PHONE_WIDTH - 16 - image["right"], abs=1)
