"""Each upload endpoint is one backend operation: it checks, stages, stores and
discards the file itself, so nothing staged outlives the call, stored or refused."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from wechat_material.sandbox import DEMO_APPID, SandboxBackend, SandboxConfig, SandboxError
from wechat_material.sandbox.state.uploads import NOT_JSON, Upload

from ..wechat_wire import START, media

DESCRIBED = {"title": "A walk", "introduction": "By the river"}


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[SandboxBackend]:
    with SandboxBackend(SandboxConfig(data_dir=tmp_path, seed=5, start_time=START)) as sandbox:
        yield sandbox


def upload(sample: str, name: str | None = None) -> Upload:
    """A sample of tests/media, sent under ``name``."""
    return Upload(name or sample, io.BytesIO(media(sample)))


def staged(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "tmp").iterdir())


def material_rows(backend: SandboxBackend) -> int:
    return int(backend.storage.db.execute("SELECT count(*) FROM materials").fetchone()[0])


def test_add_material_stores_the_file_and_leaves_nothing_staged(
    backend: SandboxBackend, tmp_path: Path
) -> None:
    reply = backend.add_material(DEMO_APPID, "image", upload("image.jpg", "cat.jpg"))
    assert set(reply) == {"media_id", "url"}
    assert material_rows(backend) == 1
    assert staged(tmp_path) == []
    assert list((tmp_path / "blobs").rglob("*"))


def test_a_video_refused_for_its_description_leaves_no_row_and_nothing_staged(
    backend: SandboxBackend, tmp_path: Path
) -> None:
    for described, code in ((None, 40097), (NOT_JSON, 40097), ({"title": "x"}, 40097)):
        with pytest.raises(SandboxError) as refused:
            backend.add_material(DEMO_APPID, "video", upload("video.mp4"), described)
        assert refused.value.code == code
    assert material_rows(backend) == 0
    assert staged(tmp_path) == []
    assert not [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()]
    reply = backend.add_material(DEMO_APPID, "video", upload("video.mp4"), DESCRIBED)
    assert set(reply) == {"media_id"}


def test_the_type_is_judged_before_the_file_part_and_the_file(backend: SandboxBackend) -> None:
    with pytest.raises(SandboxError) as refused:
        backend.add_material(DEMO_APPID, "thumbnail", None)
    assert refused.value.code == 40004
    with pytest.raises(SandboxError) as refused:
        backend.add_material(DEMO_APPID, "image", None)
    assert refused.value.code == 41005
    with pytest.raises(SandboxError) as refused:
        backend.upload_media(DEMO_APPID, "image", Upload("cat.jpg", io.BytesIO(b"")))
    assert refused.value.code == 44001


def test_temporary_media_and_article_images_are_one_operation_each(
    backend: SandboxBackend, tmp_path: Path
) -> None:
    reply = backend.upload_media(DEMO_APPID, "thumb", upload("thumb.jpg"))
    assert set(reply) == {"type", "thumb_media_id", "created_at"}
    link = backend.upload_article_image(DEMO_APPID, upload("image.png"))
    assert str(link).startswith("/mmbiz/")
    assert staged(tmp_path) == []
