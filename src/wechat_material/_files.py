"""Files on disk: names that are safe to send and save under, and atomic writes.

A file saved here either appears complete or not at all: the bytes go to a
hidden temporary file in the target directory, which is renamed over the
target (``os.replace``, atomic on one file system) once everything is
written. On any error, or Ctrl-C, the temporary file is deleted: no
half-written file is ever left behind under the final name or beside it.
"""

from __future__ import annotations

import email.message
import os
import secrets
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from wechat_material.errors import ValidationError


def safe_filename(name: str) -> str | None:
    """``name`` reduced to a plain file name, or None if nothing usable is left.

    Directory parts and control characters are dropped, and ``.``/``..`` refused,
    so a name from a reply can never point outside the directory it is saved to.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", ".."):
        return None
    return base


def attachment_filename(content_disposition: str | None) -> str | None:
    """The safe file name a ``Content-Disposition`` header gives, if any."""
    if not content_disposition:
        return None
    header = email.message.Message()
    header["content-disposition"] = content_disposition
    name = header.get_filename()
    return safe_filename(name) if name else None


class AtomicFile:
    """A temporary file in ``directory`` that :meth:`commit` renames into place.

    >>> with AtomicFile(Path(".")) as part:
    ...     part.file.write(b"data")
    ...     part.commit(Path("out.bin"))
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._path = directory / f".wxm-{secrets.token_hex(6)}.part"
        # Created with the usual permissions (0o666 less the umask), like any
        # file the user saves; O_EXCL so that an existing file is never reused.
        fd = os.open(
            self._path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
        )
        self.file: BinaryIO = os.fdopen(fd, "w+b")
        self._done = False

    def commit(self, target: Path) -> Path:
        """Flush the data to disk and move it to ``target``; returns ``target``."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self._path, target)
        self._done = True
        return target

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if not self._done:
            self._path.unlink(missing_ok=True)
            self._done = True

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def prepare_target(path: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """The directory to write in and the file name asked for (None: the caller names it).

    ``path`` names a directory when it exists as one, or when it ends with a
    separator: then it is made if missing. Otherwise it is a file path, whose
    directory must exist. Anything else is a :class:`ValidationError`, raised
    before anything is written.
    """
    text = os.fspath(path)
    target = Path(text).expanduser()
    if text.endswith(("/", os.sep)):
        _make_directory(target, text)
        return target, None
    if target.is_dir():
        return target, None
    directory = target.parent
    if not directory.exists():
        raise ValidationError(
            f"cannot save to {text}: the directory {directory} does not exist "
            "(create it, or end the path with / to have it made)"
        )
    if not directory.is_dir():
        raise ValidationError(f"cannot save to {text}: {directory} is not a directory")
    return directory, target.name


def _make_directory(directory: Path, text: str) -> None:
    if directory.exists() and not directory.is_dir():
        raise ValidationError(f"cannot save to {text}: {directory} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a parent should be, no permission, ...
        raise ValidationError(
            f"cannot make the directory {directory}: {exc.strerror or exc}"
        ) from None
