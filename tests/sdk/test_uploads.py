"""Preparing uploads: format sniffing, limits, filenames and the multipart body."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from wechat_material.errors import MediaValidationError
from wechat_material.limits import MB, MaterialType, MediaFormat, Target
from wechat_material.uploads import UploadBody, prepare_upload, upload_filename

from .harness import MEDIA


class OneWayStream(io.RawIOBase):
    """A pipe-like binary stream: readable once, not seekable."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize(
    ("name", "fmt", "sent"),
    [
        (None, MediaFormat.JPG, "media.jpg"),
        ("", MediaFormat.PNG, "media.png"),
        ("photo", MediaFormat.JPG, "photo.jpg"),
        ("photo.jpg", MediaFormat.JPG, "photo.jpg"),
        ("photo.JPEG", MediaFormat.JPG, "photo.JPEG"),
        ("photo.png", MediaFormat.JPG, "photo.jpg"),
        ("photo.jpeg.tmp", MediaFormat.JPG, "photo.jpeg.jpg"),
        ("tmpab12_x", MediaFormat.AMR, "tmpab12_x.amr"),
        ("/var/tmp/upload.part", MediaFormat.MP4, "upload.mp4"),
        ("C:\\Users\\me\\封面 图.png", MediaFormat.PNG, "封面 图.png"),
        ("report.final-draft", MediaFormat.GIF, "report.final-draft.gif"),
        ("..", MediaFormat.JPG, "media.jpg"),
    ],
)
def test_the_sent_filename_names_the_detected_format(
    name: str | None, fmt: MediaFormat, sent: str
) -> None:
    assert upload_filename(name, fmt) == sent


def test_a_path_is_sniffed_measured_and_closed_after_use() -> None:
    upload = prepare_upload(
        MEDIA / "image.png", filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE
    )
    try:
        assert upload.format is MediaFormat.PNG
        assert upload.size == (MEDIA / "image.png").stat().st_size
        assert upload.filename == "image.png"
    finally:
        upload.close()
    assert upload._stream.closed


def test_a_misnamed_file_goes_out_under_its_real_extension() -> None:
    jpeg = (MEDIA / "image.jpg").read_bytes()
    upload = prepare_upload(
        jpeg, filename="scan.png", target=Target.TEMPORARY, type=MaterialType.IMAGE
    )
    assert upload.filename == "scan.jpg"
    assert b"".join(upload.chunks()) == jpeg


def test_a_file_object_is_read_from_where_it_stands_on_every_attempt() -> None:
    jpeg = (MEDIA / "image.jpg").read_bytes()
    stream = io.BytesIO(b"HEADER" + jpeg)
    stream.seek(6)
    upload = prepare_upload(stream, filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE)
    body = UploadBody(upload, {})
    first = b"".join(body)
    second = b"".join(body)  # a replay
    assert first == second
    assert jpeg in first
    assert b"HEADER" not in first
    assert int(body.headers["Content-Length"]) == len(first)
    upload.close()
    assert not stream.closed  # the caller's stream stays open


def test_a_pipe_is_spooled_so_it_can_be_sent_again() -> None:
    amr = (MEDIA / "voice-2s.amr").read_bytes()
    upload = prepare_upload(
        OneWayStream(amr), filename="note", target=Target.TEMPORARY, type=MaterialType.VOICE
    )
    assert upload.filename == "note.amr"
    assert upload.duration == pytest.approx(2.0, abs=0.1)
    assert b"".join(upload.chunks()) == amr
    assert b"".join(upload.chunks()) == amr
    upload.close()


def test_a_huge_pipe_is_refused_without_reading_it_all() -> None:
    jpeg = (MEDIA / "image.jpg").read_bytes()
    stream = OneWayStream(jpeg + bytes(11 * MB))
    with pytest.raises(MediaValidationError, match="larger than allowed") as caught:
        prepare_upload(stream, filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE)
    assert caught.value.limit is not None
    assert caught.value.limit.max_bytes == 10 * MB


@pytest.mark.parametrize(
    ("sample", "target", "kind", "message"),
    [
        ("not-media.txt", Target.PERMANENT, MaterialType.IMAGE, "not a recognised media file"),
        ("image.bmp", Target.TEMPORARY, MaterialType.IMAGE, "a BMP file"),
        ("image.gif", Target.ARTICLE_IMAGE, MaterialType.IMAGE, "a GIF file"),
        ("image.png", Target.PERMANENT, MaterialType.THUMB, "a PNG file"),
        ("voice-61s.mp3", Target.PERMANENT, MaterialType.VOICE, "lasts 61"),
        ("voice-2s.wav", Target.TEMPORARY, MaterialType.VOICE, "a WAV file"),
    ],
)
def test_files_wechat_would_refuse_are_refused_here_naming_file_and_limit(
    sample: str, target: Target, kind: MaterialType, message: str
) -> None:
    path = MEDIA / sample
    with pytest.raises(MediaValidationError, match=message) as caught:
        prepare_upload(path, filename=None, target=target, type=kind)
    assert caught.value.file == str(path)
    assert str(path) in str(caught.value)
    assert kind.value in str(caught.value)


def test_an_oversized_file_names_its_size_and_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes((MEDIA / "image.jpg").read_bytes() + bytes(11 * MB))
    with pytest.raises(MediaValidationError, match=r"11\.0 MB.*at most 10 MB"):
        prepare_upload(big, filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE)


def test_a_thumb_over_64_kb_is_refused(tmp_path: Path) -> None:
    thumb = (MEDIA / "thumb.jpg").read_bytes() + bytes(64 * 1024)
    with pytest.raises(MediaValidationError, match="64 KB"):
        prepare_upload(thumb, filename=None, target=Target.TEMPORARY, type=MaterialType.THUMB)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(MediaValidationError, match="empty"):
        prepare_upload(b"", filename="x.jpg", target=Target.PERMANENT, type=MaterialType.IMAGE)


def test_a_missing_path_is_a_validation_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    with pytest.raises(MediaValidationError, match="cannot read") as caught:
        prepare_upload(missing, filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE)
    assert caught.value.file == str(missing)


def test_a_text_mode_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("hello")
    with (
        path.open("r") as text,
        pytest.raises(TypeError, match="text mode"),
    ):
        prepare_upload(text, filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE)  # type: ignore[arg-type]


def test_non_ascii_names_go_out_as_plain_utf8_never_rfc2231() -> None:
    png = (MEDIA / "image.png").read_bytes()
    upload = prepare_upload(
        png, filename='封面"图".png', target=Target.PERMANENT, type=MaterialType.IMAGE
    )
    body = b"".join(UploadBody(upload, {"description": '{"title":"标题"}'}))
    assert 'filename="封面%22图%22.png"'.encode() in body
    assert b"filename*" not in body
    assert b'name="media"' in body
    assert b"Content-Type: image/png" in body
    assert '{"title":"标题"}'.encode() in body


def test_a_file_that_shrinks_while_sent_fails_loudly(
    tmp_path: Path, grown_media: Callable[[str, int], bytes]
) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(grown_media("image.jpg", MB))
    upload = prepare_upload(path, filename=None, target=Target.PERMANENT, type=MaterialType.IMAGE)
    try:
        os.truncate(path, 100)
        with pytest.raises(OSError, match="became shorter"):
            b"".join(upload.chunks())
    finally:
        upload.close()
