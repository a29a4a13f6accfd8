"""What one account already holds: uploaded images, covers and the drafts of posts.

Publishing again must upload nothing that is already there: body images are
remembered by the SHA-256 of their content (→ their ``uploadimg`` URL),
covers likewise (→ their ``media_id``). It also keeps the draft id of posts
published with ``write_back=False``. One JSON file per account in the
platform's cache directory, named by the account's scope (appid and a digest
of the API host; never the secret). ``WECHAT_MATERIAL_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs

from wechat_material._files import AtomicFile
from wechat_material.tokens import token_scope

APP_NAME = "wechat-material"
CACHE_DIR_ENV = "WECHAT_MATERIAL_CACHE_DIR"
_SECTIONS = ("images", "covers", "drafts")


def default_cache_dir() -> Path:
    """``WECHAT_MATERIAL_CACHE_DIR``, else the platform's cache directory for this package."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override).expanduser() if override else platformdirs.user_cache_path(APP_NAME)


def account_key(base_url: str, appid: str) -> str:
    """The account's part of a token scope: its appid and API host, not its secret."""
    return token_scope(base_url, appid, None).key


class AccountCache:
    """The uploads and drafts of one account, saved after every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, str]] = {name: {} for name in _SECTIONS}
        try:
            loaded: Any = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            loaded = {}  # no cache yet, or a damaged one: it only costs uploads
        if isinstance(loaded, dict):
            for name in _SECTIONS:
                section = loaded.get(name)
                if isinstance(section, dict):
                    self._data[name] = {str(k): str(v) for k, v in section.items()}

    @classmethod
    def for_account(cls, base_url: str, appid: str, directory: Path | None = None) -> AccountCache:
        folder = (directory or default_cache_dir()) / "publish"
        return cls(folder / f"{account_key(base_url, appid)}.json")

    def image_url(self, sha256: str) -> str | None:
        return self._data["images"].get(sha256)

    def remember_image(self, sha256: str, url: str) -> None:
        self._set("images", sha256, url)

    def cover_id(self, sha256: str) -> str | None:
        return self._data["covers"].get(sha256)

    def remember_cover(self, sha256: str, media_id: str) -> None:
        self._set("covers", sha256, media_id)

    def forget_cover(self, sha256: str) -> None:
        if self._data["covers"].pop(sha256, None) is not None:
            self._save()

    def draft_id(self, post: Path) -> str | None:
        return self._data["drafts"].get(str(post.resolve()))

    def remember_draft(self, post: Path, media_id: str) -> None:
        self._set("drafts", str(post.resolve()), media_id)

    def _set(self, section: str, key: str, value: str) -> None:
        if self._data[section].get(key) != value:
            self._data[section][key] = value
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with AtomicFile(self.path.parent) as part:
            part.file.write(json.dumps(self._data, ensure_ascii=False, indent=1).encode())
            part.commit(self.path)
