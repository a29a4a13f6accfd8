"""kill -9 at random moments of a backup, then a rerun: complete, verified, nothing twice."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.store import ObjectStore, hash_file
from wechat_material.backup.verify import verify_backup
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import kill_when, png, rows_in, start_job

pytestmark = pytest.mark.slow

IMAGES = 60


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    with run_in_thread(SandboxConfig(seed=3)) as running:
        with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=running.base_url) as client:
            for i in range(IMAGES):
                client.material.add_material("image", png(i), f"p{i}.png")
            thumb = client.material.add_material("image", png(999), "cover.png").media_id
            for i in range(4):
                client.draft.add([{"title": f"D{i}", "thumb_media_id": thumb, "content": "x"}])
        running.admin.set_faults("/cgi-bin/material/get_material", latency_ms=40)
        yield running


def start(sandbox: Any, directory: Path) -> subprocess.Popen[str]:
    return start_job("backup", DEMO_APPID, DEMO_SECRET, sandbox.base_url, directory)


def objects_are_whole(directory: Path) -> None:
    """Every object under objects/ is complete: its name is its content's digest."""
    store = ObjectStore(directory)
    if not store.objects.exists():  # killed before the first run made it
        return
    for sub in store.objects.iterdir():
        for path in sub.iterdir():
            assert hash_file(path).sha256 == path.name


def test_kill_9_at_five_random_moments_then_a_rerun_finishes(
    slow_sandbox: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "bk"
    manifest = directory / "manifest.sqlite3"
    rng = random.Random(os.environ.get("KILL_SEED", 9))
    # Five moments, as rows recorded so far (of about 66): each run gets further.
    targets = sorted(rng.sample(range(1, IMAGES), 5))
    kills = 0
    for target in targets:
        process = start(slow_sandbox, directory)
        kills += kill_when(process, lambda: rows_in(manifest, "SELECT count(*) FROM items"), target)
        if manifest.exists():
            objects_are_whole(directory)
            report = verify_backup(directory)
            assert report.ok, report.damaged  # what a killed run recorded is whole
    assert kills == 5  # each run got as far as its moment, then died

    process = start(slow_sandbox, directory)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.strip() == "complete"

    report = verify_backup(directory)
    assert report.ok, report.damaged
    assert report.partial == []
    objects_are_whole(directory)
    with Manifest(directory) as manifest:
        images = [e.id for e in manifest.entries("image")]
        drafts = [e.id for e in manifest.entries("draft")]
    assert len(images) == len(set(images)) == IMAGES + 1
    assert len(drafts) == 4
