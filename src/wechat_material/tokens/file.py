"""Tokens in a JSON file: one token per slot, shared by every process on this host.

A client's slot is its scope key (appid, base URL digest, secret digest: see
:mod:`.scope`), so the file names no secret; a :class:`TokenManager` used on
its own keys by the appid it is given.

The file is private (mode 0600, in a directory created 0700), replaced
atomically on every change (readers never see half a file), and guarded by
``flock`` locks in files beside it. POSIX only (Linux, macOS).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from wechat_material.errors import TokenStoreError
from wechat_material.tokens.base import AccessToken

logger = logging.getLogger("wechat_material.tokens")

_FORMAT_VERSION = 1
# Slots (appids, scope keys) become part of lock file names: keep them to the
# characters WeChat uses in appids, plus the dots of scope keys.
_APPID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")


class FlockLock:
    """An exclusive ``flock`` on ``path`` (created 0600), held inside a ``with`` block.

    Each use opens its own descriptor, so threads of one process exclude each
    other as well as other processes do. The kernel drops the lock if the
    holder dies.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> FlockLock:
        import fcntl  # POSIX only; imported here so the package imports everywhere

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            raise TokenStoreError(
                f"cannot open the lock file {self.path}: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


class FileTokenStore:
    """A :class:`~wechat_material.tokens.base.TokenStore` in one JSON file.

    Several appids share the file. A missing file is an empty store; an
    unreadable or corrupt one is treated as empty (and logged) and replaced on
    the next save. Example::

        store = FileTokenStore("~/.config/wechat-material/tokens.json")
        manager = TokenManager(appid, fetch, store)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()
        self._data_lock = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    def load(self, appid: str) -> AccessToken | None:
        # Writers replace the file in one step, so reading needs no lock.
        return self._read().get(appid)

    def save(self, appid: str, token: AccessToken) -> None:
        _check_appid(appid)
        with self._failures("save the token"), self._locked_data():
            tokens = self._read()
            tokens[appid] = token
            self._write(tokens)

    def discard(self, appid: str, value: str) -> bool:
        """Delete the stored token only if it is still ``value``; True if deleted."""
        with self._failures("discard the token"), self._locked_data():
            tokens = self._read()
            current = tokens.get(appid)
            if current is None or current.value != value:
                return False
            del tokens[appid]
            self._write(tokens)
            return True

    def lock(self, appid: str) -> FlockLock:
        """The lock held while one process fetches this appid's token."""
        _check_appid(appid)
        with self._failures("create its directory"):
            self._ensure_directory()
        return FlockLock(self.path.with_name(f"{self.path.name}.{appid}.fetch.lock"))

    @contextlib.contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise TokenStoreError(
                f"the token file {self.path} could not {doing}: {exc.strerror or exc}"
            ) from exc

    def _locked_data(self) -> FlockLock:
        # Held only around read-modify-write, never while a token is fetched,
        # so one appid's slow fetch does not hold up another appid's save.
        self._ensure_directory()
        return FlockLock(self._data_lock)

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkdir's mode is filtered by the umask; the token directory is private.
            directory.chmod(0o700)

    def _read(self) -> dict[str, AccessToken]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            logger.warning("cannot read the token file %s (%s); treating it as empty", self, exc)
            return {}
        try:
            return _decode(raw)
        except ValueError as exc:
            logger.warning("the token file %s is corrupt (%s); treating it as empty", self, exc)
            return {}

    def _write(self, tokens: dict[str, AccessToken]) -> None:
        document = {
            "version": _FORMAT_VERSION,
            "tokens": {
                appid: {"access_token": token.value, "expires_at": token.expires_at}
                for appid, token in sorted(tokens.items())
            },
        }
        data = json.dumps(document, indent=2).encode()
        # mkstemp creates the file 0600: the token is never world-readable,
        # not even for a moment.
        fd, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(self.path.parent)


def _decode(raw: bytes) -> dict[str, AccessToken]:
    """The tokens in a token file; ValueError if it is not one."""
    try:
        document: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(document, dict) or not isinstance(document.get("tokens"), dict):
        raise ValueError("no 'tokens' object")
    tokens: dict[str, AccessToken] = {}
    for appid, entry in document["tokens"].items():
        value = entry.get("access_token") if isinstance(entry, dict) else None
        expires_at = entry.get("expires_at") if isinstance(entry, dict) else None
        if (
            not isinstance(value, str)
            or not value
            or not isinstance(expires_at, int | float)
            or isinstance(expires_at, bool)
        ):
            raise ValueError(f"a malformed entry for appid {appid!r}")
        tokens[appid] = AccessToken(value, float(expires_at))
    return tokens


def _check_appid(appid: str) -> None:
    if not _APPID.match(appid):
        raise ValueError(
            f"appid {appid!r} cannot be stored in a token file: use letters, digits, '_' or '-'"
        )


def _sync_directory(directory: Path) -> None:
    # Make the rename itself durable; some filesystems do not allow it.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
