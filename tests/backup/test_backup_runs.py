"""``wxm backup ls`` / ``describe_backup``: the runs of a backup, as recorded, in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from wechat_material.backup import abackup
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.verify import DAMAGED_SUMMARY, describe_backup

from .conftest import Library, Sandbox

pytestmark = pytest.mark.anyio


async def test_every_run_is_listed_in_order_with_its_times_status_and_outcome(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    client = sandbox.client()
    first = await abackup(client, tmp_path, concurrency=4)
    second = await abackup(client, tmp_path, concurrency=4)

    runs = describe_backup(tmp_path).runs

    assert [set(run) for run in runs] == [
        {"id", "started_at", "finished_at", "status", "ok", "message"}
    ] * 2
    assert [(run["id"], run["status"], run["ok"]) for run in runs] == [
        (1, "complete", True),
        (2, "complete", True),
    ]
    assert [run["message"] for run in runs] == [first.message, second.message]
    times = [t for run in runs for t in (run["started_at"], run["finished_at"])]
    assert times == sorted(times)
    assert all(isinstance(t, float) for t in times)


@pytest.mark.parametrize("stored", ["{not json", "[1, 2]", '"text"', 7, b"\xff{}"])
async def test_a_run_summary_that_is_not_a_json_object_reads_as_damaged(
    sandbox: Sandbox, library: Library, tmp_path: Path, stored: object
) -> None:
    await abackup(sandbox.client(), tmp_path, concurrency=4)
    with Manifest(tmp_path) as manifest:
        manifest._db.execute("UPDATE runs SET summary = ?", (stored,))

    [run] = describe_backup(tmp_path).runs

    assert (run["status"], run["ok"], run["message"]) == ("complete", False, DAMAGED_SUMMARY)
