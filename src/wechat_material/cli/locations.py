"""Where ``wxm`` keeps its files.

The profile file lives in the platform's config directory and the embedded
sandbox's state in the platform's data directory. ``WXM_CONFIG_DIR`` and
``WXM_DATA_DIR`` replace them (handy for tests, containers and CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "wechat-material"
CONFIG_DIR_ENV = "WXM_CONFIG_DIR"
DATA_DIR_ENV = "WXM_DATA_DIR"


def config_dir() -> Path:
    """The directory holding ``config.toml``."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override).expanduser() if override else platformdirs.user_config_path(APP_NAME)


def config_file() -> Path:
    """The profile file, ``config.toml`` in :func:`config_dir`."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """The directory holding the embedded sandbox and the token file."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).expanduser() if override else platformdirs.user_data_path(APP_NAME)


def sandbox_data_dir() -> Path:
    """The embedded sandbox's state (the same place ``wxm sandbox serve`` uses by default)."""
    return data_dir() / "sandbox"


def token_file() -> Path:
    """The default token store for the ``file`` setting."""
    return data_dir() / "tokens.json"
