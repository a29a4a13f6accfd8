"""``wxm news`` and ``wxm draft``: article files, validation that names the field, publishing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import MEDIA, Run, run_json


@pytest.fixture
def thumb_id(sandbox: Any) -> str:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        return client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id


@pytest.fixture
def toml_post(tmp_path: Path, thumb_id: str) -> Path:
    """Two articles in TOML; the first one's HTML in a file beside it."""
    (tmp_path / "body.html").write_text("<p>第一篇的正文</p>", encoding="utf-8")
    path = tmp_path / "post.toml"
    path.write_text(
        f"""
[[articles]]
title = "First"
author = "Ming"
thumb_media_id = "{thumb_id}"
content_file = "body.html"

[[articles]]
title = "第二篇"
thumb_media_id = "{thumb_id}"
content = "<p>two</p>"
""",
        encoding="utf-8",
    )
    return path


def _json_file(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_draft_add_get_ls_rm(on_sandbox: Run, toml_post: Path, tmp_path: Path) -> None:
    added = run_json(on_sandbox("draft", "add", str(toml_post), "--json"))
    draft_id = added["media_id"]

    got = run_json(on_sandbox("draft", "get", draft_id, "--json"))
    shown = on_sandbox("draft", "get", draft_id)
    saved = on_sandbox("draft", "get", draft_id, "-o", str(tmp_path / "draft.md"))
    listed = run_json(on_sandbox("draft", "ls", "--json"))
    removed = on_sandbox("draft", "rm", draft_id, "--yes")
    after = run_json(on_sandbox("draft", "ls", "--json"))

    assert added["articles"] == 2
    assert [a["title"] for a in got["news_item"]] == ["First", "第二篇"]
    assert "第一篇的正文" in got["news_item"][0]["content"]
    assert "第二篇" in shown.stdout
    assert saved.exit_code == 0, saved.output
    assert "# First" in (tmp_path / "draft.md").read_text(encoding="utf-8")
    assert listed["items"] == [
        {
            "media_id": draft_id,
            "titles": ["First", "第二篇"],
            "update_time": listed["items"][0]["update_time"],
        }
    ]
    assert removed.exit_code == 0, removed.output
    assert after == {"items": [], "count": 0}


def test_publish_and_wait(wxm: Run, tmp_path: Path) -> None:
    # A sandbox that publishes at once, so that waiting returns the links.
    with run_in_thread(SandboxConfig(publish_seconds=0)) as quick:
        with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=quick.base_url) as client:
            thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
        article = {"title": "Go", "thumb_media_id": thumb, "content": "<p>hi</p>"}
        post = _json_file(tmp_path, "post.json", article)
        base = ("--sandbox", "--base-url", quick.base_url)
        draft_id = run_json(wxm(*base, "draft", "add", str(post), "--json"))["media_id"]

        data = run_json(wxm(*base, "draft", "publish", draft_id, "--json"))

    assert data["status"] == "success"
    assert data["article_id"]
    assert data["article_urls"][0].startswith("http")


def test_publish_without_waiting_then_status(
    on_sandbox: Run, sandbox: Any, toml_post: Path
) -> None:
    draft_id = run_json(on_sandbox("draft", "add", str(toml_post), "--json"))["media_id"]

    submitted = run_json(on_sandbox("draft", "publish", draft_id, "--no-wait", "--json"))
    publishing = run_json(on_sandbox("draft", "status", submitted["publish_id"], "--json"))
    sandbox.admin.advance(120)
    done = run_json(on_sandbox("draft", "status", submitted["publish_id"], "--json"))

    assert publishing["status"] == "publishing"
    assert done["status"] == "success"
    assert len(done["article_urls"]) == 2


def test_publish_that_does_not_finish_in_time(on_sandbox: Run, toml_post: Path) -> None:
    draft_id = run_json(on_sandbox("draft", "add", str(toml_post), "--json"))["media_id"]

    result = on_sandbox("draft", "publish", draft_id, "--max-wait", "0")

    assert result.exit_code == 1
    assert "still in progress" in result.stderr
    assert "wxm draft status" in result.stderr


@pytest.mark.parametrize(
    ("article", "field", "words"),
    [
        ({"content": "<p>x</p>"}, "title", "required"),
        ({"title": "x" * 33, "content": "<p>x</p>"}, "title", "32"),
        ({"title": "ok", "content": "<p>x</p>", "author": "a" * 17}, "author", "16"),
        ({"title": "ok"}, "content", "required"),
        (
            {"title": "ok", "content": "<p>x</p>", "need_open_comment": 2},
            "need_open_comment",
            "0 or 1",
        ),
    ],
)
def test_article_problems_name_the_field(
    on_sandbox: Run, sandbox: Any, tmp_path: Path, thumb_id: str,
    article: dict[str, Any], field: str, words: str,
) -> None:  # fmt: skip
    path = _json_file(tmp_path, "bad.json", {"articles": [{"thumb_media_id": thumb_id, **article}]})

    result = on_sandbox("draft", "add", str(path))

    assert result.exit_code == 3
    assert f"'{field}'" in result.stderr
    assert words in result.stderr
    assert "bad.json" in result.stderr
    assert "/cgi-bin/draft/add" not in sandbox.admin.counters(DEMO_APPID)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("broken.json", '{"title": ', "line 1"),
        ("broken.toml", "title = ", "TOML"),
        ("post.yaml", "title: x", ".json or .toml"),
        ("empty.json", "[]", "0 articles"),
        ("nine.json", json.dumps([{"title": "t", "content": "c", "thumb_media_id": "m"}] * 9), "8"),
    ],
)
def test_unusable_article_files(
    on_sandbox: Run, tmp_path: Path, name: str, text: str, words: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    result = on_sandbox("draft", "add", str(path))

    assert result.exit_code == 3
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_missing_article_file(on_sandbox: Run, tmp_path: Path) -> None:
    result = on_sandbox("news", "add", str(tmp_path / "nope.json"))

    assert result.exit_code == 3
    assert "nope.json" in result.stderr


def test_news_add_update_get(
    on_sandbox: Run, toml_post: Path, tmp_path: Path, thumb_id: str
) -> None:
    news_id = run_json(on_sandbox("news", "add", str(toml_post), "--json"))["media_id"]
    change = _json_file(
        tmp_path,
        "change.json",
        {"title": "Changed", "thumb_media_id": thumb_id, "content": "<p>new</p>"},
    )

    updated = on_sandbox("news", "update", news_id, str(change), "--index", "1")
    got = run_json(on_sandbox("news", "get", news_id, "--json"))
    table = on_sandbox("news", "get", news_id)
    saved = on_sandbox("news", "get", news_id, "-o", str(tmp_path / "news.md"))

    assert updated.exit_code == 0, updated.output
    assert [a["title"] for a in got["news_item"]] == ["First", "Changed"]
    assert "Changed" in table.stdout
    assert saved.exit_code == 0
    assert "# Changed" in (tmp_path / "news.md").read_text(encoding="utf-8")


def test_retired_news_api_points_to_drafts(on_sandbox: Run, sandbox: Any, toml_post: Path) -> None:
    sandbox.admin.set_news_api("retired")

    result = on_sandbox("news", "add", str(toml_post))

    assert result.exit_code == 1
    assert "45106" in result.stderr
    assert "wxm draft add" in result.stderr


def test_news_get_on_a_file_is_a_usage_error(on_sandbox: Run, thumb_id: str) -> None:
    result = on_sandbox("news", "get", thumb_id)

    assert result.exit_code == 2
    assert "not a news material" in result.stderr


def test_unknown_fields_get_a_warning(on_sandbox: Run, tmp_path: Path, thumb_id: str) -> None:
    article = {"title": "ok", "content": "<p>x</p>", "thumb_media_id": thumb_id, "auther": "me"}
    path = _json_file(tmp_path, "typo.json", article)

    result = on_sandbox("draft", "add", str(path))

    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr
    assert "'auther'" in result.stderr
