"""``wxm upload`` and ``wxm image``: types from content, checks before sending, summaries."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from wechat_material.sandbox import DEMO_APPID

from .conftest import MEDIA, Run, run_json, stdout_json

UPLOAD_PATHS = ("/cgi-bin/material/add_material", "/cgi-bin/media/upload")


def _uploads_sent(sandbox: Any) -> int:
    counters = sandbox.admin.counters(DEMO_APPID)
    return sum(counters.get(path, 0) for path in (*UPLOAD_PATHS, "/cgi-bin/media/uploadimg"))


def test_types_are_detected_from_content(on_sandbox: Run, tmp_path: Path) -> None:
    # A misleading name: the content decides.
    disguised = tmp_path / "really-a-png.jpg"
    shutil.copy(MEDIA / "image.png", disguised)

    result = on_sandbox(
        "upload", str(MEDIA / "image.jpg"), str(MEDIA / "voice-2s.mp3"), str(disguised), "--json"
    )

    data = run_json(result)
    assert data["failed"] == []
    types = {Path(item["file"]).name: item["type"] for item in data["uploaded"]}
    assert types == {"image.jpg": "image", "voice-2s.mp3": "voice", "really-a-png.jpg": "image"}
    assert all(item["media_id"] for item in data["uploaded"])
    images = [item for item in data["uploaded"] if item["type"] == "image"]
    assert all(item["url"].startswith("http") for item in images)
    counts = run_json(on_sandbox("count", "--json"))
    assert counts["image_count"] == 2
    assert counts["voice_count"] == 1


def test_summary_table_lists_media_ids(on_sandbox: Run) -> None:
    result = on_sandbox("upload", str(MEDIA / "image.gif"), str(MEDIA / "voice-2s.wav"))

    assert result.exit_code == 0, result.output
    ids = [item["media_id"] for item in run_json(on_sandbox("ls", "--json"))["items"]]
    assert len(ids) == 2
    for media_id in ids:
        assert media_id in result.stdout


def test_every_bad_file_is_reported_and_nothing_is_sent(
    on_sandbox: Run, sandbox: Any, tmp_path: Path
) -> None:
    too_big = tmp_path / "huge.jpg"
    with too_big.open("wb") as file:
        file.write((MEDIA / "image.jpg").read_bytes())
        file.truncate(11 * 1024 * 1024)  # a JPEG padded past the 10 MB limit
    missing = tmp_path / "missing.png"

    result = on_sandbox(
        "upload",
        str(MEDIA / "image.jpg"),
        str(MEDIA / "not-media.txt"),
        str(MEDIA / "voice-61s.mp3"),
        str(too_big),
        str(missing),
    )

    assert result.exit_code == 3
    for bad in ("not-media.txt", "voice-61s.mp3", "huge.jpg", "missing.png"):
        assert bad in result.stderr
    assert "60" in result.stderr  # the voice's length limit is named
    assert "10 MB" in result.stderr
    assert "nothing was sent" in result.stderr
    assert "image.jpg:" not in result.stderr  # the good file is not an error
    assert result.stdout == ""
    assert _uploads_sent(sandbox) == 0


def test_explicit_type_is_checked(on_sandbox: Run, sandbox: Any) -> None:
    thumb = on_sandbox("upload", str(MEDIA / "thumb.jpg"), "--type", "thumb", "--json")
    wrong = on_sandbox("upload", str(MEDIA / "image.png"), "--type", "thumb")

    assert run_json(thumb)["uploaded"][0]["type"] == "thumb"
    assert wrong.exit_code == 3
    assert "image.png" in wrong.stderr
    assert sandbox.admin.counters(DEMO_APPID)["/cgi-bin/material/add_material"] == 1


def test_permanent_video_needs_title_and_intro(on_sandbox: Run, sandbox: Any) -> None:
    without = on_sandbox("upload", str(MEDIA / "video.mp4"))
    with_both = on_sandbox(
        "upload", str(MEDIA / "video.mp4"), "--title", "标题", "--intro", "简介", "--json"
    )

    assert without.exit_code == 2
    assert "--title" in without.stderr
    assert run_json(with_both)["uploaded"][0]["type"] == "video"
    assert run_json(on_sandbox("count", "--json"))["video_count"] == 1


def test_temporary_uploads_show_when_they_expire(on_sandbox: Run, sandbox: Any) -> None:
    data = run_json(
        on_sandbox(
            "upload", str(MEDIA / "voice-2s.amr"), str(MEDIA / "video.mp4"), "--temporary", "--json"
        )
    )

    assert len(data["uploaded"]) == 2
    assert all(item["expires_at"] for item in data["uploaded"])
    assert sandbox.admin.counters(DEMO_APPID)["/cgi-bin/media/upload"] == 2
    assert run_json(on_sandbox("count", "--json"))["voice_count"] == 0


def test_temporary_limits_apply(on_sandbox: Run, sandbox: Any) -> None:
    # WAV is fine as permanent voice but not as temporary voice.
    result = on_sandbox("upload", str(MEDIA / "voice-2s.wav"), "--temporary")

    assert result.exit_code == 3
    assert "voice-2s.wav" in result.stderr
    assert _uploads_sent(sandbox) == 0


def test_many_files_in_parallel(on_sandbox: Run, tmp_path: Path) -> None:
    paths = []
    for index in range(12):
        path = tmp_path / f"photo-{index:02}.png"
        shutil.copy(MEDIA / "image.png", path)
        paths.append(str(path))

    data = run_json(on_sandbox("upload", *paths, "--jobs", "6", "--json"))

    assert len(data["uploaded"]) == 12
    assert len({item["media_id"] for item in data["uploaded"]}) == 12


def test_a_refused_upload_is_reported_with_its_file(on_sandbox: Run, sandbox: Any) -> None:
    sandbox.admin.set_quota(DEMO_APPID, "/cgi-bin/material/add_material", 1)

    result = on_sandbox("upload", str(MEDIA / "image.jpg"), str(MEDIA / "image.png"), "--json")

    assert result.exit_code == 1
    data = stdout_json(result)
    assert len(data["uploaded"]) == 1
    assert data["failed"][0]["errcode"] == 45009
    assert "45009" in result.stderr
    assert "hint:" in result.stderr
    assert data["failed"][0]["file"] in result.stderr


def test_article_images_print_their_urls(on_sandbox: Run, sandbox: Any) -> None:
    result = on_sandbox("image", str(MEDIA / "image.jpg"), str(MEDIA / "image.png"))
    as_json = run_json(on_sandbox("image", str(MEDIA / "image.png"), "--json"))

    assert result.exit_code == 0, result.output
    urls = result.stdout.split()
    assert len(urls) == 2
    assert all(url.startswith("http") for url in urls)
    assert as_json["images"][0]["url"].startswith("http")
    # Article images do not count as material.
    assert run_json(on_sandbox("count", "--json"))["image_count"] == 0


def test_article_images_are_limited_to_jpg_and_png(on_sandbox: Run, sandbox: Any) -> None:
    result = on_sandbox("image", str(MEDIA / "image.gif"))

    assert result.exit_code == 3
    assert "image.gif" in result.stderr
    assert _uploads_sent(sandbox) == 0


def test_long_error_lines_are_not_wrapped(on_sandbox: Run, tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-directory-name"] * 8)
    deep.mkdir(parents=True)
    bad = deep / "not-media.txt"
    shutil.copy(MEDIA / "not-media.txt", bad)

    result = on_sandbox("upload", str(bad))

    assert result.exit_code == 3
    assert f"error: {bad}: not a recognised" in result.stderr
