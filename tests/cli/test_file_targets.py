"""Files ``wxm`` writes: never over an existing file without --force, never into a
device or a FIFO, ``-o -`` for stdout, and nothing left behind when it is stopped."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.cli.exit_codes import EXIT_INPUT
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, WXM, Home, Run

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and file types")
JPEG = (MEDIA / "image.jpg").read_bytes()


@pytest.fixture
def client(sandbox: Any) -> Iterator[WeChatClient]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as sdk:
        yield sdk


@pytest.fixture
def image_id(client: WeChatClient) -> str:
    return client.material.add_material("image", MEDIA / "image.jpg").media_id


@pytest.fixture
def draft_id(client: WeChatClient) -> str:
    thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    return client.draft.add([{"title": "标题", "thumb_media_id": thumb, "content": "<p>x</p>"}])


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --force ------------------------------------------------------------------------------


def test_an_existing_file_is_replaced_only_with_force(
    on_sandbox: Run, image_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "photo.jpg"
    target.write_bytes(b"mine")

    refused = on_sandbox("get", image_id, "-o", str(target))

    assert refused.exit_code == EXIT_INPUT
    assert "already exists" in refused.stderr
    assert "--force" in refused.stderr
    assert target.read_bytes() == b"mine"

    forced = on_sandbox("get", image_id, "-o", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes() == JPEG


def test_articles_are_not_written_over_a_file_without_force(
    on_sandbox: Run, draft_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "draft.md"
    target.write_text("my notes")

    refused = on_sandbox("draft", "get", draft_id, "-o", str(target))
    assert refused.exit_code == EXIT_INPUT
    assert "--force" in refused.stderr
    assert target.read_text() == "my notes"

    into_dir = on_sandbox("draft", "get", draft_id, "-o", str(tmp_path))
    assert into_dir.exit_code == 0, into_dir.output
    again = on_sandbox("draft", "get", draft_id, "-o", str(tmp_path))
    assert again.exit_code == EXIT_INPUT  # DRAFT_ID.json is there now
    assert "--force" in again.stderr

    forced = on_sandbox("draft", "get", draft_id, "-o", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_text().startswith("# 标题")


def test_wechats_name_in_a_directory_is_numbered_not_replaced(
    on_sandbox: Run, image_id: str, tmp_path: Path
) -> None:
    first = on_sandbox("get", image_id, "-o", str(tmp_path))
    second = on_sandbox("get", image_id, "-o", str(tmp_path))
    assert first.exit_code == second.exit_code == 0, second.output
    # The name 'wxm ls' shows (image.jpg, as uploaded), numbered like the SDK numbers.
    assert names(tmp_path) == ["image (1).jpg", "image.jpg"]


@pytest.mark.parametrize("command", [("get",), ("draft", "get"), ("news", "get")])
def test_every_command_that_writes_files_offers_force(wxm: Run, command: tuple[str, ...]) -> None:
    shown = wxm(*command, "--help")
    assert "--force" in shown.stdout


# what is not a regular file --------------------------------------------------------------


@posix_only
def test_dev_null_is_refused_and_stays_a_device(on_sandbox: Run, image_id: str) -> None:
    result = on_sandbox("get", image_id, "-o", "/dev/null", "--force")
    assert result.exit_code == EXIT_INPUT
    assert "not a regular file" in result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@posix_only
def test_a_fifo_is_refused(on_sandbox: Run, image_id: str, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    result = on_sandbox("get", image_id, "-o", str(tmp_path / "pipe"), "--force")
    assert result.exit_code == EXIT_INPUT
    assert "FIFO" in result.stderr
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


# a failed download --------------------------------------------------------------------


@posix_only
@pytest.mark.slow  # over a second of retries with backoff
def test_a_failed_download_leaves_the_file_there_untouched(
    on_sandbox: Run, sandbox: Any, image_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "keep.jpg"
    target.write_bytes(b"precious")
    target.chmod(0o600)

    missing = on_sandbox("get", "no-such-media-id", "-o", str(target), "--force")
    sandbox.admin.set_faults(endpoint="/cgi-bin/material/get_material", drop_rate=1.0)
    try:
        dropped = on_sandbox("get", image_id, "-o", str(target), "--force")
    finally:
        sandbox.admin.clear_faults()

    assert missing.exit_code == dropped.exit_code == 1
    assert target.read_bytes() == b"precious"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert names(tmp_path) == ["keep.jpg"]


# -o - ---------------------------------------------------------------------------------


def test_articles_print_on_stdout(on_sandbox: Run, draft_id: str) -> None:
    printed = on_sandbox("draft", "get", draft_id, "-o", "-")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout)["news_item"][0]["title"] == "标题"


def _wxm(home: Home, sandbox: Any, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(WXM), "--sandbox", "--base-url", sandbox.base_url, *args],
        env=home.env(),
        timeout=60,
        check=False,
        **kwargs,
    )


@pytest.mark.slow
@pytest.mark.parametrize("temporary", [False, True])
def test_a_file_streams_to_stdout_into_a_file(
    home: Home, sandbox: Any, client: WeChatClient, tmp_path: Path, temporary: bool
) -> None:
    if temporary:
        media_id = client.material.upload_media("image", MEDIA / "image.jpg").media_id
    else:
        media_id = client.material.add_material("image", MEDIA / "image.jpg").media_id
    extra = ("--temporary",) if temporary else ()
    out = tmp_path / "out.jpg"
    with out.open("wb") as redirected:
        result = _wxm(home, sandbox, "get", media_id, "-o", "-", *extra,
                      stdout=redirected, stderr=subprocess.PIPE)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == JPEG


@pytest.mark.slow
@posix_only
def test_a_binary_file_is_not_printed_on_a_terminal(
    home: Home, sandbox: Any, image_id: str
) -> None:
    leader, follower = os.openpty()
    try:
        result = _wxm(home, sandbox, "get", image_id, "-o", "-",
                      stdout=follower, stderr=subprocess.PIPE)  # fmt: skip
    finally:
        os.close(follower)
    with contextlib.suppress(OSError):
        os.set_blocking(leader, False)
        shown = os.read(leader, 65536)
        assert b"\xff\xd8" not in shown
    os.close(leader)
    assert result.returncode == EXIT_INPUT
    assert b"terminal" in result.stderr
    assert b"redirect" in result.stderr


@pytest.mark.slow
def test_news_prints_as_text_through_a_pipe(home: Home, sandbox: Any, client: WeChatClient) -> None:
    thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    article = {"title": "新闻", "thumb_media_id": thumb, "content": "<p>x</p>"}
    news = client.material.add_news([article]).media_id
    result = _wxm(home, sandbox, "get", news, "-o", "-", "--format", "markdown",
                  capture_output=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("# 新闻")
