"""Judging an uploaded file the way WeChat does, then copying it into the blob store.

The rules themselves live in :mod:`wechat_material.checks` (shared with the
SDK); this adds what only a server sees: the filename as sent, and the bytes.
The functions here do blocking I/O: routes run them in a worker thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

from wechat_material._files import safe_filename
from wechat_material.checks import check_media, extension_format
from wechat_material.limits import MediaFormat, MediaLimit
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.blobs import BlobStore, StagedBlob

MAX_NAME_CHARS = 255


@dataclass(frozen=True)
class AcceptedFile:
    """A file that passed every check, copied but not yet visible."""

    name: str
    format: MediaFormat
    staged: StagedBlob


def safe_name(filename: str | None) -> str:
    """The last path component of a sent filename, without control characters.

    ``../../etc/passwd`` → ``passwd``; ``C:\\photos\\猫.jpg`` → ``猫.jpg``. The name is
    only ever shown back (batchget ``name``), as sent otherwise (leading dots
    kept); files are stored by content hash.
    """
    name = safe_filename(filename, max_bytes=None, max_chars=MAX_NAME_CHARS, keep_leading_dots=True)
    return name or ""


def _size(file: BinaryIO) -> int:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def accept_file(
    limit: MediaLimit, filename: str | None, file: BinaryIO, blobs: BlobStore
) -> AcceptedFile:
    """Check a file against ``limit`` and stage it; SandboxError with WeChat's code otherwise.

    The order follows what WeChat reports first: no file or name (41005), an
    empty file (44001), a name whose extension does not fit (40005), then the
    content's format, size, wholeness (40005 when cut short) and duration.
    """
    name = safe_name(filename)
    if not name:
        raise SandboxError(41005, "the 'media' part has no filename")
    size = _size(file)
    if size == 0:
        raise SandboxError(44001, f"{name} is empty")
    ext = extension_format(name)
    if ext is None or ext not in limit.formats:
        raise SandboxError(40005, f"the extension of {name!r} does not fit {limit.describe()}")
    verdict = check_media(limit, file, size)
    if verdict.problem is not None:
        raise SandboxError(verdict.problem.errcode, f"{name}: {verdict.problem.message}")
    assert verdict.format is not None  # check_media refuses unknown formats
    return AcceptedFile(name, verdict.format, blobs.stage(file))
