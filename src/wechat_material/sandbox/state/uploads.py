"""Judging an upload the way WeChat does, then copying its file into the blob store.

The rules themselves live in :mod:`wechat_material.checks` (shared with the
SDK); this adds what only a server sees: the ``type`` asked for, the filename
as sent, and the bytes. :func:`accept_file` does blocking I/O: the backend's
upload operations, which call it, run in a worker thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

from wechat_material._files import safe_filename
from wechat_material.checks import check_media, extension_format, video_description_problem
from wechat_material.limits import LIMITS, MaterialType, MediaFormat, MediaLimit, Target
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.blobs import BlobStore, StagedBlob

MAX_NAME_CHARS = 255
NOT_JSON: object = object()
"""A video's ``description`` that was sent but is not JSON (see :func:`video_description`)."""


@dataclass(frozen=True)
class Upload:
    """The file part of an upload form, as sent: its filename and its (spooled) bytes."""

    filename: str | None
    file: BinaryIO


@dataclass(frozen=True)
class AcceptedFile:
    """A file that passed every check, copied but not yet visible."""

    name: str
    format: MediaFormat
    staged: StagedBlob


def material_type(target: Target, name: str | None) -> MaterialType:
    """The ``type`` parameter; 40004 unless WeChat takes uploads of that type there."""
    try:
        type = MaterialType(name or "")
    except ValueError:
        raise SandboxError(40004, f"type {name!r} is not image, voice, video or thumb") from None
    if (target, type) not in LIMITS:
        raise SandboxError(40004, f"{type.value} cannot be uploaded here")
    return type


def video_description(described: object) -> tuple[str, str]:
    """``(title, introduction)`` of a permanent video from its ``description``, as
    parsed from the wire: None when it was not sent, :data:`NOT_JSON` when it is not
    JSON. 40097 when missing or not that JSON [assumed], 45003 / 45004 when too long
    [assumed]."""
    if described is None:
        raise SandboxError(40097, "a permanent video needs 'description' (form field or query)")
    if described is NOT_JSON:
        raise SandboxError(40097, "'description' must be JSON with title and introduction")
    title = described.get("title") if isinstance(described, dict) else None
    intro = described.get("introduction") if isinstance(described, dict) else None
    problem = video_description_problem(title, intro)
    if problem is not None:
        raise SandboxError(problem.errcode, problem.message)
    return str(title), str(intro)  # both checked to be text just above


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


def accept_file(limit: MediaLimit, upload: Upload | None, blobs: BlobStore) -> AcceptedFile:
    """Check a file against ``limit`` and stage it; SandboxError with WeChat's code otherwise.

    The order follows what WeChat reports first: no file or name (41005), an
    empty file (44001), a name whose extension does not fit (40005), then the
    content's format, size, wholeness (40005 when cut short) and duration.
    """
    if upload is None:
        raise SandboxError(41005, "the form has no file part of the expected name")
    name, file = safe_name(upload.filename), upload.file
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
