"""File contents, stored once per distinct content under their sha256.

In a data directory every blob is a file ``blobs/ab/abcdef…`` written
atomically (a temporary file in ``tmp/``, fsync, then ``os.replace``), so a
crash never leaves half a file under a real name. In memory they are bytes.
Writing is split in two: :meth:`BlobStore.stage` copies an upload (slow, done
outside the state lock) and :meth:`BlobStore.commit` makes it visible (fast,
done inside the same lock as the row that refers to it).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 256 * 1024


@dataclass(frozen=True)
class StagedBlob:
    """A copied upload that is not visible yet."""

    sha256: str
    size: int
    tmp_path: Path | None = None
    data: bytes | None = None


class BlobStore(ABC):
    """Content-addressed storage of media files."""

    in_memory: bool

    @abstractmethod
    def stage(self, src: BinaryIO) -> StagedBlob:
        """Copy ``src`` (from its current position to the end) and hash it."""

    @abstractmethod
    def commit(self, staged: StagedBlob) -> None:
        """Make a staged blob readable under its sha256."""

    @abstractmethod
    def discard(self, staged: StagedBlob) -> None:
        """Forget a staged blob that will not be committed."""

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The blob's content; ``FileNotFoundError`` when it is gone."""

    @abstractmethod
    def delete(self, sha256: str) -> None: ...

    @abstractmethod
    def clear(self) -> None: ...


class MemoryBlobStore(BlobStore):
    in_memory = True

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def stage(self, src: BinaryIO) -> StagedBlob:
        data = src.read()
        return StagedBlob(hashlib.sha256(data).hexdigest(), len(data), data=data)

    def commit(self, staged: StagedBlob) -> None:
        assert staged.data is not None
        self._blobs.setdefault(staged.sha256, staged.data)

    def discard(self, staged: StagedBlob) -> None:
        pass

    def open(self, sha256: str) -> BinaryIO:
        try:
            return io.BytesIO(self._blobs[sha256])
        except KeyError:
            raise FileNotFoundError(sha256) from None

    def delete(self, sha256: str) -> None:
        self._blobs.pop(sha256, None)

    def clear(self) -> None:
        self._blobs.clear()


class FileBlobStore(BlobStore):
    in_memory = False

    def __init__(self, root: Path) -> None:
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._blobs.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Anything left in tmp/ is an upload a crash interrupted: never committed.
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp.mkdir(mode=0o700, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        return self._blobs / sha256[:2] / sha256

    def stage(self, src: BinaryIO) -> StagedBlob:
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return StagedBlob(digest.hexdigest(), size, tmp_path=Path(name))

    def commit(self, staged: StagedBlob) -> None:
        assert staged.tmp_path is not None
        final = self._path(staged.sha256)
        if final.exists():
            staged.tmp_path.unlink(missing_ok=True)
            return
        final.parent.mkdir(mode=0o700, exist_ok=True)
        os.replace(staged.tmp_path, final)

    def discard(self, staged: StagedBlob) -> None:
        if staged.tmp_path is not None:
            staged.tmp_path.unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self._blobs, ignore_errors=True)
        self._blobs.mkdir(mode=0o700, parents=True, exist_ok=True)


@dataclass(frozen=True)
class StoredFile:
    """A file reply: which blob, and how to name it (``MEDIA_ID.ext``)."""

    media_id: str
    sha256: str
    size: int
    format: str
