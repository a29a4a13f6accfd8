"""verify re-hashes everything; damage is reported, and an incremental run never trusts it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from wechat_material.backup import abackup
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.store import ObjectStore
from wechat_material.backup.verify import describe_backup, verify_backup

from .conftest import Library, Sandbox, png

pytestmark = pytest.mark.anyio


async def backed_up(sandbox: Sandbox, directory: Path) -> None:
    summary = await abackup(sandbox.client(), directory, concurrency=4)
    assert summary.status == "complete", summary.failures


def image_entry(directory: Path, media_id: str):  # type: ignore[no-untyped-def]
    with Manifest(directory) as manifest:
        return manifest.get("image", media_id)


async def test_an_intact_backup_verifies(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)

    report = verify_backup(tmp_path)

    assert report.ok, report.damaged
    assert report.checked_rows > len(library.images)
    assert report.partial == []
    assert report.unreferenced == []


async def test_a_truncated_file_is_reported_then_repaired_by_the_next_run(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    entry = image_entry(tmp_path, library.images[2])
    path = ObjectStore(tmp_path).path_of(entry.sha256)
    path.write_bytes(path.read_bytes()[:10])

    report = verify_backup(tmp_path)
    assert [(d.id, d.problem) for d in report.damaged] == [
        (library.images[2], f"its file has 10 bytes, not {entry.size}")
    ]

    summary = await abackup(sandbox.client(), tmp_path, concurrency=4)
    assert summary.kinds["image"].repaired == 1
    assert path.read_bytes() == png(2)
    assert verify_backup(tmp_path).ok


async def test_a_file_changed_in_place_is_reported(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    entry = image_entry(tmp_path, library.images[2])
    path = ObjectStore(tmp_path).path_of(entry.sha256)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))

    report = verify_backup(tmp_path)

    assert [(d.id, d.problem) for d in report.damaged] == [
        (library.images[2], "its file's content changed")
    ]


async def test_an_edited_manifest_row_is_reported_and_not_trusted(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as db:
        db.execute(
            "UPDATE items SET name = 'renamed.png' WHERE kind = 'image' AND id = ?",
            (library.images[4],),
        )

    report = verify_backup(tmp_path)
    assert [(d.id, d.problem) for d in report.damaged] == [
        (library.images[4], "the manifest row was changed after it was written")
    ]

    summary = await abackup(sandbox.client(), tmp_path, concurrency=4)
    assert summary.kinds["image"].repaired == 1
    assert image_entry(tmp_path, library.images[4]).name == "pic4.png"
    assert verify_backup(tmp_path).ok


async def test_a_missing_file_is_reported(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    entry = image_entry(tmp_path, library.images[3])
    ObjectStore(tmp_path).path_of(entry.sha256).unlink()

    assert [d.problem for d in verify_backup(tmp_path).damaged] == ["its file is missing"]


async def test_ls_summarises_by_kind(sandbox: Sandbox, library: Library, tmp_path: Path) -> None:
    await backed_up(sandbox, tmp_path)

    described = describe_backup(tmp_path)

    by_kind = {k.kind: k for k in described.kinds}
    assert by_kind["image"].items == len(library.images)
    assert by_kind["draft"].items == len(library.drafts)
    assert described.format_version == 1
    assert described.runs[-1]["status"] == "complete"


def test_a_directory_without_a_manifest_is_not_a_backup(tmp_path: Path) -> None:
    from wechat_material.backup import BackupFormatError

    with pytest.raises(BackupFormatError, match="not a backup"):
        verify_backup(tmp_path)
    assert not (tmp_path / "manifest.sqlite3").exists()


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    from wechat_material.backup import BackupFormatError

    Manifest(tmp_path).close()
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(BackupFormatError, match="upgrade"):
        verify_backup(tmp_path)
