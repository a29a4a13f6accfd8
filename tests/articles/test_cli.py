"""``wxm publish`` end to end against the sandbox."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from wechat_material import extras

UPLOADIMG = "/cgi-bin/media/uploadimg"
ADD_MATERIAL = "/cgi-bin/material/add_material"


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_publish_twice_updates_one_draft_and_uploads_once(
    wxm: Any, sandbox: Any, posts: Path
) -> None:
    post = str(posts / "full.md")

    first = ok_json(wxm("publish", post, "--json"))
    first_counts = sandbox.admin.counters()
    sandbox.admin.reset_counters()
    second = ok_json(wxm("publish", post, "--json"))
    second_counts = sandbox.admin.counters()

    assert first["created"] is True
    assert first["uploads"] == {"images": 2, "reused": 0, "covers": 1}
    assert (first_counts[UPLOADIMG], first_counts[ADD_MATERIAL]) == (2, 1)
    assert second["draft_id"] == first["draft_id"]
    assert second["created"] is False
    assert second["uploads"] == {"images": 0, "reused": 2, "covers": 0}
    assert UPLOADIMG not in second_counts
    assert ADD_MATERIAL not in second_counts
    assert f"media_id: {first['draft_id']}" in (posts / "full.md").read_text("utf-8")


def test_publish_after_the_draft_was_deleted(wxm: Any, posts: Path) -> None:
    post = str(posts / "full.md")
    first = ok_json(wxm("publish", post, "--json"))
    assert wxm("draft", "rm", first["draft_id"], "--yes").exit_code == 0

    result = wxm("publish", post, "--json")
    second = ok_json(result)

    assert second["created"] is True
    assert second["draft_id"] != first["draft_id"]
    assert "was published or deleted: making a new draft" in result.stderr


def test_submit_and_wait(wxm: Any, posts: Path) -> None:
    result = wxm("publish", str(posts / "full.md"), "--submit", "--wait", "--json")
    data = ok_json(result)

    assert data["status"] == "success"
    assert data["article_id"]
    assert data["article_urls"][0].startswith("http")


def test_dry_run_sends_nothing_and_touches_nothing(wxm: Any, sandbox: Any, posts: Path) -> None:
    post = posts / "full.md"
    before = post.read_bytes()

    result = wxm("publish", str(post), "--dry-run", "--json")
    data = ok_json(result)

    assert data["dry_run"] is True
    assert data["title"] == "春天来了 🌸 一篇完整的样例"
    assert data["images"] == ["media/image.png", "media/image.jpg"]
    assert data["cover"] == "media/image.jpg"
    assert "nothing was sent" in result.stderr
    assert sandbox.admin.counters() == {}
    assert post.read_bytes() == before


def test_no_write_back_keeps_the_post_and_still_reuses_the_draft(wxm: Any, posts: Path) -> None:
    post = posts / "full.md"
    before = post.read_bytes()

    first = ok_json(wxm("publish", str(post), "--no-write-back", "--json"))
    second = ok_json(wxm("publish", str(post), "--no-write-back", "--json"))

    assert post.read_bytes() == before
    assert second["draft_id"] == first["draft_id"]


def test_what_wechat_removed_is_shown(wxm: Any, posts: Path) -> None:
    post = posts / "full.md"
    post.write_text(post.read_text("utf-8") + "\n<script>track()</script>\n", "utf-8")

    result = wxm("publish", str(post), "--json")

    assert ok_json(result)["changes"] == ["1 <script> element removed"]
    assert "WeChat changed the article: 1 <script> element removed" in result.stderr


def test_preview_is_one_phone_width_file_with_images_inside(
    wxm: Any, sandbox: Any, posts: Path, tmp_path: Path
) -> None:
    out = tmp_path / "preview.html"

    result = wxm("publish", str(posts / "full.md"), "--theme", "ocean", "--preview-out", str(out))

    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert str(out) in result.stdout
    assert "width:375px" in html
    assert html.count('src="data:image/') == 2
    assert "media/image" not in html
    assert "#1e6bb8" in html  # the ocean theme
    assert sandbox.admin.counters() == {}


def test_bad_front_matter_is_a_local_input_error(wxm: Any, sandbox: Any, posts: Path) -> None:
    post = posts / "full.md"
    post.write_text(post.read_text("utf-8").replace("comments: fans", "comments: all"), "utf-8")

    result = wxm("publish", str(post))

    assert result.exit_code == 3
    assert "front matter 'comments' must be one of open, fans, off" in result.stderr
    assert sandbox.admin.counters() == {}


def test_a_missing_extra_names_the_install_command(
    wxm: Any, posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def without_ziamath(name: str, *args: Any) -> Any:
        return None if name == "ziamath" else importlib.util.find_spec(name, *args)

    monkeypatch.setattr(extras, "find_spec", without_ziamath)
    for name in [m for m in sys.modules if m.startswith("wechat_material.articles")]:
        monkeypatch.delitem(sys.modules, name)

    result = wxm("publish", str(posts / "full.md"))

    assert result.exit_code == 1  # as wxm reports every missing extra
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == (
        "error: publishing Markdown needs the 'publish' extra (missing: ziamath):"
        " pip install 'wechat-material[publish]'"
    )


def test_extra_css_warns_about_what_wechat_drops(wxm: Any, posts: Path, tmp_path: Path) -> None:
    css = tmp_path / "mine.css"
    css.write_text("h2 { color: #ff0000; position: fixed; }", "utf-8")

    result = wxm("publish", str(posts / "full.md"), "--css", str(css), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "'position: absolute/fixed/sticky' is removed by WeChat" in result.stderr


def test_open_shows_the_preview_in_a_browser(
    wxm: Any, posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)

    result = wxm("publish", str(posts / "full.md"), "--open")

    assert result.exit_code == 0, result.output
    preview = posts / "full.preview.html"
    assert opened == [preview.resolve().as_uri()]
    assert preview.exists()
