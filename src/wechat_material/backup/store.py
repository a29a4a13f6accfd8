"""Content-addressed files of a backup: ``DIR/objects/ab/<sha256>``.

A file is named by the sha256 of its bytes, so one picture used by ten
articles is stored once, and a name can never point at other content.
Bytes arrive in ``DIR/.tmp/``; :meth:`ObjectStore.admit` hashes them, makes
them durable (fsync) and renames them into ``objects/`` (atomic on one file
system). Only then does the manifest get a row. ``.tmp/`` is emptied when a
run starts: whatever a killed run left there was never recorded.

Nothing read back is trusted. A digest from the manifest becomes a path only
when it is 64 lowercase hex digits; the path must stay inside ``objects/``
(links resolved) and name a regular file that is not a link itself (opened
with ``O_NOFOLLOW``); and the bytes are hashed before anyone uses them
(:meth:`ObjectStore.open_object`). Whatever fails is a :class:`DamagedObject`
that says why. Nothing is written through a link either: a folder of the
backup that is a symbolic link is refused (:func:`real_folder`), and files
are created with ``O_EXCL | O_NOFOLLOW``, readable by their owner only.

The blocking parts (hashing, fsync) are plain functions, run on a worker
thread by the async code so that the event loop keeps serving other downloads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wechat_material._files import confine
from wechat_material.errors import OutsideRootError, ValidationError

OBJECTS = "objects"
STAGING = ".tmp"
_CHUNK = 1 << 20
_DIGEST = re.compile(r"[0-9a-f]{64}")
FOLDER_MODE = 0o700
FILE_MODE = 0o600
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int


class DamagedObject(ValidationError):
    """A kept file that cannot be used as it is: its bytes never leave the backup.

    ``reason`` is one of :data:`DAMAGE_REASONS`; the message says it for people.
    A damaged object stays damaged however often a restore is run: ``permanent``.
    """

    permanent = True

    def __init__(self, message: str, *, reason: str, sha256: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.sha256 = sha256


def _damaged(sha256: str, message: str, reason: str) -> DamagedObject:
    return DamagedObject(message, reason=reason, sha256=sha256)


def edited_row(sha256: str) -> DamagedObject:
    """What a manifest row whose checksum no longer matches it is: nothing of it is used."""
    return _damaged(sha256, EDITED_ROW, "row changed")


EDITED_ROW = "the manifest row was changed after it was written"

DAMAGE_REASONS = (
    "row changed",
    "bad digest",
    "outside",
    "symlink",
    "missing",
    "not a regular file",
    "unreadable",
    "size mismatch",
    "hash mismatch",
)


class UnsafeFolderError(ValidationError):
    """A folder inside a backup is a symbolic link (or not a folder): nothing is written there."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


def valid_digest(sha256: object) -> bool:
    """Whether ``sha256`` is a sha256 as the backup writes it: 64 lowercase hex digits."""
    return isinstance(sha256, str) and _DIGEST.fullmatch(sha256) is not None


def real_folder(path: Path) -> Path:
    """``path`` as a folder of the backup, made (owner only) if missing; never a link.

    A link there would send what the backup writes somewhere else, so it is
    refused with an error that names it, as is anything that is not a folder.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        with contextlib.suppress(FileExistsError):  # made meanwhile: checked below
            path.mkdir(mode=FOLDER_MODE)
        info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFolderError(
            f"{path} is a symbolic link; a backup writes nothing through links: "
            "remove the link (or back up into a new folder)",
            path=path,
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolderError(
            f"{path} is not a folder; move it out of the backup and run again", path=path
        )
    return path


def create_file(path: Path) -> BinaryIO:
    """A new file at ``path``, readable by its owner only; an existing name or link is refused."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC
    fd = os.open(path, flags, FILE_MODE)
    return os.fdopen(fd, "w+b")


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the backup directory: two runs on one directory would undo each other."""
    try:
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT | NOFOLLOW | CLOEXEC, FILE_MODE)
    except OSError as exc:
        why = (
            "it is a symbolic link, which a backup never writes through; remove it"
            if exc.errno == errno.ELOOP
            else exc.strerror or str(exc)
        )
        raise ValidationError(f"cannot lock {directory / '.lock'}: {why}") from None
    with os.fdopen(fd, "r+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValidationError(
                f"{directory} is in use by another backup or restore; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _hash_open(file: BinaryIO) -> Stored:
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return Stored(digest.hexdigest(), size)


def hash_file(path: Path) -> Stored:
    with path.open("rb") as file:
        return _hash_open(file)


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
        self._intact: dict[str, int] = {}  # digests checked (or written) by this store

    def prepare(self) -> int:
        """Make the folders and drop what an interrupted run left; returns how many files.

        Every folder objects are written to is checked first: a link among
        them is an error that names it, before anything is written.
        """
        real_folder(self.objects)
        for sub in self.objects.iterdir():
            if len(sub.name) == 2:
                real_folder(sub)
        left = 0
        if os.path.lexists(self.staging):
            real_folder(self.staging)
            left = sum(1 for _ in self.staging.iterdir())
            shutil.rmtree(self.staging)
        real_folder(self.staging)
        return left

    def path_of(self, sha256: str) -> Path:
        """Where the object of a valid digest is kept (a bad digest is a :class:`DamagedObject`)."""
        if not valid_digest(sha256):
            raise DamagedObject(
                "its manifest row names its file by something that is not a sha256 "
                "(64 lowercase hex digits)",
                reason="bad digest",
                sha256=str(sha256),
            )
        return self.objects / sha256[:2] / sha256

    def relative(self, sha256: str) -> str:
        """The object's path relative to the backup directory, with ``/``."""
        self.path_of(sha256)
        return f"{OBJECTS}/{sha256[:2]}/{sha256}"

    def present(self, sha256: str, size: int) -> bool:
        """Whether a regular file of ``size`` bytes is kept for a valid digest (no hashing)."""
        try:
            info = os.lstat(self.path_of(sha256))
        except (OSError, DamagedObject):
            return False
        return stat.S_ISREG(info.st_mode) and info.st_size == size

    def open_object(self, sha256: str, size: int | None = None) -> BinaryIO:
        """The object of ``sha256``, open for reading at its start, its bytes checked (blocking).

        The digest must be valid, the path inside ``objects/`` with every link
        resolved, the file a regular file and no link (``O_NOFOLLOW``), of
        ``size`` bytes when given; then the open file is hashed to the end and
        must match. The caller reads the very file that was hashed (and closes
        it). Anything else is a :class:`DamagedObject` with its ``reason``.
        """
        path = self.path_of(sha256)
        damaged = functools.partial(_damaged, sha256)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise damaged("its file is missing", "missing") from None
        except OSError as exc:
            raise damaged(f"its file cannot be read: {exc.strerror}", "unreadable") from None
        if stat.S_ISLNK(info.st_mode):
            raise damaged("its file is a symbolic link, not a file of the backup", "symlink")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device is never opened
            raise damaged("its file is not a regular file", "not a regular file")
        try:
            confine(path, [self.objects])
        except OutsideRootError:
            raise damaged(
                f"its file resolves outside {self.objects} (a folder there is a link)", "outside"
            ) from None
        try:
            # Non-blocking: a FIFO swapped in after the check cannot hold the open.
            fd = os.open(path, os.O_RDONLY | NOFOLLOW | CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise damaged(
                    "its file is a symbolic link, not a file of the backup", "symlink"
                ) from None
            if exc.errno == errno.ENOENT:
                raise damaged("its file is missing", "missing") from None
            raise damaged(f"its file cannot be read: {exc.strerror}", "unreadable") from None
        file = os.fdopen(fd, "rb")
        try:
            found = self._check_open(file, sha256, size)
        except BaseException:
            file.close()
            raise
        self._intact[sha256] = found.size
        return file

    @staticmethod
    def _check_open(file: BinaryIO, sha256: str, size: int | None) -> Stored:
        damaged = functools.partial(_damaged, sha256)
        try:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise damaged("its file is not a regular file", "not a regular file")
            if size is not None and info.st_size != size:
                raise damaged(f"its file has {info.st_size} bytes, not {size}", "size mismatch")
            found = _hash_open(file)
            file.seek(0)
        except OSError as exc:
            raise damaged(f"its file cannot be read: {exc.strerror}", "unreadable") from None
        if size is not None and found.size != size:
            raise damaged(f"its file has {found.size} bytes, not {size}", "size mismatch")
        if found.sha256 != sha256:
            raise damaged("its file's content changed", "hash mismatch")
        return found

    def read_object(self, sha256: str, size: int | None = None) -> bytes:
        """The checked bytes of a (small) object: an article's JSON (blocking)."""
        with self.open_object(sha256, size) as file:
            return file.read()

    def check_object(self, sha256: str, size: int) -> None:
        """Raise :class:`DamagedObject` unless the object is intact (blocking; once per store)."""
        if self._intact.get(sha256) == size:
            return
        self.open_object(sha256, size).close()

    def intact(self, sha256: str, size: int) -> bool:
        """Whether the object can be trusted as it is (re-hashed once per store; blocking)."""
        try:
            self.check_object(sha256, size)
        except (DamagedObject, OSError):
            return False
        return True

    def staging_path(self) -> Path:
        return self.staging / f"{secrets.token_hex(8)}.part"

    def create_part(self, part: Path) -> BinaryIO:
        """The staged file ``part``, new (a retry starts it over), owner-only, never via a link."""
        part.unlink(missing_ok=True)
        return create_file(part)

    def admit(self, part: Path) -> Stored:
        """Hash a complete staged file and move it into ``objects/`` durably (blocking)."""
        stored = hash_file(part)
        target = self.path_of(stored.sha256)
        real_folder(target.parent)
        if self.intact(stored.sha256, stored.size):
            part.unlink()  # the same content is already kept
            return stored
        with part.open("rb+") as file:
            os.fsync(file.fileno())
        os.replace(part, target)  # a link or damaged file there is replaced, never followed
        _fsync_directory(target.parent)
        self._intact[stored.sha256] = stored.size
        return stored

    def admit_bytes(self, data: bytes) -> Stored:
        """Keep ``data`` (an article's JSON) as an object (blocking)."""
        part = self.staging_path()
        with self.create_part(part) as file:
            file.write(data)
        return self.admit(part)

    def unreferenced(self, referenced: set[str]) -> list[str]:
        """Objects that no manifest row names (left by a run killed before its row)."""
        found: list[str] = []
        if self.objects.is_dir():
            for sub in self.objects.iterdir():
                if sub.is_dir() and not sub.is_symlink():
                    found.extend(p.name for p in sub.iterdir() if p.name not in referenced)
        return sorted(found)

    def staged(self) -> list[str]:
        if not self.staging.is_dir() or self.staging.is_symlink():
            return []
        return sorted(p.name for p in self.staging.iterdir())
