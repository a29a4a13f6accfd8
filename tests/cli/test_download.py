"""``wxm get``: files, videos through their URL, temporary media, news as JSON or Markdown."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material._files import safe_filename
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, WXM, Home, Run, run_json


@pytest.fixture
def client(sandbox: Any) -> Iterator[WeChatClient]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as sdk:
        yield sdk


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def test_image_into_a_directory(on_sandbox: Run, client: WeChatClient, out_dir: Path) -> None:
    media_id = client.material.add_material("image", MEDIA / "image.jpg").media_id

    data = run_json(on_sandbox("get", media_id, "-o", str(out_dir), "--json"))

    saved = Path(data["path"])
    assert saved.parent == out_dir
    assert saved.name == "image.jpg"  # the name 'wxm ls' shows, not the media id
    assert saved.read_bytes() == (MEDIA / "image.jpg").read_bytes()
    assert data["size"] == saved.stat().st_size
    assert data["kind"] == "file"


def test_to_a_file_name_and_to_the_current_directory(
    on_sandbox: Run, client: WeChatClient, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media_id = client.material.add_material("voice", MEDIA / "voice-2s.mp3").media_id
    monkeypatch.chdir(out_dir)

    named = on_sandbox("get", media_id, "-o", "my voice.mp3")
    here = on_sandbox("get", media_id)

    assert named.exit_code == 0, named.output
    assert here.exit_code == 0, here.output
    expected = (MEDIA / "voice-2s.mp3").read_bytes()
    assert (out_dir / "my voice.mp3").read_bytes() == expected
    assert (out_dir / "voice-2s.mp3").read_bytes() == expected


def test_video_is_fetched_through_its_url(
    on_sandbox: Run, client: WeChatClient, out_dir: Path
) -> None:
    media_id = client.material.add_video_material(MEDIA / "video.mp4", "标题", "简介").media_id

    data = run_json(on_sandbox("get", media_id, "-o", str(out_dir / "clip.mp4"), "--json"))

    assert Path(data["path"]).read_bytes() == (MEDIA / "video.mp4").read_bytes()


def test_temporary_media(on_sandbox: Run, client: WeChatClient, out_dir: Path) -> None:
    image = client.material.upload_media("image", MEDIA / "image.png").media_id
    video = client.material.upload_media("video", MEDIA / "video.mp4").media_id

    got_image = on_sandbox("get", image, "--temporary", "-o", str(out_dir / "a.png"))
    got_video = on_sandbox("get", video, "--temporary", "-o", str(out_dir / "b.mp4"))
    without_flag = on_sandbox("get", image, "-o", str(out_dir / "c.png"))

    assert got_image.exit_code == 0, got_image.output
    assert got_video.exit_code == 0, got_video.output
    assert (out_dir / "a.png").read_bytes() == (MEDIA / "image.png").read_bytes()
    assert (out_dir / "b.mp4").read_bytes() == (MEDIA / "video.mp4").read_bytes()
    # A temporary id is unknown to get_material: WeChat's 40007, with a hint.
    assert without_flag.exit_code == 1
    assert "40007" in without_flag.stderr
    assert "temporary" in without_flag.stderr
    assert not (out_dir / "c.png").exists()


def _news(client: WeChatClient) -> str:
    thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    body = {"thumb_media_id": thumb, "content": "<p>正文</p>", "author": "Ming"}
    articles = [{"title": "Hello", **body}, {"title": "你好", **body}]
    return client.material.add_news(articles).media_id


def test_news_as_markdown_or_json(
    on_sandbox: Run, client: WeChatClient, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = _news(client)
    monkeypatch.chdir(out_dir)

    markdown = on_sandbox("get", news, "-o", "story.md")
    default = run_json(on_sandbox("get", news, "--json"))
    printed = on_sandbox("get", news, "-o", "-")

    assert markdown.exit_code == 0, markdown.output
    text = (out_dir / "story.md").read_text(encoding="utf-8")
    assert "# Hello" in text
    assert "# 你好" in text
    assert "<p>正文</p>" in text
    assert default["kind"] == "news"
    saved = json.loads((out_dir / f"{news}.json").read_text(encoding="utf-8"))
    assert [a["title"] for a in saved["news_item"]] == ["Hello", "你好"]
    assert [a["title"] for a in json.loads(printed.stdout)["news_item"]] == ["Hello", "你好"]


GET_MATERIAL = "/cgi-bin/material/get_material"


def _reads(sandbox: Any) -> int:
    return int(sandbox.admin.counters(DEMO_APPID).get(GET_MATERIAL, 0))


@pytest.mark.parametrize(
    "args", [[], ["-o", "story.md"], ["-o", "story.json"], ["--format", "markdown"]]
)
def test_news_is_read_in_one_call(
    on_sandbox: Run,
    client: WeChatClient,
    sandbox: Any,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    news = _news(client)
    monkeypatch.chdir(out_dir)
    sandbox.admin.reset_counters()

    data = run_json(on_sandbox("get", news, *args, "--json"))

    assert data["kind"] == "news"
    assert data["articles"] == 2
    assert Path(data["path"]).is_file()
    assert _reads(sandbox) == 1


def test_a_format_given_for_a_file_still_downloads_it(
    on_sandbox: Run, client: WeChatClient, out_dir: Path
) -> None:
    media_id = client.material.add_material("image", MEDIA / "image.jpg").media_id

    data = run_json(on_sandbox("get", media_id, "-o", str(out_dir), "--format", "json", "--json"))

    assert data["kind"] == "file"
    assert Path(data["path"]).read_bytes() == (MEDIA / "image.jpg").read_bytes()


def test_unknown_id_leaves_nothing_behind(on_sandbox: Run, out_dir: Path) -> None:
    result = on_sandbox("get", "no-such-media-id", "-o", str(out_dir))

    assert result.exit_code == 1
    assert "40007" in result.stderr
    assert "hint:" in result.stderr
    assert list(out_dir.iterdir()) == []


@pytest.mark.slow  # over a second of retries with backoff
def test_broken_connection_leaves_no_partial_file(
    on_sandbox: Run, client: WeChatClient, sandbox: Any, out_dir: Path
) -> None:
    media_id = client.material.add_material("image", MEDIA / "image.jpg").media_id
    sandbox.admin.set_faults(endpoint="/cgi-bin/material/get_material", drop_rate=1.0)

    result = on_sandbox("get", media_id, "-o", str(out_dir), "--json")

    assert result.exit_code == 1
    assert "get_material to 127.0.0.1" in result.stderr
    assert json.loads(result.stdout)["error"]["exit_code"] == 1  # only the error document
    assert list(out_dir.iterdir()) == []


def test_missing_output_directory_is_invalid_input(
    on_sandbox: Run, client: WeChatClient, tmp_path: Path
) -> None:
    media_id = client.material.add_material("image", MEDIA / "image.jpg").media_id

    result = on_sandbox("get", media_id, "-o", str(tmp_path / "nowhere" / "x.jpg"))

    assert result.exit_code == 3
    assert "nowhere" in result.stderr


def test_json_errors_keep_stdout_clean(on_sandbox: Run) -> None:
    result = on_sandbox("get", "no-such-media-id", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["errcode"] == 40007  # nothing else on stdout
    assert "40007" in result.stderr


@pytest.mark.parametrize("uploaded_as", ["../../escape.jpg", "\u202egpj.exe", "..", "a/b.jpg"])
def test_a_listed_name_is_made_safe_before_it_is_used(
    on_sandbox: Run, client: WeChatClient, out_dir: Path, uploaded_as: str
) -> None:
    # The name comes back from WeChat's list: it may point elsewhere or hide what it is.
    data = (MEDIA / "image.jpg").read_bytes()
    media_id = client.material.add_material("image", data, uploaded_as).media_id
    listed = next(
        item["name"]
        for item in run_json(on_sandbox("ls", "--type", "image", "--json"))["items"]
        if item["media_id"] == media_id
    )

    result = on_sandbox("get", media_id, "-o", str(out_dir), "--json")

    assert result.exit_code == 0, result.output
    saved = Path(run_json(result)["path"])
    assert saved.parent == out_dir
    assert saved.name == (safe_filename(listed) or f"{media_id}.jpg")
    assert "/" not in saved.name
    assert saved.name.isprintable()
    assert saved.read_bytes() == data
    assert list(out_dir.parent.glob("*.jpg")) == []


@pytest.mark.slow
def test_o_dash_on_a_terminal_is_refused_before_anything_is_fetched(
    sandbox: Any, home: Home
) -> None:
    sandbox.admin.reset_counters()
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [str(WXM), "--sandbox", "--base-url", sandbox.base_url, "get", "ANY_ID", "-o", "-"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            env=home.env(),
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)

    assert result.returncode == 3
    assert "terminal" in result.stderr
    assert sandbox.admin.counters(DEMO_APPID) == {}  # not even a token was fetched
