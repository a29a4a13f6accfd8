"""kill -9 at random moments of a restore, then a rerun: the target holds one copy of each."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.library import backup
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import TARGET_APPID, TARGET_SECRET, kill_when, png, rows_in, start_job

pytestmark = pytest.mark.slow

IMAGES = 40
DRAFTS = 6


@pytest.fixture
def backed_up(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    with run_in_thread(SandboxConfig(seed=4)) as running:
        running.admin.add_account(TARGET_APPID, TARGET_SECRET)
        with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=running.base_url) as client:
            ids = [
                client.material.add_material("image", png(i), f"p{i}.png").media_id
                for i in range(IMAGES)
            ]
            figure = client.material.upload_image(png(500), "fig.png").url
            for i in range(DRAFTS):
                content = f'<p>{i}</p><img src="{figure}">'
                client.draft.add([{"title": f"D{i}", "thumb_media_id": ids[i], "content": content}])
            summary = backup(client, tmp_path / "bk", concurrency=4)
            assert summary.status == "complete"
        running.admin.set_faults("/cgi-bin/material/add_material", latency_ms=40)
        running.admin.set_faults("/cgi-bin/draft/add", latency_ms=40)
        yield running, tmp_path / "bk"


def start(sandbox: Any, directory: Path) -> subprocess.Popen[str]:
    return start_job("restore", TARGET_APPID, TARGET_SECRET, sandbox.base_url, directory)


def test_kill_9_during_a_restore_then_a_rerun_makes_exactly_one_copy(
    backed_up: tuple[Any, Path],
) -> None:
    sandbox, directory = backed_up
    journal = directory / "restore" / f"{TARGET_APPID}.sqlite3"
    done = "SELECT count(*) FROM done WHERE state = 'done'"
    rng = random.Random(os.environ.get("KILL_SEED", 5))
    # Five moments, as items restored so far (of 47): each run gets further.
    targets = sorted(rng.sample(range(1, IMAGES), 5))
    kills = 0
    for target in targets:
        process = start(sandbox, directory)
        kills += kill_when(process, lambda: rows_in(journal, done), target)
    assert kills == 5  # each run got as far as its moment, then died

    process = start(sandbox, directory)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.strip() == "complete"

    with WeChatClient(TARGET_APPID, TARGET_SECRET, base_url=sandbox.base_url) as target:
        names = [item.name for item in target.material.stream_get_material("image")]
        drafts = [d.content.articles[0].title for d in target.draft.stream(no_content=True)]
    stems = sorted(name.split(".")[0] for name in names)
    assert stems == sorted(f"p{i}" for i in range(IMAGES))  # each once, none twice
    assert sorted(drafts) == sorted(f"D{i}" for i in range(DRAFTS))
