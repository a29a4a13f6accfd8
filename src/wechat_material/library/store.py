"""Content-addressed files of a backup: ``DIR/objects/ab/<sha256>``.

A file is named by the sha256 of its bytes, so one picture used by ten
articles is stored once, and a name can never point at other content.
Bytes arrive in ``DIR/.tmp/``; :meth:`ObjectStore.admit` hashes them, makes
them durable (fsync) and renames them into ``objects/`` (atomic on one file
system). Only then does the manifest get a row. ``.tmp/`` is emptied when a
run starts: whatever a killed run left there was never recorded.

The blocking parts (hashing, fsync) are plain functions, run on a worker
thread by the async code so that the event loop keeps serving other downloads.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

OBJECTS = "objects"
STAGING = ".tmp"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int


def hash_file(path: Path) -> Stored:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Stored(digest.hexdigest(), size)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ObjectStore:
    """The ``objects/`` and ``.tmp/`` folders of one backup directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.objects = directory / OBJECTS
        self.staging = directory / STAGING

    def prepare(self) -> int:
        """Make the folders and drop what an interrupted run left; returns how many files."""
        self.objects.mkdir(parents=True, exist_ok=True)
        left = 0
        if self.staging.exists():
            left = sum(1 for _ in self.staging.iterdir())
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        return left

    def path_of(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def relative(self, sha256: str) -> str:
        """The object's path relative to the backup directory, with ``/``."""
        return f"{OBJECTS}/{sha256[:2]}/{sha256}"

    def has(self, sha256: str, size: int) -> bool:
        """Whether the object is there with the expected size (cheap; ``verify`` re-hashes)."""
        try:
            return self.path_of(sha256).stat().st_size == size
        except OSError:
            return False

    def staging_path(self) -> Path:
        return self.staging / f"{secrets.token_hex(8)}.part"

    def admit(self, part: Path) -> Stored:
        """Hash a complete staged file and move it into ``objects/`` durably (blocking)."""
        stored = hash_file(part)
        target = self.path_of(stored.sha256)
        if self.has(stored.sha256, stored.size) and hash_file(target) == stored:
            part.unlink()  # the same content is already kept
            return stored
        with part.open("rb+") as file:
            os.fsync(file.fileno())
        target.parent.mkdir(exist_ok=True)
        os.replace(part, target)
        _fsync_directory(target.parent)
        return stored

    def admit_bytes(self, data: bytes) -> Stored:
        """Keep ``data`` (an article's JSON) as an object (blocking)."""
        part = self.staging_path()
        part.write_bytes(data)
        return self.admit(part)

    def unreferenced(self, referenced: set[str]) -> list[str]:
        """Objects that no manifest row names (left by a run killed before its row)."""
        found: list[str] = []
        if self.objects.exists():
            for sub in self.objects.iterdir():
                if sub.is_dir():
                    found.extend(p.name for p in sub.iterdir() if p.name not in referenced)
        return sorted(found)

    def staged(self) -> list[str]:
        if not self.staging.exists():
            return []
        return sorted(p.name for p in self.staging.iterdir())
