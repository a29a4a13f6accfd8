"""Fixtures shared by every test folder."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

MEDIA = Path(__file__).parent / "media"


@pytest.fixture
def media_dir() -> Path:
    """The folder of small real sample files (see tests/media/README.md)."""
    return MEDIA
