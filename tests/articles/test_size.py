"""The content's size: compact HTML, the size line, the warning and the refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wechat_material.articles import PostError, load_post, render, size_report
from wechat_material.articles.size import MAX_CHARACTERS, Block
from wechat_material.cli import app

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
# Characters of each example post in each theme as rendered before the styles were
# compacted (commit f7252d3; bench/bench_render.py measures both side by side).
BEFORE: dict[str, dict[str, int]] = {
    "sample": {"default": 7106, "ink": 7141, "ocean": 7045},
    "tutorial": {"default": 27778, "ink": 25114, "ocean": 29994},
    "notes": {"default": 15403, "ink": 15608, "ocean": 15448},
}
# The goal: at most half (docs/publishing.en.md has the figures of the nine).
AT_MOST = 0.50


@pytest.mark.parametrize("theme", ["default", "ink", "ocean"])
@pytest.mark.parametrize("name", sorted(BEFORE))
def test_every_example_post_takes_far_fewer_characters_than_before(name: str, theme: str) -> None:
    html = render((EXAMPLES / f"{name}.md").read_text("utf-8"), theme=theme).html

    assert len(html) <= BEFORE[name][theme] * AT_MOST


def test_the_examples_are_the_ones_measured() -> None:
    assert {path.stem for path in EXAMPLES.glob("*.md")} == set(BEFORE)


def test_blocks_are_measured_with_the_line_they_start_on() -> None:
    rendered = render((EXAMPLES / "tutorial.md").read_text("utf-8"))

    kinds = {(block.kind, block.line) for block in rendered.blocks}
    assert ("table", 16) in kinds
    assert ("formula", 25) in kinds  # the $$ block
    assert ("formula", 29) in kinds  # $c$ in the paragraph on line 29
    assert ("code block", 35) in kinds
    code = next(b for b in rendered.blocks if b.line == 35)
    # The block is its scrolling <pre>, from <pre to </pre>, as sent.
    end = rendered.html.index("</pre>", rendered.html.index("dataclass")) + len("</pre>")
    start = rendered.html.rindex("<pre", 0, rendered.html.index("dataclass"))
    assert code.characters == end - start
    assert "data-wxm-block" not in rendered.html


def test_the_size_line_and_share() -> None:
    report = size_report("x" * 6180)

    assert report.line() == "content: 6,180 of 20,000 characters"
    assert report.fits
    assert not report.near_limit
    assert report.warning() is None
    assert report.problem() is None


def test_above_80_percent_is_a_warning_naming_the_biggest_blocks() -> None:
    blocks = [Block("code block", 12, 9000), Block("table", 40, 300), Block("formula", 7, 5000)]
    report = size_report("x" * 16_500, blocks)

    warning = report.warning()
    assert report.near_limit
    assert warning is not None
    assert warning.startswith("content: 16,500 of 20,000 characters (82% of WeChat's limit)")
    assert "the code block at line 12 (9,000 characters), the formula at line 7" in warning


def test_over_the_limit_names_the_three_biggest_blocks_and_what_to_do() -> None:
    blocks = [
        Block("table", 3, 100),
        Block("code block", 10, 12_000),
        Block("formula", None, 4_000),
        Block("code block", 50, 2_000),
    ]
    report = size_report("x" * (MAX_CHARACTERS + 1), blocks)

    problem = report.problem()
    assert not report.fits
    assert problem == (
        "the content is 20,000 characters, over WeChat's limit of 20,000 (HTML with its "
        "inline styles); the biggest parts are the code block at line 10 (12,000 "
        "characters), the formula (4,000 characters), the code block at line 50 (2,000 "
        "characters). Split the post in two, shorten those blocks, or show a long one as "
        "an image"
    )


def test_bytes_over_a_megabyte_are_refused_too() -> None:
    report = size_report("长" * 350_000)  # 1,050,000 bytes in UTF-8

    assert report.characters > MAX_CHARACTERS
    assert report.bytes > 1024 * 1024
    assert not report.fits


def _long_post(tmp_path: Path, lines: int) -> Path:
    code = "\n".join(f"value_{i} = compute({i}, 'text')  # step {i}" for i in range(lines))
    post = tmp_path / "long.md"
    post.write_text(
        "---\ntitle: 很长的文章\ncover: https://mmbiz.qpic.cn/cover.png\n---\n"
        "开头一段。\n\n$E = mc^2$\n\n```python\n" + code + "\n```\n",
        "utf-8",
    )
    return post


def test_a_post_over_the_limit_is_refused_naming_its_biggest_block(tmp_path: Path) -> None:
    post = _long_post(tmp_path, 400)

    with pytest.raises(PostError) as raised:
        load_post(post)

    message = str(raised.value)
    assert message.startswith("long.md: the content is ")
    assert "over WeChat's limit of 20,000" in message
    assert "the biggest parts are the code block at line 9 (" in message
    assert "the formula at line 7 (" in message
    assert "Split the post in two" in message
    assert raised.value.field == "content"


@pytest.fixture
def wxm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WXM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WXM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["--sandbox", *args])

    return run


def test_publish_prints_the_size_line(wxm: Any, tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: 小文章\n---\n只有一段文字。\n", "utf-8")

    result = wxm("publish", str(post), "--preview-out", str(tmp_path / "out.html"))

    assert result.exit_code == 0, result.output
    characters = len(load_post(post).rendered.html)
    assert f"content: {characters:,} of 20,000 characters" in result.stderr


def test_publish_warns_above_80_percent(wxm: Any, tmp_path: Path) -> None:
    post = _long_post(tmp_path, 105)
    share = load_post(post).size.share
    assert 0.8 < share <= 1, "the post is meant to be between 80 % and the limit"

    result = wxm("publish", str(post), "--preview-out", str(tmp_path / "out.html"))

    assert result.exit_code == 0, result.output
    assert "warning: content: " in result.stderr
    assert "of WeChat's limit); the biggest parts are the code block at line 9" in result.stderr


def test_publish_refuses_a_post_over_the_limit(wxm: Any, tmp_path: Path) -> None:
    post = _long_post(tmp_path, 400)

    result = wxm("publish", str(post), "--dry-run")

    assert result.exit_code != 0
    assert "over WeChat's limit of 20,000" in result.stderr
    assert "the code block at line 9" in result.stderr
    assert "<" not in result.stderr
