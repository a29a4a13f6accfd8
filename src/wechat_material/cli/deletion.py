"""Deleting several things in one go: ask once, delete each, report each.

Used by ``wxm rm`` (material) and ``wxm draft rm`` (drafts). A failure on one
id does not stop the others; the exit code is that of the first failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from wechat_material.cli.context import Session
from wechat_material.cli.errors import Failure, failure_for
from wechat_material.cli.output import table
from wechat_material.cli.prompts import confirm


def delete_each(current: Session, ids: list[str], delete: Callable[[str], None], what: str) -> None:
    """Delete every id (going on past failures), report each, and exit with the first error."""
    out = current.output
    results: list[dict[str, Any]] = []
    exit_code = 0
    for media_id in ids:
        try:
            delete(media_id)
        except Exception as exc:  # reported per id; the others are still deleted
            failure = failure_for(exc)
            exit_code = exit_code or failure.exit_code
            out.failure(Failure(failure.exit_code, f"{media_id}: {failure.message}", failure.hint))
            results.append(
                {
                    "media_id": media_id,
                    "deleted": False,
                    "error": failure.message,
                    "errcode": getattr(exc, "errcode", None),
                }
            )
            continue
        results.append({"media_id": media_id, "deleted": True})
    rows = [(r["media_id"], "deleted" if r["deleted"] else r["error"]) for r in results]
    out.result({"results": results}, table(None, (what, "result"), rows))
    if exit_code:
        raise typer.Exit(exit_code)


def ask_or_stop(current: Session, ids: list[str], noun: str, yes: bool) -> bool:
    """True to go ahead: ``--yes``, or the user said yes."""
    current.connection()  # no credentials: say so before asking anything
    if yes:
        return True
    label = ids[0] if len(ids) == 1 else f"{len(ids)} {noun}s"
    if confirm(f"Delete {label}? This cannot be undone."):
        return True
    current.output.note("nothing was deleted")
    current.output.result({"results": [], "cancelled": True})
    return False
