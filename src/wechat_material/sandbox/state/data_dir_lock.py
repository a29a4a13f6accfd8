"""One sandbox per data directory: an exclusive lock on ``DATA_DIR/lock``.

A sandbox keeps part of its state in memory (account status, IP whitelists,
quota limits) and clears the directory's ``tmp/`` at start, so two sandboxes
on one directory would overwrite each other's work and wipe each other's
uploads in flight. The sandbox therefore holds an exclusive ``flock`` on the
directory's ``lock`` file from start to close; a second one, in this process
or another, fails at start with :class:`SandboxInUseError`. The lock goes with
the process, so a crash never leaves a directory locked.

The file holds the holder's pid, for the error message only. POSIX only, like
:mod:`fcntl` (imported where used, so the package still imports elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

LOCK_NAME = "lock"


class SandboxInUseError(RuntimeError):
    """Another sandbox (in this process or another) holds the data directory.

    ``data_dir`` is the directory; ``pid`` the holder's process id when it
    could be read (None otherwise).
    """

    def __init__(self, data_dir: Path, pid: int | None = None) -> None:
        self.data_dir = data_dir
        self.pid = pid
        holder = f" (pid {pid})" if pid is not None else ""
        super().__init__(
            f"the sandbox data directory {data_dir} is in use by another process{holder}; "
            "stop it, or talk to it with --base-url URL"
        )


def _holder_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and text.isascii() else None


class DataDirLock:
    """The exclusive lock on a data directory, held until :meth:`release`.

    >>> with DataDirLock(Path("state")):   # SandboxInUseError when taken
    ...     ...
    """

    def __init__(self, data_dir: Path) -> None:
        import fcntl

        self.data_dir = data_dir
        path = data_dir / LOCK_NAME
        # A file object rather than a bare descriptor: should a sandbox never be
        # closed, the lock still goes when the object is garbage-collected.
        file = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600), "r+b")
        try:
            fd = file.fileno()
            os.fchmod(fd, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SandboxInUseError(data_dir, _holder_pid(fd)) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            file.close()
            raise
        self._file: BinaryIO | None = file

    @property
    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        """Let another sandbox use the directory (closing the file drops the lock)."""
        file, self._file = self._file, None
        if file is not None:
            file.close()

    def __enter__(self) -> DataDirLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def data_dir_in_use(data_dir: Path | str) -> bool:
    """Whether a running sandbox holds ``data_dir``.

    For tools that must not touch a live directory (``wxm sandbox reset``).
    To act on the directory with no sandbox starting meanwhile, hold it
    instead: ``with DataDirLock(path): ...`` (SandboxInUseError when in use).
    """
    import fcntl

    try:
        fd = os.open(Path(data_dir) / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False  # no sandbox ever ran there (or one from before the lock existed)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
    finally:
        os.close(fd)  # which drops the probe's own lock
