"""A restore's result tells the truth, keeps names, and never makes a second copy."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from wechat_material import AsyncWeChatClient
from wechat_material.backup import AccountUnavailable, abackup, arestore
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.restore_job import TITLE_LIMIT, shorten
from wechat_material.backup.store import ObjectStore

from .conftest import TARGET_APPID, TARGET_SECRET, Library, Sandbox, png

pytestmark = pytest.mark.anyio

ADD = "/cgi-bin/material/add_material"
DRAFT_ADD = "/cgi-bin/draft/add"
UPLOADIMG = "/cgi-bin/media/uploadimg"
LISTS = ("/cgi-bin/material/batchget_material", "/cgi-bin/draft/batchget")


async def backed_up(sandbox: Sandbox, directory: Path) -> None:
    summary = await abackup(sandbox.client(), directory, concurrency=4)
    assert summary.status == "complete", summary.failures


def target(sandbox: Sandbox) -> AsyncWeChatClient:
    return sandbox.client(TARGET_APPID, TARGET_SECRET)


async def names_in(client: AsyncWeChatClient, kind: str) -> list[str]:
    return sorted([item.name async for item in client.material.stream_get_material(kind)])


def tamper(directory: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(directory / "manifest.sqlite3") as db:
        db.execute(sql, args)


async def test_a_restore_keeps_every_name(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    source = sandbox.client()
    client = target(sandbox)

    summary = await arestore(client, tmp_path, concurrency=4)

    assert summary.status == "complete", summary.failures
    for kind in ("image", "voice", "video"):
        assert await names_in(client, kind) == await names_in(source, kind)
    assert await names_in(client, "image") == [f"pic{i}.png" for i in range(5)]


async def test_a_row_whose_digest_no_longer_matches_makes_the_run_incomplete(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = sandbox.client()
    for i in range(6):
        await source.material.add_material("image", png(i), f"p{i}.png")
    await backed_up(sandbox, tmp_path)
    with Manifest(tmp_path, create=False) as manifest:
        victim = next(e for e in manifest.entries("image") if e.name == "p3.png")
    tamper(tmp_path, "UPDATE items SET sha256 = ? WHERE id = ?", "0" * 64, victim.id)

    summary = await arestore(target(sandbox), tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    assert summary.steps["material"].created == 5
    (failure,) = summary.failures
    assert failure["id"] == victim.id
    assert failure["name"] == "p3.png"
    assert failure["permanent"] is True
    assert "damaged" in failure["error"]
    assert "wxm backup" in failure["hint"]
    assert "wxm backup" in summary.hint
    assert "run the same command again" not in summary.hint
    assert await names_in(target(sandbox), "image") == [f"p{i}.png" for i in range(6) if i != 3]


async def test_a_deleted_object_is_named_and_nothing_is_uploaded_for_it(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    with Manifest(tmp_path, create=False) as manifest:
        voice = next(manifest.entries("voice"))
    ObjectStore(tmp_path).path_of(voice.sha256).unlink()
    client = target(sandbox)

    summary = await arestore(client, tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    assert [(f["step"], f["id"], f["permanent"]) for f in summary.failures] == [
        ("material", voice.id, True)
    ]
    assert "missing" in summary.failures[0]["error"]
    assert (await client.material.get_material_count()).voice_count == 0
    assert summary.steps["article"].created == 4  # the rest is there


async def test_restoring_a_copy_of_the_backup_into_the_same_target_creates_nothing(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path / "one")
    shutil.copytree(tmp_path / "one", tmp_path / "two")  # no journal yet: a plain copy
    first = await arestore(target(sandbox), tmp_path / "one", concurrency=4)
    assert first.status == "complete", first.failures
    await sandbox.admin.reset_counters()

    second = await arestore(target(sandbox), tmp_path / "two", concurrency=4)

    assert second.status == "complete", second.failures
    assert second.steps["material"].created == second.steps["article"].created == 0
    assert second.steps["material"].adopted == 7  # 5 images, a voice, a video
    assert second.steps["article"].adopted == 4
    calls = await sandbox.admin.counters(TARGET_APPID)
    assert calls.get(ADD, 0) == calls.get(DRAFT_ADD, 0) == calls.get(UPLOADIMG, 0) == 0
    client = target(sandbox)
    count = await client.material.get_material_count()
    assert (count.image_count, count.voice_count, count.video_count) == (5, 1, 1)
    assert await client.draft.count() == 4


async def test_an_item_of_the_same_name_but_other_bytes_is_not_adopted(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    await sandbox.client().material.add_material("image", png(1), "same.png")
    await backed_up(sandbox, tmp_path)
    client = target(sandbox)
    await client.material.add_material("image", png(2), "same.png")

    summary = await arestore(client, tmp_path, concurrency=4)

    assert summary.steps["material"].created == 1
    assert summary.steps["material"].adopted == 0
    assert await names_in(client, "image") == ["same.png", "same.png"]


async def test_the_summary_counts_every_call_the_server_counts(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    await sandbox.admin.reset_counters()

    summary = await arestore(target(sandbox), tmp_path, concurrency=4)

    calls = await sandbox.admin.counters(TARGET_APPID)
    assert summary.calls == sum(calls.values())
    # the lists were read once: three kinds of material and the drafts, one page each
    assert sum(calls.get(path, 0) for path in LISTS) == 4


async def test_a_title_the_draft_box_will_not_take_is_reported_not_restorable(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = sandbox.client()
    cover = await source.material.add_material("image", png(1), "cover.png")
    long_title = "一篇标题很长的旧图文" * 4  # 40 characters: news took up to 64
    await source.material.add_news(
        [{"title": long_title, "thumb_media_id": cover.media_id, "content": "<p>x</p>"}]
    )
    await backed_up(sandbox, tmp_path)
    client = target(sandbox)

    refused = await arestore(client, tmp_path, kinds=("news",))

    assert refused.status == "incomplete"
    (failure,) = refused.failures
    assert failure["permanent"] is True
    assert "--shorten-titles" in failure["hint"]
    assert f'the title "{long_title}" has 40 characters' in failure["error"]
    assert await client.draft.count() == 0

    cut = await arestore(client, tmp_path, kinds=("news",), shorten_titles=True)

    assert cut.status == "complete", cut.failures
    assert cut.shortened == [
        {"id": cut.shortened[0]["id"], "title": long_title, "shortened": long_title[:TITLE_LIMIT]}
    ]
    (draft,) = [d async for d in client.draft.stream()]
    assert draft.content.articles[0].title == long_title[:TITLE_LIMIT]


def test_a_title_is_cut_on_a_character_boundary() -> None:
    assert shorten("a" * 40) == "a" * TITLE_LIMIT
    assert shorten("short") == "short"
    # a base letter and its combining accent stay together
    accented = "a" * 31 + "e\u0301" + "tail"
    assert shorten(accented) == "a" * 31
    # an emoji joined by ZWJ is not split
    family = "b" * 30 + "\U0001f468\u200d\U0001f469" + "tail"
    assert shorten(family) == "b" * 30


async def test_a_target_that_gets_no_token_stops_the_restore_before_anything(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    wrong = sandbox.client(TARGET_APPID, "0" * 32)

    with pytest.raises(AccountUnavailable) as raised:
        await arestore(wrong, tmp_path)

    assert TARGET_APPID in str(raised.value)
    assert "0" * 32 not in str(raised.value)
    assert not (tmp_path / "restore").exists()
    with pytest.raises(AccountUnavailable):
        await arestore(wrong, tmp_path, dry_run=True)


async def test_a_cover_deleted_upstream_still_comes_with_its_draft(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = sandbox.client()
    cover = await source.material.add_material("image", png(7), "cover.png")
    await source.material.add_material("image", png(8), "gone.png")
    await source.draft.add([{"title": "Kept", "thumb_media_id": cover.media_id, "content": "x"}])
    await backed_up(sandbox, tmp_path)
    gone = [i async for i in source.material.stream_get_material("image") if i.name == "gone.png"]
    await source.material.del_material(gone[0].media_id)
    await source.material.del_material(cover.media_id)
    await backed_up(sandbox, tmp_path)  # both marked gone, kept in the backup
    client = target(sandbox)

    summary = await arestore(client, tmp_path, concurrency=4)

    assert summary.status == "complete", summary.failures
    (draft,) = [d async for d in client.draft.stream()]
    assert draft.content.articles[0].title == "Kept"
    assert await names_in(client, "image") == ["cover.png"]  # as the cover only


async def test_a_daily_quota_spent_mid_restore_stops_it_cleanly_and_a_rerun_finishes(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    await sandbox.admin.set_quota(TARGET_APPID, ADD, daily_limit=3)
    client = target(sandbox)
    running = asyncio.all_tasks()

    stopped = await arestore(client, tmp_path, concurrency=1)

    assert stopped.status == "quota"
    assert "45009" in stopped.message
    assert stopped.failures == []  # nothing counted as failed or lost: the quota ended it
    assert asyncio.all_tasks() - running == set()  # nothing of the run outlived it
    await sandbox.admin.set_quota(TARGET_APPID, ADD, daily_limit=100)

    resumed = await arestore(client, tmp_path, concurrency=4)

    assert resumed.status == "complete", resumed.failures
    count = await client.material.get_material_count()
    assert (count.image_count, count.voice_count, count.video_count) == (5, 1, 1)


async def test_an_article_whose_kept_json_is_garbled_is_named_damaged(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    with Manifest(tmp_path, create=False) as manifest:
        draft = next(manifest.entries("draft"))
    kept = ObjectStore(tmp_path).path_of(draft.sha256)
    kept.write_bytes(b"\xff" * draft.size)  # same size: only its hash tells
    client = target(sandbox)

    summary = await arestore(client, tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    (failure,) = summary.failures
    assert failure["id"] == f"draft:{draft.id}"
    assert failure["permanent"] is True
    assert failure["error"] == "its backup is damaged: its file's content changed"
    assert "wxm backup" in failure["hint"]
    assert await client.draft.count() == 3  # the other three articles


async def test_an_article_row_naming_a_sound_file_that_is_no_json_is_not_restorable(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    # The row is sealed anew and names an intact object: only reading it as JSON tells.
    await backed_up(sandbox, tmp_path)
    with Manifest(tmp_path, create=False) as manifest:
        draft = next(manifest.entries("draft"))
        picture = next(manifest.entries("image"))
        manifest.put(replace(draft, sha256=picture.sha256, size=picture.size), 0.0)
    client = target(sandbox)

    summary = await arestore(client, tmp_path, concurrency=4)

    assert summary.status == "incomplete"
    (failure,) = summary.failures
    assert failure["id"] == f"draft:{draft.id}"
    assert failure["permanent"] is True
    assert "is not readable JSON" in failure["error"]
    assert "wxm backup" in failure["hint"]
    assert await client.draft.count() == 3


async def test_a_target_whose_whitelist_leaves_this_machine_out_is_said_so(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await backed_up(sandbox, tmp_path)
    await sandbox.admin.set_whitelist(TARGET_APPID, ["203.0.113.9"])

    with pytest.raises(AccountUnavailable) as raised:
        await arestore(target(sandbox), tmp_path)

    assert "40164" in str(raised.value)
    assert "whitelist" in raised.value.hint
