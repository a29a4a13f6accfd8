"""Checking a backup (every file re-hashed) and summarising it, without the network.

:func:`verify_backup` trusts nothing: each row's own checksum, each file's
size and sha256. :func:`describe_backup` is the cheap look: counts and sizes
from the manifest, and its runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wechat_material.backup.manifest import KINDS, Manifest
from wechat_material.backup.pages import PAGES
from wechat_material.backup.store import (
    EDITED_ROW,
    OBJECTS,
    STAGING,
    DamagedObject,
    ObjectStore,
)
from wechat_material.errors import ValidationError


@dataclass
class Damage:
    kind: str
    id: str
    problem: str


@dataclass
class VerifyReport:
    directory: str
    checked_rows: int = 0
    checked_files: int = 0
    checked_bytes: int = 0
    damaged: list[Damage] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damaged

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _open(directory: str | Path) -> tuple[Path, Manifest]:
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise ValidationError(f"{path} is not a directory")
    return path, Manifest(path, readonly=True)


def verify_backup(directory: str | Path) -> VerifyReport:
    """Re-hash every file against the manifest; what is wrong, by row (blocking)."""
    path, manifest = _open(directory)
    store = ObjectStore(path)
    report = VerifyReport(str(path))
    checked: dict[tuple[str, int], str | None] = {}
    with manifest:
        entries = list(manifest.entries())
    for entry in entries:
        report.checked_rows += 1
        if not entry.intact:
            report.damaged.append(Damage(entry.kind, entry.id, EDITED_ROW))
            continue
        key = (entry.sha256, entry.size)
        if key not in checked:
            checked[key] = _check(store, entry.sha256, entry.size)
            if checked[key] is None:
                report.checked_files += 1
                report.checked_bytes += entry.size
        if (problem := checked[key]) is not None:
            report.damaged.append(Damage(entry.kind, entry.id, problem))
    report.damaged.extend(
        Damage("folder", str(link.relative_to(path)), LINKED_FOLDER)
        for link in linked_folders(path)
    )
    report.unreferenced = store.unreferenced({e.sha256 for e in entries})
    report.partial = store.staged()
    return report


LINKED_FOLDER = "it is a symbolic link: a backup writes nothing through links; remove it"


def linked_folders(directory: Path) -> list[Path]:
    """The folders of a backup that are links (the next backup refuses to write through them)."""
    found: list[Path] = []
    for name in (OBJECTS, STAGING, PAGES, "restore"):
        folder = directory / name
        if folder.is_symlink():
            found.append(folder)
        elif folder.is_dir():
            found.extend(sub for sub in sorted(folder.iterdir()) if sub.is_symlink())
    return found


def _check(store: ObjectStore, sha256: str, size: int) -> str | None:
    """What is wrong with an object, in the words the restore uses too (None: intact)."""
    try:
        store.check_object(sha256, size)
    except DamagedObject as exc:
        return str(exc)
    return None


DAMAGED_SUMMARY = "its summary in the manifest is damaged (unreadable); the items are not affected"


@dataclass
class KindSummary:
    kind: str
    items: int = 0
    gone: int = 0
    bytes: int = 0


@dataclass
class BackupDescription:
    directory: str
    appid: str
    format_version: int
    kinds: list[KindSummary]
    stored_bytes: int
    runs: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_backup(directory: str | Path) -> BackupDescription:
    """What a backup holds, by kind, and its runs (from the manifest alone)."""
    path, manifest = _open(directory)
    with manifest:
        meta = manifest.meta()
        entries = list(manifest.entries())
        runs = manifest.runs()
    kinds = {kind: KindSummary(kind) for kind in KINDS}
    unique: dict[str, int] = {}
    for entry in entries:
        summary = kinds.setdefault(entry.kind, KindSummary(entry.kind))
        summary.items += 1
        summary.gone += entry.gone_at is not None
        summary.bytes += entry.size
        unique[entry.sha256] = entry.size
    for run in runs:  # the summaries are long; ls shows what a person wants
        summary_of = run.pop("summary")
        run["ok"] = summary_of.get("ok") is True
        message = summary_of.get("message", "")
        run["message"] = message if isinstance(message, str) else ""
        if summary_of.get("damaged"):
            run["message"] = DAMAGED_SUMMARY
    return BackupDescription(
        directory=str(path),
        appid=meta.get("appid", ""),
        format_version=int(meta.get("format_version", "0")),
        kinds=list(kinds.values()),
        stored_bytes=sum(unique.values()),
        runs=runs,
    )
