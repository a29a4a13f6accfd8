"""``wxm restore``: an account it cannot reach, the profile it restores into, what it says."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.backup.manifest import Manifest
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json
from .test_backup import TARGET, add_target_profile


@pytest.fixture
def backed_up(on_sandbox: Run, sandbox: Any, tmp_path: Path) -> Path:
    """A backup of three images and a draft of the demo account."""
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        ids = [
            client.material.add_material("image", (MEDIA / name).read_bytes(), name).media_id
            for name in ("image.jpg", "image.png", "image.gif")
        ]
        client.draft.add([{"title": "Hi", "thumb_media_id": ids[0], "content": "<p>x</p>"}])
    directory = tmp_path / "bk"
    run_json(on_sandbox("--json", "backup", str(directory)))
    return directory


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error")]


def profile(wxm: Run, name: str, appid: str, secret: str, base_url: str) -> None:
    result = wxm(
        "config", "set", name, "--appid", appid, "--secret", secret,
        "--sandbox", "--base-url", base_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.timeout(120)
@pytest.mark.parametrize("dry_run", [False, True], ids=["restore", "dry-run"])
def test_an_unreachable_target_stops_at_once_with_one_line(
    wxm: Run,
    wxm_process: Callable[..., Any],
    backed_up: Path,
    dry_run: bool,
) -> None:
    profile(wxm, "down", *TARGET, f"http://127.0.0.1:{closed_port()}")

    result = wxm_process(
        "restore", str(backed_up), "--to", "down", *(["--dry-run"] if dry_run else []), timeout=60
    )

    assert result.returncode == 3, result.stderr
    (line,) = error_lines(result.stderr)
    assert TARGET[0] in line
    assert "cannot get an access token" in line
    assert "ConnectError" in line
    assert [x for x in result.stderr.splitlines() if not x.startswith(("error", "hint"))] == []
    assert not (backed_up / "restore").exists()


@pytest.mark.timeout(120)
def test_a_target_that_never_answers_gives_up_at_the_token_deadline(
    wxm: Run, wxm_process: Callable[..., Any], backed_up: Path
) -> None:
    from wechat_material.backup.pacing import TOKEN_DEADLINE

    with socket.socket() as silent:  # connections wait in its backlog, never answered
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        profile(wxm, "silent", *TARGET, f"http://127.0.0.1:{silent.getsockname()[1]}")

        result = wxm_process("restore", str(backed_up), "--to", "silent", timeout=60)

    assert result.returncode == 3, result.stderr
    (line,) = error_lines(result.stderr)
    assert TARGET[0] in line
    assert f"no answer within {TOKEN_DEADLINE:g} s" in line


@pytest.mark.timeout(120)
def test_a_wrong_secret_stops_at_once_with_one_line(
    wxm: Run, wxm_process: Callable[..., Any], sandbox: Any, backed_up: Path
) -> None:
    sandbox.admin.add_account(*TARGET)
    profile(wxm, "wrong", TARGET[0], "0" * 32, sandbox.base_url)

    result = wxm_process("restore", str(backed_up), "--to", "wrong", timeout=60)

    assert result.returncode == 3, result.stderr
    (line,) = error_lines(result.stderr)
    assert TARGET[0] in line
    assert "40125" in line or "40001" in line
    assert "0" * 32 not in result.stderr
    hint = [x for x in result.stderr.splitlines() if x.startswith("hint")]
    assert len(hint) == 1
    assert "secret" in hint[0]


@pytest.mark.timeout(120)
def test_a_backup_of_an_account_that_gets_no_token_stops_with_one_line(
    wxm: Run, wxm_process: Callable[..., Any], tmp_path: Path
) -> None:
    profile(wxm, "down", *TARGET, f"http://127.0.0.1:{closed_port()}")

    result = wxm_process("-p", "down", "backup", str(tmp_path / "bk"), timeout=60)

    assert result.returncode == 3, result.stderr
    (line,) = error_lines(result.stderr)
    assert TARGET[0] in line
    assert not (tmp_path / "bk").exists()


def test_to_names_the_target_even_with_the_source_in_the_environment(
    wxm: Run, sandbox: Any, backed_up: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_target_profile(wxm, sandbox)
    monkeypatch.setenv("WECHAT_APPID", DEMO_APPID)
    monkeypatch.setenv("WECHAT_SECRET", DEMO_SECRET)
    monkeypatch.setenv("WECHAT_BASE_URL", sandbox.base_url)

    result = wxm("--json", "restore", str(backed_up), "--to", "target")

    summary = run_json(result)
    assert (summary["source"], summary["target"]) == (DEMO_APPID, TARGET[0])
    with WeChatClient(*TARGET, base_url=sandbox.base_url) as client:
        assert client.material.get_material_count().image_count == 3
        assert client.draft.count() == 1


def test_a_flag_still_beats_the_named_profile(
    wxm: Run, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_target_profile(wxm, sandbox)
    monkeypatch.setenv("WECHAT_APPID", DEMO_APPID)
    monkeypatch.setenv("WECHAT_SECRET", DEMO_SECRET)

    named = run_json(wxm("--json", "-p", "target", "token"))
    flagged = run_json(
        wxm("--json", "-p", "target", "--appid", DEMO_APPID, "--secret", DEMO_SECRET, "token")
    )

    assert named["appid"] == TARGET[0]
    assert flagged["appid"] == DEMO_APPID


def test_an_incomplete_restore_lists_what_is_missing_and_what_will_help(
    on_sandbox: Run, wxm: Run, sandbox: Any, backed_up: Path
) -> None:
    add_target_profile(wxm, sandbox)
    with Manifest(backed_up, create=False) as manifest:
        victim = next(e for e in manifest.entries("image") if e.name == "image.png")
    with sqlite3.connect(backed_up / "manifest.sqlite3") as db:
        db.execute("UPDATE items SET size = size + 1 WHERE id = ?", (victim.id,))

    result = on_sandbox("restore", str(backed_up), "--to", "target")

    assert result.exit_code == 1
    assert "incomplete" in result.stdout
    assert f"material {victim.id} (image.png) cannot be restored as it is" in result.stderr
    assert "wxm backup" in result.stderr
    assert "run the same command again" not in result.stderr


def test_shorten_titles_lists_each_title_it_cut(
    on_sandbox: Run, wxm: Run, sandbox: Any, tmp_path: Path
) -> None:
    long_title = "A legacy news title far longer than drafts take"
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        cover = client.material.add_material("image", (MEDIA / "image.png").read_bytes())
        article = {"title": long_title, "thumb_media_id": cover.media_id, "content": "<p>x</p>"}
        client.material.add_news([article])
    run_json(on_sandbox("--json", "backup", str(tmp_path)))
    add_target_profile(wxm, sandbox)

    refused = on_sandbox("restore", str(tmp_path), "--to", "target")
    cut = on_sandbox("restore", str(tmp_path), "--to", "target", "--shorten-titles")

    assert refused.exit_code == 1
    assert "--shorten-titles" in refused.stderr
    assert cut.exit_code == 0, cut.output
    assert f"{long_title} -> {long_title[:32].rstrip()}" in cut.stderr


def test_the_runs_timeout_and_proxy_reach_the_target_account(wxm: Run, sandbox: Any) -> None:
    from wechat_material.cli.backup import target_session
    from wechat_material.cli.connection import ConnectionOptions
    from wechat_material.cli.context import Session
    from wechat_material.cli.output import Output

    profile(wxm, "other", *TARGET, sandbox.base_url)
    given = ConnectionOptions(timeout="7", proxy="http://127.0.0.1:3128")
    target = target_session(Session(given, Output()), "other")

    assert (target.options.timeout, target.options.proxy) == ("7", "http://127.0.0.1:3128")
    assert target.connection().appid == TARGET[0]
    assert (target.connection().timeout, target.connection().proxy) == (
        7.0,
        "http://127.0.0.1:3128",
    )
