"""A backup tampered with as an attacker would: nothing outside it, nothing damaged, leaves it.

Each row of the table damages one image of a backup. The manifest row is
re-sealed with a fresh checksum wherever the row is edited (anyone can compute
it), so what is tested is the rule about digests and files, not the checksum.
For each: ``verify`` reports the item; a restore uploads nothing from outside
the backup and nothing damaged, ends ``incomplete`` and names the item; the
next backup fetches the item again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from wechat_material import AsyncWeChatClient, MediaFile
from wechat_material.backup import abackup, arestore, verify_backup
from wechat_material.backup.manifest import Entry, Manifest
from wechat_material.backup.restore_job import BACKUP_AGAIN
from wechat_material.backup.store import DamagedObject, ObjectStore, UnsafeFolderError
from wechat_material.errors import ValidationError

from .conftest import TARGET_APPID, TARGET_SECRET, Library, Sandbox, png

pytestmark = pytest.mark.anyio

VICTIM = 2  # an image no article uses as its cover
PRIVATE = png(999)  # a file of the user's, outside the backup


@dataclass
class Scene:
    backup: Path
    outside: Path
    entry: Entry

    @property
    def store(self) -> ObjectStore:
        return ObjectStore(self.backup)

    @property
    def object(self) -> Path:
        return self.store.path_of(self.entry.sha256)

    def reseal(self, **changes: object) -> None:
        with Manifest(self.backup) as manifest:
            manifest.put(replace(self.entry, **changes), 0.0)  # type: ignore[arg-type]


def as_absolute_path(scene: Scene) -> str:
    scene.reseal(sha256=str(scene.outside / "private.png"))
    return "bad digest"


def as_dotdot_path(scene: Scene) -> str:
    scene.reseal(sha256="../" * 12 + str(scene.outside / "private.png").lstrip("/"))
    return "bad digest"


def as_63_characters(scene: Scene) -> str:
    scene.reseal(sha256=scene.entry.sha256[:63])
    return "bad digest"


def as_65_characters(scene: Scene) -> str:
    scene.reseal(sha256=scene.entry.sha256 + "0")
    return "bad digest"


def as_uppercase(scene: Scene) -> str:
    # The right bytes under the uppercase name: only the rule about digests refuses them.
    upper = scene.entry.sha256.upper()
    folder = scene.store.objects / upper[:2]
    folder.mkdir()
    shutil.copyfile(scene.object, folder / upper)
    scene.reseal(sha256=upper)
    return "bad digest"


def symlinked_object(scene: Scene) -> str:
    # A link to a copy of the very same bytes: a link is refused whatever it points at.
    same = scene.outside / "same.png"
    shutil.copyfile(scene.object, same)
    scene.object.unlink()
    scene.object.symlink_to(same)
    return "symlink"


def flipped_byte(scene: Scene) -> str:
    data = bytearray(scene.object.read_bytes())
    data[len(data) // 2] ^= 0x01
    scene.object.write_bytes(bytes(data))
    return "hash mismatch"


def truncated(scene: Scene) -> str:
    scene.object.write_bytes(scene.object.read_bytes()[:-7])
    return "size mismatch"


def deleted(scene: Scene) -> str:
    scene.object.unlink()
    return "missing"


def size_lies(scene: Scene) -> str:
    scene.reseal(size=scene.entry.size + 1)
    return "size mismatch"


TAMPERING: list[Callable[[Scene], str]] = [
    as_absolute_path,
    as_dotdot_path,
    as_63_characters,
    as_65_characters,
    as_uppercase,
    symlinked_object,
    flipped_byte,
    truncated,
    deleted,
    size_lies,
]


@pytest.fixture
async def scene(sandbox: Sandbox, library: Library, tmp_path: Path) -> Scene:
    backup = tmp_path / "backup"
    summary = await abackup(sandbox.client(), backup, concurrency=4)
    assert summary.status == "complete", summary.failures
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.png").write_bytes(PRIVATE)
    with Manifest(backup) as manifest:
        entry = manifest.get("image", library.images[VICTIM])
    assert entry is not None
    return Scene(backup, outside, entry)


async def target_images(client: AsyncWeChatClient) -> list[bytes]:
    contents = []
    async for item in client.material.stream_get_material("image"):
        got = await client.material.get_material(item.media_id)
        assert isinstance(got, MediaFile)
        contents.append(got.content)
    return contents


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda f: f.__name__)
async def test_verify_reports_the_tampered_item(
    scene: Scene, library: Library, tamper: Callable[[Scene], str]
) -> None:
    tamper(scene)

    report = verify_backup(scene.backup)

    assert not report.ok
    assert [d.id for d in report.damaged] == [library.images[VICTIM]]


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda f: f.__name__)
async def test_a_restore_uploads_nothing_outside_or_damaged_and_names_the_item(
    sandbox: Sandbox, scene: Scene, library: Library, tamper: Callable[[Scene], str]
) -> None:
    reason = tamper(scene)
    client = sandbox.client(TARGET_APPID, TARGET_SECRET)

    summary = await arestore(client, scene.backup, concurrency=4, kinds=("image",))

    assert summary.status == "incomplete"
    assert [f["id"] for f in summary.failures] == [library.images[VICTIM]]
    uploaded = await target_images(client)
    intact = {png(i) for i in range(len(library.images)) if i != VICTIM}
    assert set(uploaded) == intact
    assert PRIVATE not in uploaded
    with Manifest(scene.backup, readonly=True) as manifest:
        row = manifest.get("image", library.images[VICTIM])
    assert row is not None
    with pytest.raises(DamagedObject) as caught:
        scene.store.open_object(row.sha256, row.size)
    assert caught.value.reason == reason
    assert caught.value.permanent is True


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda f: f.__name__)
async def test_the_next_backup_fetches_the_tampered_item_again(
    sandbox: Sandbox, scene: Scene, library: Library, tamper: Callable[[Scene], str]
) -> None:
    tamper(scene)

    summary = await abackup(sandbox.client(), scene.backup, concurrency=4)

    assert summary.status == "complete", summary.failures
    assert summary.kinds["image"].repaired == 1
    assert summary.kinds["image"].unchanged == len(library.images) - 1
    with Manifest(scene.backup, readonly=True) as manifest:
        row = manifest.get("image", library.images[VICTIM])
    assert row is not None
    assert row.sha256 == hashlib.sha256(png(VICTIM)).hexdigest()
    assert not scene.object.is_symlink()
    assert scene.object.read_bytes() == png(VICTIM)
    assert (scene.outside / "private.png").read_bytes() == PRIVATE
    assert verify_backup(scene.backup).ok


async def test_an_objects_folder_linked_outside_is_read_from_by_no_one(
    sandbox: Sandbox, scene: Scene, library: Library
) -> None:
    # objects/ab -> a folder outside holding the right bytes under the right names.
    folder = scene.object.parent
    moved = scene.outside / folder.name
    shutil.move(folder, moved)
    folder.symlink_to(moved, target_is_directory=True)
    before = sorted(os.listdir(moved))
    with Manifest(scene.backup, readonly=True) as manifest:
        on_that_folder = {e.id for e in manifest.entries() if e.sha256.startswith(folder.name)}

    report = verify_backup(scene.backup)
    assert {d.id for d in report.damaged} == on_that_folder | {f"objects/{folder.name}"}
    client = sandbox.client(TARGET_APPID, TARGET_SECRET)
    summary = await arestore(client, scene.backup, concurrency=4, kinds=("image",))
    assert summary.status == "incomplete"
    assert library.images[VICTIM] in {f["id"] for f in summary.failures}
    assert all("outside" in f["error"] for f in summary.failures)
    with pytest.raises(UnsafeFolderError, match=f"objects/{folder.name} is a symbolic link"):
        await abackup(sandbox.client(), scene.backup, concurrency=4)
    assert sorted(os.listdir(moved)) == before  # nothing added or removed


async def test_a_linked_pages_folder_stops_the_backup_and_is_named(
    sandbox: Sandbox, scene: Scene
) -> None:
    pages = scene.backup / "articles" / "draft"
    shutil.rmtree(pages)
    elsewhere = scene.outside / "pages"
    elsewhere.mkdir()
    pages.symlink_to(elsewhere, target_is_directory=True)

    assert [(d.kind, d.id) for d in verify_backup(scene.backup).damaged] == [
        ("folder", "articles/draft")
    ]
    with pytest.raises(UnsafeFolderError, match="articles/draft is a symbolic link"):
        await abackup(sandbox.client(), scene.backup, concurrency=4)
    assert list(elsewhere.iterdir()) == []


async def test_a_linked_staging_folder_stops_the_backup(sandbox: Sandbox, scene: Scene) -> None:
    staging = scene.backup / ".tmp"
    shutil.rmtree(staging)
    elsewhere = scene.outside / "staging"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    staging.symlink_to(elsewhere, target_is_directory=True)

    with pytest.raises(UnsafeFolderError, match=r"\.tmp is a symbolic link"):
        await abackup(sandbox.client(), scene.backup, concurrency=4)
    assert [p.name for p in elsewhere.iterdir()] == ["keep.txt"]


async def test_a_linked_part_or_lock_file_is_never_written_through(
    sandbox: Sandbox, scene: Scene
) -> None:
    victim = scene.outside / "victim.txt"
    victim.write_text("untouched")
    (scene.backup / ".index.html.part").symlink_to(victim)

    summary = await abackup(sandbox.client(), scene.backup, concurrency=4)

    assert summary.status == "complete"
    assert victim.read_text() == "untouched"
    assert not (scene.backup / "index.html").is_symlink()


def fifo_object(scene: Scene) -> str:
    scene.object.unlink()
    os.mkfifo(scene.object)
    return "not a regular file"


async def test_a_fifo_in_place_of_an_object_is_never_opened(scene: Scene) -> None:
    # Opening a FIFO for reading would wait for a writer forever.
    reason = fifo_object(scene)

    with pytest.raises(DamagedObject) as caught:
        scene.store.open_object(scene.entry.sha256, scene.entry.size)

    assert caught.value.reason == reason
    assert [d.problem for d in verify_backup(scene.backup).damaged] == [
        "its file is not a regular file"
    ]


async def test_an_intact_object_is_read_from_its_start(scene: Scene) -> None:
    with scene.store.open_object(scene.entry.sha256, scene.entry.size) as file:
        assert file.read() == png(VICTIM)


async def test_a_linked_lock_file_is_refused_and_named(sandbox: Sandbox, scene: Scene) -> None:
    victim = scene.outside / "victim.txt"
    victim.write_text("untouched")
    (scene.backup / ".lock").unlink()
    (scene.backup / ".lock").symlink_to(victim)

    with pytest.raises(ValidationError, match=r"\.lock: it is a symbolic link"):
        await abackup(sandbox.client(), scene.backup, concurrency=4)
    assert victim.read_text() == "untouched"


async def test_a_row_edited_without_its_checksum_is_reported_by_the_restore(
    sandbox: Sandbox, scene: Scene, library: Library
) -> None:
    # The plainest tampering: the row changed, its checksum left as it was.
    with sqlite3.connect(scene.backup / "manifest.sqlite3") as db:
        db.execute(
            "UPDATE items SET sha256 = ? WHERE kind = 'image' AND id = ?",
            (str(scene.outside / "private.png"), library.images[VICTIM]),
        )
    client = sandbox.client(TARGET_APPID, TARGET_SECRET)

    summary = await arestore(client, scene.backup, concurrency=4, kinds=("image",))

    assert summary.status == "incomplete"
    (failure,) = summary.failures
    assert (failure["step"], failure["id"]) == ("material", library.images[VICTIM])
    assert failure["error"] == (
        "its backup is damaged: the manifest row was changed after it was written"
    )
    assert failure["permanent"] is True
    assert failure["hint"] == BACKUP_AGAIN
    assert PRIVATE not in await target_images(client)
