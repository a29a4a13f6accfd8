"""A backup without the article cleaner's library stops before it touches anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from wechat_material import AsyncWeChatClient
from wechat_material.backup import abackup, pages
from wechat_material.extras import MissingExtraError

pytestmark = pytest.mark.anyio


async def test_without_the_cleaner_a_backup_stops_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # nh3 not installed: what find_spec says then (uninstalling it here is not an option).
    monkeypatch.setattr(pages, "find_spec", lambda name: None)
    async with AsyncWeChatClient(
        "wx0123456789abcdef", "s" * 32, base_url="http://127.0.0.1:9"
    ) as client:
        with pytest.raises(MissingExtraError, match=r"nh3: pip install 'wechat-material\[cli\]'"):
            await abackup(client, tmp_path / "backup")

    assert not (tmp_path / "backup").exists()
