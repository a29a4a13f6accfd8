"""Text a writer means as text stays text in the article HTML and in the preview.

A post may hold HTML on purpose (Markdown lets it), so the text generated here
is what Markdown promises to keep literal: code in a fenced block (any
characters, any info string), and prose with its punctuation backslash-escaped,
in a paragraph, a heading, a link's text, a table cell and an image's alt
text. Rendered, it must come back as text: no element, attribute or comment
made of it. The preview shows the front matter's title and author the same way.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from wechat_material.articles.frontmatter import FrontMatter
from wechat_material.articles.post import Post
from wechat_material.articles.preview import preview_document
from wechat_material.articles.rendering import render

from .hostile import hostile_text, parse, same_markup, squeeze

SETTINGS = settings(max_examples=40, deadline=None)
LINE_BREAKS = re.compile("[\r\n]")
CODE = re.compile(r"(<pre\b[^>]*><code\b[^>]*>)(.*?)(</code></pre>)", re.S)


def md_literal(text: str) -> str:
    """``text`` written so that Markdown keeps every character as it is."""
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def as_markdown_text(text: str) -> str:
    """What Markdown makes of literal text: NUL becomes U+FFFD (CommonMark, 2.3)."""
    return squeeze(text.replace("\x00", "\ufffd"))


ONE_LINE = (
    hostile_text()
    .map(lambda text: LINE_BREAKS.sub(" ", text))
    .filter(lambda text: text.strip() != "")
)


def _code_text(found_html: str) -> tuple[str, int]:
    """The text of the first code block and the number of its line breaks."""
    block = CODE.search(found_html)
    assert block is not None
    inner = block.group(2)
    parsed = parse(inner)
    # colours (a span, or font with only a colour or a face), weight, breaks
    assert {tag for tag, _ in parsed.elements} <= {"span", "font", "b", "i", "br"}
    assert {name for _, names in parsed.elements for name in names} <= {"style", "color", "face"}
    return parsed.text, sum(1 for tag, _ in parsed.elements if tag == "br")


@SETTINGS
@given(code=hostile_text(max_size=20), language=st.sampled_from(["", "python", "html", "js"]))
@example(code="</code></pre><script>alert(1)</script>", language="html")
@example(code="<!-- x -->\n&amp; \x00", language="")
@example(code="\r0", language="")  # a first line left empty is kept
@example(code="\ufeff", language="")  # read as a file's byte-order mark: dropped
def test_a_code_block_shows_its_code_as_text(code: str, language: str) -> None:
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", code)), default=0))
    rendered = render(f"{fence}{language}\n{code}\n{fence}\n")
    plain = render(f"{fence}{language}\nx\n{fence}\n")
    # A code block's markup is its own: only its colours and line breaks come and go.
    outside, plain_outside = (CODE.sub(r"\1\3", page.html) for page in (rendered, plain))
    assert parse(outside).shape == parse(plain_outside).shape
    text, breaks = _code_text(rendered.html)
    # Markdown ends lines at \n, \r\n or \r, and reads NUL as U+FFFD; the highlighter
    # reads the block as a file, so one U+FEFF at its very start is a byte-order mark
    # and goes (it shows nothing either way); the block keeps spaces as no-break spaces
    # (a tab as four) and ends each line with <br>.
    lines = code.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    lines = lines.removeprefix("\ufeff")
    assert text == lines.replace("\n", "").replace("\t", "    ").replace(" ", "\xa0")
    assert breaks == lines.count("\n")


@SETTINGS
@given(text=ONE_LINE, where=st.sampled_from(["paragraph", "heading", "link", "cell", "quote"]))
@example(text="<script>alert(1)</script>", where="paragraph")
@example(text="</section><img src=x onerror=alert(1)>", where="cell")
@example(text="javascript:alert(1)", where="link")
def test_escaped_prose_comes_back_as_text(text: str, where: str) -> None:
    templates = {
        "paragraph": "{}\n",
        "heading": "## {}\n",
        "link": "[{}](https://example.com/a)\n",
        "cell": "| a |\n| --- |\n| {} |\n",
        "quote": "> {}\n",
    }
    rendered = render(templates[where].format(md_literal(text)))
    plain = render(templates[where].format("x"))
    found = same_markup(rendered.html, plain.html)
    assert as_markdown_text(text) in squeeze(found.text)


@SETTINGS
@given(alt=ONE_LINE)
@example(alt='" onerror="alert(1)')
def test_an_image_alt_stays_inside_its_attribute(alt: str) -> None:
    rendered = render(f"![{md_literal(alt)}](pic.png)\n")
    found = same_markup(rendered.html, render("![x](pic.png)\n").html)
    assert as_markdown_text(alt) in [squeeze(value) for value in found.attributes]


def _post(title: str, author: str | None, markdown: str = "正文\n") -> Post:
    meta = FrontMatter(title=title, author=author)
    return Post(Path("post.md"), markdown, meta, render(markdown), ())


@SETTINGS
@given(title=hostile_text(), author=hostile_text(max_size=4))
@example(title="</title><script>alert(1)</script>", author='<img src=x onerror="x">')
def test_the_preview_shows_title_and_author_as_text(title: str, author: str) -> None:
    page = preview_document(_post(title, author), {})
    found = same_markup(page, preview_document(_post("t", "a"), {}))
    assert found.text.count(title) >= 2  # the page's title and the heading
    assert author in found.text
