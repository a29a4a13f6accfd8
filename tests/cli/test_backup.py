"""``wxm backup DIR``, ``wxm backup verify DIR`` and ``wxm backup ls DIR``."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.store import ObjectStore
from wechat_material.backup.verify import DAMAGED_SUMMARY
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json, stdout_json


@pytest.fixture
def stocked(sandbox: Any) -> list[str]:
    """Three images, a voice and a draft on the sandbox's demo account."""
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        ids = [
            client.material.add_material("image", (MEDIA / name).read_bytes(), name).media_id
            for name in ("image.jpg", "image.png", "image.gif")
        ]
        client.material.add_material("voice", (MEDIA / "voice-2s.mp3").read_bytes())
        client.draft.add([{"title": "Hi", "thumb_media_id": ids[0], "content": "<p>x</p>"}])
    return ids


def test_backup_prints_one_summary_document(
    on_sandbox: Run, stocked: list[str], tmp_path: Path
) -> None:
    result = on_sandbox("--json", "backup", str(tmp_path / "bk"), "--concurrency", "4")

    summary = run_json(result)
    assert summary["status"] == "complete"
    assert summary["kinds"]["image"]["new"] == 3
    assert summary["kinds"]["voice"]["new"] == 1
    assert summary["kinds"]["draft"]["new"] == 1
    assert any("temporary media" in line for line in summary["unreachable"])
    assert "API calls" in result.stderr
    assert (tmp_path / "bk" / "index.html").exists()


def test_a_second_backup_finds_everything_unchanged(
    on_sandbox: Run, stocked: list[str], tmp_path: Path
) -> None:
    run_json(on_sandbox("--json", "backup", str(tmp_path)))

    again = run_json(on_sandbox("--json", "backup", str(tmp_path)))

    assert again["kinds"]["image"] == {
        "new": 0,
        "changed": 0,
        "unchanged": 3,
        "repaired": 0,
        "failed": 0,
        "gone": 0,
    }


def test_backup_shows_a_table_without_json(
    on_sandbox: Run, stocked: list[str], tmp_path: Path
) -> None:
    result = on_sandbox("backup", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert "complete" in result.stdout
    assert "image" in result.stdout


def test_verify_passes_then_reports_damage(
    on_sandbox: Run, stocked: list[str], tmp_path: Path
) -> None:
    run_json(on_sandbox("--json", "backup", str(tmp_path)))
    assert run_json(on_sandbox("backup", "verify", str(tmp_path), "--json"))["ok"] is True

    with Manifest(tmp_path) as manifest:
        entry = manifest.get("image", stocked[1])
    assert entry is not None
    ObjectStore(tmp_path).path_of(entry.sha256).write_bytes(b"cut")

    result = on_sandbox("backup", "verify", str(tmp_path))
    assert result.exit_code == 1
    assert stocked[1] in result.stdout
    assert "damaged" in result.stderr


def test_ls_summarises_a_backup(on_sandbox: Run, stocked: list[str], tmp_path: Path) -> None:
    run_json(on_sandbox("--json", "backup", str(tmp_path)))

    described = run_json(on_sandbox("backup", "ls", str(tmp_path), "--json"))

    assert {k["kind"]: k["items"] for k in described["kinds"]}["image"] == 3
    assert described["appid"] == DEMO_APPID
    table = on_sandbox("backup", "ls", str(tmp_path))
    assert table.exit_code == 0
    assert "image" in table.stdout


def test_ls_reads_a_damaged_run_summary(
    on_sandbox: Run, stocked: list[str], tmp_path: Path
) -> None:
    run_json(on_sandbox("--json", "backup", str(tmp_path)))
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as db:
        db.execute("UPDATE runs SET summary = '{\"ok\": tru'")

    result = on_sandbox("backup", "ls", str(tmp_path), "--json")

    assert result.exit_code == 0, result.output
    assert stdout_json(result)["runs"][0]["message"] == DAMAGED_SUMMARY


def test_verify_names_a_linked_folder_and_says_to_remove_it(
    on_sandbox: Run, stocked: list[str], tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    run_json(on_sandbox("--json", "backup", str(backup)))
    shutil.rmtree(backup / "articles" / "draft")
    (tmp_path / "elsewhere").mkdir()
    (backup / "articles" / "draft").symlink_to(tmp_path / "elsewhere")

    result = on_sandbox("backup", "verify", str(backup))

    assert result.exit_code == 1
    assert "articles/draft" in result.stdout
    assert "remove the symbolic links" in result.stderr


def test_a_spent_daily_quota_exits_1_and_says_when_to_resume(
    on_sandbox: Run, sandbox: Any, stocked: list[str], tmp_path: Path
) -> None:
    sandbox.admin.set_quota(DEMO_APPID, "/cgi-bin/material/get_material", daily_limit=1)

    result = on_sandbox("--json", "backup", str(tmp_path), "-c", "1")

    assert result.exit_code == 1
    assert stdout_json(result)["status"] == "quota"
    assert "00:00 China time" in result.stderr


def test_unknown_types_are_a_usage_error(on_sandbox: Run, tmp_path: Path) -> None:
    result = on_sandbox("backup", str(tmp_path), "--types", "images")

    assert result.exit_code == 2
    assert "images" in result.stderr
    assert not list(tmp_path.iterdir())


def test_verify_of_a_directory_that_is_no_backup_is_refused(
    on_sandbox: Run, tmp_path: Path
) -> None:
    result = on_sandbox("backup", "verify", str(tmp_path))

    assert result.exit_code == 3
    assert "not a backup" in result.stderr


TARGET = ("wxfedcba9876543210", "fedcba9876543210fedcba9876543210")


def add_target_profile(wxm: Run, sandbox: Any) -> str:
    """A sandbox profile for a second account of the fixture sandbox.

    Made after the backup: the first profile made becomes the current one.
    """
    sandbox.admin.add_account(*TARGET)
    result = wxm(
        "config",
        "set",
        "target",
        "--appid",
        TARGET[0],
        "--secret",
        TARGET[1],
        "--sandbox",
        "--base-url",
        sandbox.base_url,
    )
    assert result.exit_code == 0, result.output
    return "target"


def test_restore_dry_run_then_restore_then_nothing_twice(
    on_sandbox: Run, wxm: Run, sandbox: Any, stocked: list[str], tmp_path: Path
) -> None:
    run_json(on_sandbox("--json", "backup", str(tmp_path)))
    add_target_profile(wxm, sandbox)

    plan = run_json(on_sandbox("--json", "restore", str(tmp_path), "--to", "target", "--dry-run"))
    assert plan["needed"]["/cgi-bin/material/add_material"] == 4
    assert plan["needed"]["/cgi-bin/draft/add"] == 1

    done = run_json(on_sandbox("--json", "restore", str(tmp_path), "--to", "target"))
    assert done["steps"]["material"]["created"] == 4
    assert done["steps"]["article"]["created"] == 1

    again = on_sandbox("restore", str(tmp_path), "--to", "target")
    assert again.exit_code == 0, again.output
    assert "complete" in again.stdout
    with WeChatClient(*TARGET, base_url=sandbox.base_url) as client:
        count = client.material.get_material_count()
        assert (count.image_count, count.voice_count) == (3, 1)
        assert client.draft.count() == 1


def test_restore_into_the_same_account_is_refused(
    on_sandbox: Run, stocked: list[str], wxm: Run, sandbox: Any, tmp_path: Path
) -> None:
    run_json(on_sandbox("--json", "backup", str(tmp_path)))
    wxm(
        "config",
        "set",
        "same",
        "--appid",
        DEMO_APPID,
        "--secret",
        DEMO_SECRET,
        "--sandbox",
        "--base-url",
        sandbox.base_url,
    )

    result = on_sandbox("restore", str(tmp_path), "--to", "same")

    assert result.exit_code == 3
    assert "another account" in result.stderr


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(
    on_sandbox: Run, stocked: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wechat_material.cli import backup as backup_command

    monkeypatch.setattr(backup_command, "PLAIN_EVERY", 0.0)  # a line per item

    result = on_sandbox("backup", str(tmp_path))

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if " items, " in line]
    assert lines
    assert lines[-1].startswith("6/6 items, ")  # 3 images, a voice, a draft and its cover
    assert "\x1b[" not in result.stderr  # no live display codes in a pipe
