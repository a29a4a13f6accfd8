"""Tables at 60, 80 and 120 columns: ids and URLs whole on one line, no empty header row,
times with their zone."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from wechat_material import WeChatClient
from wechat_material.cli.output import show_utc, show_wide, table
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json

WIDTHS = (60, 80, 120)
# A header row whose cells are all blank: "┃   ┃   ┃" (or an empty line of a headed box).
EMPTY_HEADER = re.compile(r"^\s*┃(\s*┃)+\s*$")


def _render(view: Any, width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    console.print(view, crop=False)  # as wxm prints its results
    return buffer.getvalue()


def _whole_on_a_line(text: str, value: str) -> bool:
    return any(value in line for line in text.splitlines())


@pytest.fixture
def library(sandbox: Any) -> dict[str, Any]:
    """Two images (one with a long name), a video and its URL, all from the sandbox."""
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        short = client.material.add_material("image", MEDIA / "image.jpg")
        named = client.material.add_material(
            "image", MEDIA / "image.png", "a-photo-with-a-rather-long-name-from-the-archive.png"
        )
        video = client.material.add_material(
            "video", MEDIA / "video.mp4", title="Launch", introduction="The launch video"
        )
    return {"ids": [short.media_id, named.media_id, video.media_id]}


@pytest.mark.parametrize("width", WIDTHS)
def test_ls_keeps_every_id_and_url_whole(
    on_sandbox: Run, library: dict[str, Any], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    listing = run_json(on_sandbox("ls", "--json"))
    shown = on_sandbox("ls")

    assert shown.exit_code == 0, shown.output
    ids = [item["media_id"] for item in listing["items"]]
    assert sorted(ids) == sorted(library["ids"])
    for media_id in ids:
        assert _whole_on_a_line(shown.stdout, media_id), (width, media_id, shown.stdout)
    urls = [item["url"] for item in listing["items"] if item["url"]]
    assert urls
    for url in urls:
        # A URL is shown whole, or its column is left out and the line below says so.
        assert _whole_on_a_line(shown.stdout, url) or "left out" in shown.stdout
    assert not any(EMPTY_HEADER.match(line) for line in shown.stdout.splitlines())


@pytest.mark.parametrize("width", [60, 80])
def test_a_narrow_terminal_leaves_columns_out_and_says_how_to_see_them(
    on_sandbox: Run, library: dict[str, Any], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    shown = on_sandbox("ls")
    wide = on_sandbox("ls", "--wide")

    if "(left out" in shown.stdout:
        assert "url" in shown.stdout.split("(left out", 1)[1]
        assert "--wide" in shown.stdout
        assert "--json" in shown.stdout
    else:  # too narrow for even the id and the name: one line per field, none cut
        assert width == 60
        assert "url: http" in shown.stdout
    for media_id in library["ids"]:
        assert _whole_on_a_line(shown.stdout, media_id)
    # --wide: every column, the URLs whole, the terminal left to wrap the lines.
    assert "left out" not in wide.stdout
    for line in run_json(on_sandbox("ls", "--json"))["items"]:
        if line["url"]:
            assert _whole_on_a_line(wide.stdout, line["url"])


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_of_any_shape_keep_ids_and_urls_whole(width: int) -> None:
    long_id = "x" * 64
    url = "https://mmbiz.qpic.cn/mmbiz_jpg/" + "a" * 70 + "/0?wx_fmt=jpeg"
    shapes = [
        table(None, ("type", "media id", "name", "url"), [("image", long_id, "n", url)]),
        table("publish", ("", ""), [("publish id", "2247483648"), ("article 1", url)]),
        table(None, ("draft id", "titles", "url"), [(long_id, "A title " * 12, url)]),
    ]  # fmt: skip
    try:
        show_wide(False)
        for view in shapes:
            text = _render(view, width)

            assert _whole_on_a_line(text, long_id) or "2247483648" in text
            assert _whole_on_a_line(text, url) or "left out" in text
            assert not any(EMPTY_HEADER.match(line) for line in text.splitlines())
    finally:
        show_wide(False)


def test_a_table_without_column_names_has_no_header_row() -> None:
    text = _render(table(None, ("", ""), [("status", "published")]), 80)

    assert "┃" not in text  # the header row's border
    assert "status" in text


def test_times_carry_their_zone() -> None:
    when = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)
    try:
        show_utc(True)
        utc = _render(table(None, ("name", "updated"), [("a", when)]), 80)
    finally:
        show_utc(False)
    local = _render(table(None, ("name", "updated"), [("a", when)]), 80)

    assert "2026-12-08 00:30:00 (UTC)" in utc
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC([+-]\d+(:\d\d)?)?\)", local)


def test_ls_shows_times_in_utc_when_asked(wxm: Run, sandbox: Any, library: dict[str, Any]) -> None:
    shown = wxm("--utc", "--sandbox", "--base-url", sandbox.base_url, "--wide", "ls")

    assert shown.exit_code == 0, shown.output
    assert "(UTC)" in shown.stdout
