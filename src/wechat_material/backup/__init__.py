"""Back up a whole library, check the backup, and restore it into another account.

The core is async (:func:`backup_library`); the functions without ``a`` in
front are its blocking face, for a :class:`~wechat_material.WeChatClient`::

    from wechat_material import WeChatClient
    from wechat_material.backup import backup

    with WeChatClient.from_env() as client:
        summary = backup(client, "backup/", concurrency=16)
    print(summary.status, summary.totals().new)

The on-disk format is described in ``docs/backup-format.en.md``.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from wechat_material.backup.backup_job import (
        UNREACHABLE,
        BackupSummary,
        Progress,
        QuotaPlan,
        backup_library,
    )
    from wechat_material.backup.manifest import (
        FORMAT_VERSION,
        BackupFormatError,
        Entry,
        Manifest,
    )
    from wechat_material.backup.pacing import (
        DEFAULT_CONCURRENCY,
        AccountUnavailable,
        QuotaExhausted,
    )
    from wechat_material.backup.restore_job import NotRestorable, RestoreSummary, restore_library
    from wechat_material.backup.verify import VerifyReport, describe_backup, verify_backup
    from wechat_material.client import AsyncWeChatClient, WeChatClient
    from wechat_material.limits import LIST_KINDS

    abackup = backup_library
    arestore = restore_library

# Where each public name lives, imported when first used: ``wxm backup --help``
# and the constants its options show load neither httpx nor the client.
_WHERE: dict[str, tuple[str, str]] = {
    "LIST_KINDS": ("wechat_material.limits", "LIST_KINDS"),
    "UNREACHABLE": ("backup_job", "UNREACHABLE"),
    "BackupSummary": ("backup_job", "BackupSummary"),
    "Progress": ("backup_job", "Progress"),
    "QuotaPlan": ("backup_job", "QuotaPlan"),
    "backup_library": ("backup_job", "backup_library"),
    "abackup": ("backup_job", "backup_library"),
    "FORMAT_VERSION": ("manifest", "FORMAT_VERSION"),
    "BackupFormatError": ("manifest", "BackupFormatError"),
    "Entry": ("manifest", "Entry"),
    "Manifest": ("manifest", "Manifest"),
    "DEFAULT_CONCURRENCY": ("pacing", "DEFAULT_CONCURRENCY"),
    "AccountUnavailable": ("pacing", "AccountUnavailable"),
    "QuotaExhausted": ("pacing", "QuotaExhausted"),
    "NotRestorable": ("restore_job", "NotRestorable"),
    "RestoreSummary": ("restore_job", "RestoreSummary"),
    "restore_library": ("restore_job", "restore_library"),
    "arestore": ("restore_job", "restore_library"),
    "VerifyReport": ("verify", "VerifyReport"),
    "describe_backup": ("verify", "describe_backup"),
    "verify_backup": ("verify", "verify_backup"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = where
    full = module if module.startswith("wechat_material.") else f"{__name__}.{module}"
    value = getattr(importlib.import_module(full), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "DEFAULT_CONCURRENCY",
    "FORMAT_VERSION",
    "LIST_KINDS",
    "UNREACHABLE",
    "AccountUnavailable",
    "BackupFormatError",
    "BackupSummary",
    "Entry",
    "Manifest",
    "NotRestorable",
    "Progress",
    "QuotaExhausted",
    "QuotaPlan",
    "RestoreSummary",
    "VerifyReport",
    "abackup",
    "arestore",
    "backup",
    "backup_library",
    "describe_backup",
    "restore",
    "restore_library",
    "verify_backup",
]

T = TypeVar("T")


def run_with(client: WeChatClient, work: Callable[[AsyncWeChatClient], Awaitable[T]]) -> T:
    """Run async ``work`` on an async twin of ``client``, closed afterwards."""

    async def main() -> T:
        async with client.async_client() as twin:
            return await work(twin)

    return asyncio.run(main())


def backup(client: WeChatClient, directory: str | Path, **options: Any) -> BackupSummary:
    """Blocking :func:`backup_library` (same options) for a :class:`WeChatClient`."""
    from wechat_material.backup.backup_job import backup_library

    return run_with(client, lambda twin: backup_library(twin, directory, **options))


def restore(client: WeChatClient, directory: str | Path, **options: Any) -> RestoreSummary:
    """Blocking :func:`restore_library` (same options) into the account of ``client``."""
    from wechat_material.backup.restore_job import restore_library

    return run_with(client, lambda twin: restore_library(twin, directory, **options))
