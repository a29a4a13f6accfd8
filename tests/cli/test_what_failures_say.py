"""What ``wxm`` prints, to the letter, for the failures and times a user reads most.

In-process (CliRunner), so that mutation testing of ``cli/`` can see them: the
error line of a WeChat error, a refused or silent server, the ``-v`` traceback,
the confirmation prompt, and the zone a listing's times are shown in.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wechat_material.cli.config import sandbox_data_dir
from wechat_material.sandbox import DEMO_APPID, DataDirLock

from .conftest import Run

IMAGE = Path(__file__).resolve().parent.parent / "media" / "image.jpg"
RID = r"rid [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}"


def _upload(on_sandbox: Run) -> str:
    result = on_sandbox("--json", "upload", str(IMAGE))
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["uploaded"][0]["media_id"])


def test_a_wechat_error_names_the_endpoint_the_errcode_its_meaning_and_the_rid(
    on_sandbox: Run,
) -> None:
    result = on_sandbox("get", "no-such-media-id")

    assert result.exit_code == 1
    first, second = result.stderr.splitlines()
    assert re.fullmatch(
        rf"error: /cgi-bin/material/get_material: WeChat error 40007 \(invalid media_id\), {RID}",
        first,
    ), first
    assert second.startswith("hint: the id is unknown, was deleted, or is temporary media")


def test_a_call_from_an_address_off_the_whitelist_says_which_address_and_how_to_go_on(
    on_sandbox: Run, sandbox: Any
) -> None:
    sandbox.admin.set_whitelist(DEMO_APPID, ["203.0.113.9"])

    result = on_sandbox("count")

    assert result.exit_code == 1
    first, second = result.stderr.splitlines()
    assert re.fullmatch(
        r"error: /cgi-bin/stable_token: WeChat error 40164 "
        rf"\(invalid ip, not in whitelist\), {RID}",
        first,
    ), first
    assert second == (
        "hint: WeChat saw the call come from 127.0.0.1: add it to the IP whitelist "
        "(公众平台 → 设置与开发 → 基本配置 → IP白名单); if the address changes (a laptop, "
        "a home line), call through a machine whose address is listed: --proxy URL, e.g. "
        "'ssh -D 1080 HOST', then --proxy socks5://127.0.0.1:1080."
    )


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that takes connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_refused_connection_says_which_settings_lead_elsewhere(
    wxm: Run, closed_port: int
) -> None:
    result = wxm("--sandbox", "--base-url", f"http://127.0.0.1:{closed_port}", "--json", "count")

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["errmsg"].startswith(f"could not connect to 127.0.0.1:{closed_port}: ")
    assert error["errmsg"].endswith("; check the network, --base-url or --proxy")
    assert (error["errcode"], error["hint"], error["exit_code"]) == (None, None, 1)
    assert result.stderr == f"error: {error['errmsg']}\n"


def test_a_server_that_stays_silent_says_how_to_wait_longer(wxm: Run, silent_port: int) -> None:
    base = f"http://127.0.0.1:{silent_port}"
    result = wxm("--sandbox", "--base-url", base, "--timeout", "0.2", "count")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert result.stderr.endswith(
        "; to wait longer, pass --timeout SECONDS, or set WECHAT_TIMEOUT or a profile's timeout\n"
    )
    assert result.stderr.count("\n") == 1  # one line, no hint


def test_verbose_shows_the_traceback_before_the_error_and_hides_the_secret(
    wxm: Run, closed_port: int
) -> None:
    secret = "s3cret-" + "9" * 25
    result = wxm(
        "-v",
        "--appid",
        "wx0123456789abcdef",
        "--secret",
        secret,
        "--base-url",
        f"http://127.0.0.1:{closed_port}",
        "count",
    )

    assert result.exit_code == 1
    traceback_at = result.stderr.index("Traceback (most recent call last):")
    error_at = result.stderr.index("\nerror: could not connect to 127.0.0.1:")
    assert traceback_at < error_at
    assert "wechat_material.errors.TransportError: could not connect" in result.stderr
    assert secret not in result.stderr
    # Python's own layout, line for line: the header, frames and the exception.
    shown = result.stderr[traceback_at:error_at].splitlines()
    assert shown[0] == "Traceback (most recent call last):"
    assert all(
        line.startswith(("  File ", "    ", "wechat_material.errors.")) or not line.strip()
        for line in shown[1:]
    ), shown


def test_quiet_failures_print_no_traceback(wxm: Run, closed_port: int) -> None:
    result = wxm("--sandbox", "--base-url", f"http://127.0.0.1:{closed_port}", "count")

    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("answer", ["y\n", "YES\n", "  Yes \n"])
def test_a_yes_in_any_case_or_padding_goes_ahead(on_sandbox: Run, answer: str) -> None:
    media_id = _upload(on_sandbox)

    result = on_sandbox("rm", media_id, input=answer)

    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Delete {media_id}? This cannot be undone. [y/N]: ")
    assert on_sandbox("get", media_id, "-o", "-").exit_code == 1  # gone


@pytest.mark.parametrize("answer", ["n\n", "\n", "yess\n", "o\n"])
def test_anything_else_is_no(on_sandbox: Run, answer: str) -> None:
    media_id = _upload(on_sandbox)

    result = on_sandbox("rm", media_id, input=answer)

    assert result.exit_code == 0
    assert result.stderr.endswith("[y/N]: nothing was deleted\n")
    assert _listed(on_sandbox) == [media_id]


def test_no_answer_at_all_stops_with_a_usage_error_on_a_line_of_its_own(on_sandbox: Run) -> None:
    media_id = _upload(on_sandbox)

    result = on_sandbox("rm", media_id, input="")

    assert result.exit_code == 2
    assert result.stderr == (
        f"Delete {media_id}? This cannot be undone. [y/N]: \n"
        "error: no answer to the confirmation (stdin is closed)\n"
        "hint: pass --yes to go ahead without asking.\n"
    )
    assert _listed(on_sandbox) == [media_id]


def _listed(on_sandbox: Run) -> list[str]:
    return [item["media_id"] for item in json.loads(on_sandbox("--json", "ls").stdout)["items"]]


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the local time zone (TZ) for the test; the one before comes back after."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    monkeypatch.setenv("COLUMNS", "250")  # the whole table, nothing cut
    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("UTC", "UTC"),
        ("Asia/Shanghai", "UTC+8"),
        ("Asia/Kolkata", "UTC+5:30"),
        ("Asia/Kathmandu", "UTC+5:45"),
        ("Etc/GMT+3", "UTC-3"),
        ("America/St_Johns", None),  # UTC-3:30 or -2:30, by the date
    ],
)
def test_a_listing_shows_local_time_and_names_its_zone(
    on_sandbox: Run, zone: Any, name: str, label: str | None
) -> None:
    _upload(on_sandbox)
    updated = datetime.fromisoformat(
        json.loads(on_sandbox("--json", "ls").stdout)["items"][0]["update_time"]
    )
    local = updated.astimezone(ZoneInfo(name))
    if label is None:
        minutes = int(local.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
        label = f"UTC-{-minutes // 60}:{-minutes % 60:02d}"
    zone(name)

    table = on_sandbox("ls").stdout

    assert f"{local:%Y-%m-%d %H:%M:%S} ({label})" in table


def test_utc_shows_every_time_in_utc_whatever_the_local_zone(on_sandbox: Run, zone: Any) -> None:
    _upload(on_sandbox)
    updated = datetime.fromisoformat(
        json.loads(on_sandbox("--json", "ls").stdout)["items"][0]["update_time"]
    )
    zone("Asia/Shanghai")

    table = on_sandbox("--utc", "ls").stdout

    assert f"{updated.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M:%S} (UTC)" in table
    assert "UTC+8" not in table


def test_a_terminal_too_narrow_for_any_table_gets_each_row_as_lines(
    on_sandbox: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(2):
        _upload(on_sandbox)
    items = json.loads(on_sandbox("--json", "--utc", "ls").stdout)["items"]
    monkeypatch.setenv("COLUMNS", "40")

    shown = on_sandbox("--utc", "ls").stdout

    rows = [
        f"type: image\nmedia id: {item['media_id']}\nname / titles: image.jpg\n"
        f"updated: {datetime.fromisoformat(item['update_time']):%Y-%m-%d %H:%M:%S} (UTC)\n"
        f"url: {item['url']}\n"
        for item in items
    ]
    assert shown == "\n".join(rows)  # one blank line between rows, none before or after


def test_a_json_error_document_is_indented_utf8_with_every_key(
    on_sandbox: Run, sandbox: Any
) -> None:
    sandbox.admin.set_whitelist(DEMO_APPID, ["203.0.113.9"])

    result = on_sandbox("--json", "count")

    document = json.loads(result.stdout)
    assert result.stdout == json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    assert list(document["error"]) == ["errcode", "errmsg", "hint", "exit_code"]
    assert "公众平台" in result.stdout  # as itself, not \u escapes
    assert document["error"]["errcode"] == 40164


def test_a_whitelist_refusal_that_names_no_address_still_says_what_to_do(
    on_sandbox: Run, sandbox: Any
) -> None:
    count = "/cgi-bin/material/get_materialcount"
    sandbox.admin.set_faults(count, error_rate=1.0, errcode=40164)  # an errmsg without the IP

    result = on_sandbox("count")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[1].startswith(
        "hint: WeChat saw the call come from this machine's address: add it to the IP whitelist"
    )


def test_an_embedded_sandbox_whose_data_is_in_use_names_the_process_holding_it(
    wxm: Run,
) -> None:
    directory = sandbox_data_dir()
    directory.mkdir(parents=True)
    with DataDirLock(directory):
        result = wxm("--sandbox", "count")

    assert result.exit_code == 3
    assert result.stderr.splitlines()[1:] == [
        f"error: the sandbox data in {directory} is in use by a running sandbox "
        f"(pid {os.getpid()})",
        "hint: talk to the running sandbox instead: wxm --sandbox --base-url "
        "http://127.0.0.1:8900 ... (the URL it printed); or stop it first.",
    ]


def test_a_reset_of_data_in_use_deletes_nothing_and_says_so(wxm: Run) -> None:
    directory = sandbox_data_dir()
    directory.mkdir(parents=True)
    (directory / "kept").write_text("x")
    with DataDirLock(directory):
        result = wxm("sandbox", "reset", "--yes")

    assert result.exit_code == 3
    assert result.stderr == (
        f"error: the sandbox data in {directory} is in use by a running sandbox\n"
        "hint: stop that sandbox first (Ctrl-C where it runs); nothing was deleted.\n"
    )
    assert (directory / "kept").read_text() == "x"


def test_a_command_s_help_ends_with_its_examples_one_per_paragraph(wxm: Run) -> None:
    result = wxm("config", "show", "--help")

    assert result.exit_code == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    start = lines.index("Examples")
    assert lines[start:] == [
        "Examples",
        "",
        "$ wxm config show",
        "",
        "$ wxm config show prod --json",
        "",
        "",
    ]


def test_a_post_that_cannot_be_read_says_to_fix_the_file(on_sandbox: Run, tmp_path: Path) -> None:
    result = on_sandbox("publish", str(tmp_path / "missing.md"))

    assert result.exit_code == 3
    assert result.stderr == (
        "error: missing.md cannot be read: No such file or directory\n"
        "hint: fix the article file; nothing was sent.\n"
    )


def test_a_backup_directory_that_is_not_one_is_refused_before_anything_is_sent(
    on_sandbox: Run, tmp_path: Path
) -> None:
    result = on_sandbox("backup", "verify", str(tmp_path / "nope"))

    assert result.exit_code == 3
    assert (
        result.stderr == f"error: {tmp_path / 'nope'} is not a directory\nhint: nothing was sent.\n"
    )
