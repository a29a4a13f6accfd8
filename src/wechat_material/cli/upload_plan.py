"""Checking files before an upload: every file, every problem, nothing sent yet.

``wxm upload`` and ``wxm image`` first check all their files with the SDK's own
check (:func:`wechat_material.uploads.prepare_upload`), so that one bad file
among twenty is reported before any of them is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from wechat_material.errors import MediaValidationError
from wechat_material.limits import LIMITS, MaterialType, Target
from wechat_material.mediainfo import detect_stream_format
from wechat_material.uploads import prepare_upload


class UploadType(StrEnum):
    """What ``--type`` accepts: a material type, or ``auto`` (from the file's content)."""

    AUTO = "auto"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    THUMB = "thumb"


# The types ``auto`` chooses between; a JPEG is an image, never a thumb, unless asked.
_AUTO_TYPES = (MaterialType.IMAGE, MaterialType.VOICE, MaterialType.VIDEO)


@dataclass(frozen=True)
class PlannedUpload:
    """A file that passed the checks, and what it will be uploaded as."""

    path: Path
    type: MaterialType
    size: int


@dataclass(frozen=True)
class Rejected:
    """A file that would be refused, and why."""

    path: Path
    reason: str


def detect_type(path: Path, target: Target) -> MaterialType | None:
    """The material type a file's content makes it, for ``--type auto``."""
    with path.open("rb") as file:
        fmt = detect_stream_format(file)
    if fmt is None:
        return None
    for kind in _AUTO_TYPES:
        limit = LIMITS.get((target, kind))
        if limit is not None and fmt in limit.formats:
            return kind
    return None


def _check_one(path: Path, wanted: UploadType, target: Target) -> PlannedUpload | Rejected:
    if not path.exists():
        return Rejected(path, "no such file")
    if not path.is_file():
        return Rejected(path, "not a regular file")
    try:
        kind = MaterialType(wanted.value) if wanted is not UploadType.AUTO else None
        if kind is None:
            kind = detect_type(path, target)
            if kind is None:
                accepted = sorted(
                    {f.value for k in _AUTO_TYPES for f in LIMITS[(target, k)].formats}
                )
                return Rejected(
                    path,
                    "not a recognised image, voice or video file "
                    f"(accepted: {', '.join(accepted)})",
                )
        checked = prepare_upload(path, filename=path.name, target=target, type=kind)
    except MediaValidationError as exc:
        return Rejected(path, _without_path(str(exc), path))
    except OSError as exc:
        return Rejected(path, exc.strerror or str(exc))
    size = checked.size
    checked.close()
    return PlannedUpload(path, kind, size)


def _without_path(message: str, path: Path) -> str:
    # The SDK names the file; the CLI prints the path itself in front of each reason.
    for prefix in (str(path), path.name):
        if message.startswith(prefix + " "):
            return message[len(prefix) + 1 :]
    return message


def check_files(
    paths: list[Path], wanted: UploadType, target: Target
) -> tuple[list[PlannedUpload], list[Rejected]]:
    """Every file checked: those that may be sent, and those that would be refused."""
    planned: list[PlannedUpload] = []
    rejected: list[Rejected] = []
    for path in paths:
        outcome = _check_one(path, wanted, target)
        if isinstance(outcome, Rejected):
            rejected.append(outcome)
        else:
            planned.append(outcome)
    return planned, rejected
