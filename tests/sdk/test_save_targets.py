"""Where a file goes: MediaFile.save and download_* read a path the same way.

A path ending with a separator names a directory, made if missing; an
existing directory gets the file under its own name; anything else is a file
path, whose directory must exist. Whatever cannot work is a ValidationError
before anything is written (or, for downloads, sent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wechat_material import MediaFile, ValidationError

from .harness import Both

PNG = (Path(__file__).resolve().parent.parent / "media" / "image.png").read_bytes()


@pytest.fixture
def picture() -> MediaFile:
    return MediaFile("picture.png", "image/png", PNG)


def test_save_makes_a_directory_named_with_a_trailing_separator(
    picture: MediaFile, tmp_path: Path
) -> None:
    saved = picture.save(f"{tmp_path}/downloads/2024/")

    assert saved == tmp_path / "downloads" / "2024" / "picture.png"
    assert saved.read_bytes() == PNG


def test_save_into_a_directory_or_to_a_file_path(picture: MediaFile, tmp_path: Path) -> None:
    assert picture.save(tmp_path) == tmp_path / "picture.png"
    assert picture.save(tmp_path / "renamed.png").read_bytes() == PNG


def test_save_to_a_file_in_a_missing_directory_is_refused(
    picture: MediaFile, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        picture.save(tmp_path / "missing" / "picture.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["a-file/", "a-file/picture.png"])
def test_save_under_a_file_is_refused(picture: MediaFile, tmp_path: Path, path: str) -> None:
    (tmp_path / "a-file").write_bytes(b"not a directory")

    with pytest.raises(ValidationError, match="not a directory"):
        picture.save(f"{tmp_path}/{path}")
    assert (tmp_path / "a-file").read_bytes() == b"not a directory"


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["a-file/", "a-file/picture.png"])
async def test_download_under_a_file_is_refused_before_sending(
    wx: Both, tmp_path: Path, path: str
) -> None:
    (tmp_path / "a-file").write_bytes(b"not a directory")

    with pytest.raises(ValidationError, match="not a directory"):
        await wx(wx.client.material.download_material, "some-id", f"{tmp_path}/{path}")
    assert await wx.api_calls() == 0


def test_a_directory_to_make_under_a_file_is_refused(picture: MediaFile, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_bytes(b"not a directory")

    with pytest.raises(ValidationError, match="cannot make the directory"):
        picture.save(f"{tmp_path}/a-file/inside/")
