"""The upload cache: where it lives, when it is written, and a cover that left the library."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.articles import PublishOptions, publish_post
from wechat_material.errors import APIError

ADD_MATERIAL = "/cgi-bin/material/add_material"
UPDATE = "/cgi-bin/draft/update"


def test_a_run_that_could_not_upload_the_cover_again_leaves_no_stale_cover_behind(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    post = posts / "full.md"
    first = publish_post(client, post)
    cover_id = client.draft.get(first.draft_id).articles[0].thumb_media_id
    client.material.del_material(cover_id)
    sandbox.admin.set_faults(ADD_MATERIAL, error_rate=1.0, errcode=45009)
    with pytest.raises(APIError):
        publish_post(client, post)  # the cover is gone and cannot be uploaded again
    sandbox.admin.clear_faults()
    sandbox.admin.reset_counters()

    again = publish_post(client, post)

    # The cache no longer offers the gone cover: the next run uploads one at once and
    # updates the draft in one call, with no refused attempt first.
    counters = sandbox.admin.counters()
    assert (counters.get(ADD_MATERIAL, 0), counters.get(UPDATE, 0)) == (1, 1)
    assert again.draft_id == first.draft_id
    assert client.draft.get(first.draft_id).articles[0].thumb_media_id != cover_id


def test_without_a_setting_the_cache_lives_in_the_user_cache_directory(
    client: WeChatClient, posts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WECHAT_MATERIAL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    publish_post(client, posts / "full.md")

    [kept] = (tmp_path / "xdg" / "wechat-material" / "publish").glob("*.json")
    assert set(json.loads(kept.read_text("utf-8"))) == {"images", "covers", "drafts"}


def test_a_run_that_uploads_nothing_leaves_the_cache_file_alone(
    client: WeChatClient, posts: Path, cache_dir: Path
) -> None:
    post = posts / "full.md"
    publish_post(client, post, PublishOptions(write_back=False))
    [kept] = (cache_dir / "publish").glob("*.json")
    before = kept.stat()

    publish_post(client, post, PublishOptions(write_back=False))

    after = kept.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_cache_folder_it_creates_is_private(
    client: WeChatClient, posts: Path, cache_dir: Path
) -> None:
    previous = os.umask(0o022)  # the usual umask, which would leave a folder 0755
    try:
        publish_post(client, posts / "full.md")
    finally:
        os.umask(previous)

    assert (cache_dir / "publish").stat().st_mode & 0o777 == 0o700
