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
from wechat_material.backup import backup, restore
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import TARGET_APPID, TARGET_SECRET, kill_when, png, rows_in, start_job

pytestmark = pytest.mark.slow

IMAGES = 40
DRAFTS = 6
LISTS = ("/cgi-bin/material/batchget_material", "/cgi-bin/draft/batchget")
# The target's lists, read at most once per run: images in 2 pages of 20, voice,
# video and drafts in one each (4 kinds, at most 2 pages).
LIST_PAGES = 2 + 1 + 1 + 1


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


def list_calls(sandbox: Any) -> int:
    calls = sandbox.admin.counters(TARGET_APPID)
    return sum(calls.get(path, 0) for path in LISTS)


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
        sandbox.admin.reset_counters()
        process = start(sandbox, directory)
        kills += kill_when(process, lambda: rows_in(journal, done), target)
        assert list_calls(sandbox) <= LIST_PAGES  # each list read once, however it ended
    assert kills == 5  # each run got as far as its moment, then died

    process = start(sandbox, directory)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.strip() == "complete"

    # A run after all that finds everything done: it creates nothing, and says
    # exactly how many calls it made.
    sandbox.admin.reset_counters()
    with WeChatClient(TARGET_APPID, TARGET_SECRET, base_url=sandbox.base_url) as client:
        again = restore(client, directory, concurrency=3)
    calls = sandbox.admin.counters(TARGET_APPID)
    assert again.status == "complete", again.failures
    assert again.calls == sum(calls.values())
    assert calls.get("/cgi-bin/material/add_material", 0) == calls.get("/cgi-bin/draft/add", 0) == 0

    with WeChatClient(TARGET_APPID, TARGET_SECRET, base_url=sandbox.base_url) as target:
        names = [item.name for item in target.material.stream_get_material("image")]
        drafts = [d.content.articles[0].title for d in target.draft.stream(no_content=True)]
    assert sorted(names) == sorted(f"p{i}.png" for i in range(IMAGES))  # each once, as named
    assert sorted(drafts) == sorted(f"D{i}" for i in range(DRAFTS))


def test_a_rerun_after_a_kill_before_the_journal_reconciles_by_name_and_content(
    backed_up: tuple[Any, Path],
) -> None:
    """The journal lost (a crash before it was written, or a copy): the target's lists tell."""
    sandbox, directory = backed_up
    process = start(sandbox, directory)
    journal = directory / "restore" / f"{TARGET_APPID}.sqlite3"
    assert kill_when(process, lambda: rows_in(journal, "SELECT count(*) FROM done"), 10)
    for leftover in (directory / "restore").iterdir():
        leftover.unlink()
    sandbox.admin.reset_counters()

    with WeChatClient(TARGET_APPID, TARGET_SECRET, base_url=sandbox.base_url) as client:
        summary = restore(client, directory, concurrency=3)
        names = [item.name for item in client.material.stream_get_material("image")]

    assert summary.status == "complete", summary.failures
    assert summary.steps["material"].adopted >= 1
    assert list_calls(sandbox) <= LIST_PAGES
    assert sorted(names) == sorted(f"p{i}.png" for i in range(IMAGES))
