"""Files on disk: names that are safe to save under, where a file may go, and atomic writes.

A file saved here either appears complete or not at all: the bytes go to a
hidden temporary file in the target directory, which is moved into place
once everything is written. On any error, or an interrupt, the temporary file
is deleted: no half-written file is ever left behind under the final name or
beside it; one left by a process that died anyway is swept away later.

What is never done: writing into something that is not a regular file (a
device, a FIFO, a socket: refused), replacing a file whose name came from the
server (a numbered name is taken instead), or replacing a file the caller
named when the caller said not to.
"""

from __future__ import annotations

import email.message
import errno
import os
import re
import secrets
import stat
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from wechat_material.errors import (
    FileTargetError,
    OutsideRootError,
    TargetExistsError,
    ValidationError,
)

NAME_MAX_BYTES = 200
"""The longest file name (UTF-8 bytes) chosen from a server's name; most file systems take 255."""

PART_PREFIX = ".wxm-"
PART_SUFFIX = ".part"
# Ours and only ours: the prefix, the writing process's id, 12 hex digits, the suffix.
# (Names without the id come from versions that did not record it.)
_PART_NAME = re.compile(r"\.wxm-(?:(\d{1,10})-)?[0-9a-f]{12}\.part")
STALE_PART_SECONDS = 3600
"""A temporary file untouched this long is an orphan (a live download writes all the time)."""

_SEPARATORS = ("/", "\\") if os.sep == "\\" else ("/",)
_MAX_NUMBERED = 10_000


# names --------------------------------------------------------------------


def safe_filename(
    name: str | None,
    *,
    max_bytes: int | None = NAME_MAX_BYTES,
    max_chars: int | None = None,
    keep_leading_dots: bool = False,
) -> str | None:
    """``name`` reduced to a plain, visible file name, or None if nothing usable is left.

    Directory parts are dropped, and so are control and format characters
    (Unicode category C: bidi overrides such as U+202E among them) and line or
    paragraph separators; ``.``/``..`` are refused. So a name from a reply can
    never point outside the directory it is saved to, nor hide what it is.
    Leading dots go too (``.bashrc`` → ``bashrc``: no hidden files) unless
    ``keep_leading_dots``. A name over ``max_bytes`` (UTF-8) or ``max_chars`` is
    cut on a character boundary, keeping its extension.
    """
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in "\u2028\u2029"
    )
    base = base.strip()
    if not keep_leading_dots:
        base = base.lstrip(". ")
    if base in ("", ".", ".."):
        return None
    if max_chars is not None:
        base = _shorten(base, lambda text: len(text) <= max_chars)
    if max_bytes is not None:
        base = _shorten(base, lambda text: len(text.encode("utf-8")) <= max_bytes)
    return base or None


def _shorten(name: str, fits: Callable[[str], bool]) -> str:
    if fits(name):
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 16 or not fits(dot + ext + "x"):
        stem, dot, ext = name, "", ""
    while stem and not fits(stem + dot + ext):
        stem = stem[:-1]
    return (stem.rstrip() + dot + ext) if stem else ""


def attachment_filename(content_disposition: str | None) -> str | None:
    """The safe file name a ``Content-Disposition`` header gives, if any."""
    if not content_disposition:
        return None
    header = email.message.Message()
    header["content-disposition"] = content_disposition
    name = header.get_filename()
    return safe_filename(name) if name else None


def numbered(name: str, number: int) -> str:
    """``photo.jpg`` → ``photo (2).jpg``: the name tried when ``name`` is taken."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({number})"
    return f"{stem} ({number}).{ext}"


# where a file goes ----------------------------------------------------------


@dataclass(frozen=True)
class SaveTarget:
    """Where to save: a directory, and the file name the caller gave (None: choose one)."""

    directory: Path
    name: str | None

    @property
    def path(self) -> Path | None:
        return self.directory / self.name if self.name is not None else None


def prepare_target(path: str | os.PathLike[str], *, overwrite: bool = True) -> SaveTarget:
    """Where ``path`` says to save a file, checked before anything is fetched.

    ``path`` names a directory when it is one (however it is spelled, or a
    link to one), or when it does not exist and ends with a separator: then it
    is made. Otherwise it names a file, whose directory must exist: a regular
    file (replaced, unless ``overwrite`` is False: :class:`TargetExistsError`),
    a link to one (the file it points to is replaced, the link stays) or
    nothing yet. Anything else (a device, a FIFO, a socket, a dangling link)
    is a :class:`FileTargetError`.
    """
    text = os.fspath(path)
    given = Path(text).expanduser()  # (a Path drops a trailing separator: text keeps it)
    if text.endswith(_SEPARATORS):
        return _directory_target(given, text)
    try:
        info = os.lstat(given)
    except (FileNotFoundError, NotADirectoryError):
        return _new_target(given, text)  # which says what is missing or not a directory
    except OSError as exc:  # a file where a parent directory should be, no permission...
        raise ValidationError(f"cannot save to {text}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(given)
        except OSError:
            raise FileTargetError(
                f"cannot save to {text}: it is a symbolic link to nothing "
                f"({os.readlink(given)}); remove it or give another path",
                path=text,
            ) from None
        given = Path(os.path.realpath(given))
    if stat.S_ISDIR(info.st_mode):
        return SaveTarget(given, None)
    if not stat.S_ISREG(info.st_mode):
        raise FileTargetError(
            f"cannot save to {text}: it is {_kind(info.st_mode)}, not a regular file; "
            "give a file or directory path",
            path=text,
        )
    if not overwrite:
        raise TargetExistsError(f"{text} already exists", path=text)
    return SaveTarget(given.parent, given.name)


def _directory_target(given: Path, text: str) -> SaveTarget:
    if given.exists() and not given.is_dir():
        raise ValidationError(f"cannot save to {text}: {given} is not a directory")
    try:
        given.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a parent should be, no permission, ...
        raise ValidationError(f"cannot make the directory {given}: {exc.strerror or exc}") from None
    return SaveTarget(given, None)


def _new_target(given: Path, text: str) -> SaveTarget:
    directory = given.parent
    if not directory.exists():
        raise ValidationError(
            f"cannot save to {text}: the directory {directory} does not exist "
            "(create it, or end the path with / to have it made)"
        )
    if not directory.is_dir():
        raise ValidationError(f"cannot save to {text}: {directory} is not a directory")
    return SaveTarget(directory, given.name)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


# confined reading ---------------------------------------------------------------

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# A FIFO opened to be checked must not wait for a writer first.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def confine(
    path: str | os.PathLike[str],
    roots: Sequence[str | os.PathLike[str]],
    *,
    base: str | os.PathLike[str] | None = None,
) -> Path:
    """``path`` resolved, when it lies inside one of ``roots``; nothing is opened.

    A relative path is taken from ``base`` (by default the first root); ``~``
    is not expanded. Every symlink, in the path and in the roots, is resolved
    first, so a link that points out of its folder is caught like ``../``. A
    root itself counts as inside. Raises :class:`OutsideRootError` naming the
    path as given.
    """
    if not roots:
        raise ValueError("confine() needs at least one root")
    given = os.fspath(path)
    if "\x00" in given:
        raise ValidationError(f"{given!a} holds a NUL character, which no file name may hold")
    resolved_roots = [Path(root).resolve() for root in roots]
    start = Path(base).resolve() if base is not None else resolved_roots[0]
    resolved = (start / given).resolve()
    for root in resolved_roots:
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    where = " or ".join(str(root) for root in resolved_roots)
    raise OutsideRootError(
        f"{given} is outside {where}",
        path=given,
        roots=tuple(str(root) for root in resolved_roots),
    )


def open_confined(
    path: str | os.PathLike[str],
    roots: Sequence[str | os.PathLike[str]],
    *,
    base: str | os.PathLike[str] | None = None,
) -> BinaryIO:
    """:func:`confine` ``path``, then open it for reading, never through a symlink.

    The last step of the path is opened without following a link (where the
    platform has ``O_NOFOLLOW``), so a link swapped in after the check is
    refused rather than followed, and what was opened must be a regular file.
    Raises :class:`OutsideRootError`, or :class:`ValidationError` for a missing
    file or one that is not a regular file, naming the path as given.
    """
    resolved = confine(path, roots, base=base)
    given = os.fspath(path)
    try:
        fd = os.open(resolved, os.O_RDONLY | _NOFOLLOW | _BINARY | _NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValidationError(f"{given} turned into a symbolic link as it was opened") from None
        reason = exc.strerror or type(exc).__name__
        raise ValidationError(f"{given}: {reason.lower()}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            what = kind if kind.startswith("not ") else f"{kind}, not a regular file"
            raise ValidationError(f"{given} is {what}")
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# atomic writes ----------------------------------------------------------------


class AtomicFile:
    """A temporary file in ``directory`` that :meth:`commit` moves into place.

    >>> with AtomicFile(Path(".")) as part:
    ...     part.file.write(b"data")
    ...     part.commit(Path("out.bin"))
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        sweep_stale_parts(directory)
        self.path = directory / f"{PART_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{PART_SUFFIX}"
        # Created with the usual permissions (0o666 less the umask), like any
        # file the user saves; O_EXCL so that an existing file is never reused.
        fd = os.open(
            self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
        )
        self.file: BinaryIO = os.fdopen(fd, "w+b")
        self._done = False

    def _finish_writing(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def commit(self, target: Path, *, replace: bool = True) -> Path:
        """Flush the data to disk and move it to ``target``; returns ``target``.

        ``replace``: an existing regular file there is replaced, keeping its
        permissions; otherwise an existing file is a :class:`TargetExistsError`.
        """
        self._finish_writing()
        if replace:
            self._replace(target)
        elif not _link_new(self.path, target):
            raise TargetExistsError(f"{target} already exists", path=target)
        self._finished()
        return target

    def commit_new(self, directory: Path, name: str) -> Path:
        """Move the data to ``directory/name``, or ``name (1)``... if taken; never replaces."""
        self._finish_writing()
        for number in range(_MAX_NUMBERED):
            target = directory / (numbered(name, number) if number else name)
            if _link_new(self.path, target):
                self._finished()
                return target
        raise FileTargetError(f"no free name like {name} in {directory}", path=directory / name)

    def _replace(self, target: Path) -> None:
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            info = None
        if info is not None:
            if not stat.S_ISREG(info.st_mode):  # changed since it was checked
                raise FileTargetError(
                    f"cannot save to {target}: it is {_kind(info.st_mode)}, not a regular file",
                    path=target,
                )
            os.chmod(self.path, stat.S_IMODE(info.st_mode))
        os.replace(self.path, target)

    def _finished(self) -> None:
        self.path.unlink(missing_ok=True)  # after a link(), the data has its second name
        self._done = True

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if not self._done:
            self.path.unlink(missing_ok=True)
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


# link() makes the second name only if it is free, atomically: two downloads
# can never both take it. Where links are not supported, an O_EXCL placeholder
# claims the name, then the data is moved over it.
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS, errno.EOPNOTSUPP}


def _link_new(source: Path, target: Path) -> bool:
    """Give ``source``'s file the name ``target`` if it is free; False if taken."""
    try:
        os.link(source, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    os.replace(source, target)
    return True


def sweep_stale_parts(directory: Path) -> None:
    """Delete temporary files an earlier download left in ``directory`` when it died.

    Only names of exactly our pattern, and only when the process that wrote
    one is gone (POSIX: its id is in the name) or it was not touched for
    :data:`STALE_PART_SECONDS`. Anything else is never deleted.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = _PART_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            writer = int(match[1]) if match[1] else None
            stale = now - info.st_mtime > STALE_PART_SECONDS
            orphan = stale or (writer is not None and not _process_alive(writer))
            if orphan and stat.S_ISREG(info.st_mode):
                os.unlink(entry.path)
        except OSError:
            continue  # gone already, or not ours to delete


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or sys.platform == "win32":
        return True  # ours; on Windows, os.kill would end the process, not probe it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True
