"""``wxm config`` without a terminal, with a broken profile, with a readable file."""

from __future__ import annotations

import stat
import subprocess
import tomllib
from collections.abc import Callable

import pytest

from .conftest import Home, Run, run_json

SECRET = "s3cr3t-0123456789abcdef0123456789"
APPID = "wx1111111111111111"
Process = Callable[..., subprocess.CompletedProcess[str]]


def test_a_closed_stdin_is_a_clear_usage_error(wxm: Run, home: Home) -> None:
    result = wxm("config", "set", "prod", "--appid", APPID, input="")

    assert result.exit_code == 2
    assert "stdin is closed" in result.stderr
    assert "--secret-stdin" in result.stderr
    assert not home.config_file.exists()


@pytest.mark.slow
def test_a_real_process_with_dev_null_stdin_does_not_hang_or_warn(home: Home) -> None:
    from .conftest import WXM

    result = subprocess.run(
        [str(WXM), "config", "set", "prod", "--appid", APPID],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=home.env(),
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "GetPassWarning" not in result.stderr
    assert "--secret-stdin" in result.stderr


def test_secret_stdin_reads_the_first_line(wxm: Run, home: Home) -> None:
    result = wxm("config", "set", "prod", "--appid", APPID, "--secret-stdin", input=SECRET + "\n")

    assert result.exit_code == 0, result.output
    assert tomllib.loads(home.config_file.read_text())["profiles"]["prod"]["secret"] == SECRET
    assert SECRET not in result.output


def test_secret_and_secret_stdin_together_are_refused(wxm: Run) -> None:
    result = wxm("config", "set", "p", "--appid", APPID, "--secret", SECRET, "--secret-stdin")

    assert result.exit_code == 2


BROKEN = f"""current = "prod"

[profiles.prod]
appid = "{APPID}"
secret = "{SECRET}"

[profiles.old]
appid = "wx2222222222222222"
secret = "{SECRET}"
token_mode = "sometimes"
"""


@pytest.fixture
def broken(home: Home) -> Home:
    home.config_dir.mkdir(parents=True)
    home.config_file.write_text(BROKEN)
    home.config_file.chmod(0o600)
    return home


def test_one_broken_profile_does_not_block_the_others(wxm: Run, broken: Home) -> None:
    shown = run_json(wxm("config", "show", "prod", "--json"))
    listed = wxm("config", "list", "--json")

    assert shown["appid"] == APPID
    assert listed.exit_code == 0, listed.output
    profiles = {p["profile"]: p for p in run_json(listed)["profiles"]}
    assert profiles["prod"]["appid"] == APPID
    assert "token_mode" in profiles["old"]["error"]
    assert f"{broken.config_file}:10" in listed.stderr  # file and line of the bad field


def test_the_broken_profile_is_reported_with_file_and_line(wxm: Run, broken: Home) -> None:
    result = wxm("config", "show", "old")

    assert result.exit_code == 3
    assert f"{broken.config_file}:10" in result.stderr
    assert "token_mode" in result.stderr


def test_config_set_fixes_a_broken_profile_and_keeps_the_rest(wxm: Run, broken: Home) -> None:
    other = wxm("config", "set", "prod", "--token-store", "memory")
    assert other.exit_code == 0, other.output
    saved = tomllib.loads(broken.config_file.read_text())["profiles"]
    assert saved["old"]["token_mode"] == "sometimes"  # untouched: nothing is lost

    fixed = wxm("config", "set", "old", "--token-mode", "token")

    assert fixed.exit_code == 0, fixed.output
    saved = tomllib.loads(broken.config_file.read_text())["profiles"]
    assert saved["old"]["token_mode"] == "token"
    assert saved["old"]["appid"] == "wx2222222222222222"
    assert run_json(wxm("config", "show", "old", "--json"))["token_mode"] == "token"


def test_a_file_readable_by_others_is_read_with_a_warning_then_tightened(
    wxm: Run, home: Home
) -> None:
    assert wxm("config", "set", "prod", "--appid", APPID, "--secret", SECRET).exit_code == 0
    home.config_file.chmod(0o644)

    shown = wxm("config", "show", "--json")
    changed = wxm("config", "set", "prod", "--token-store", "memory")
    after = wxm("config", "show")

    assert shown.exit_code == 0
    assert run_json(shown)["appid"] == APPID
    assert "readable by other users" in shown.stderr
    assert "chmod 600" in shown.stderr
    assert changed.exit_code == 0, changed.output
    assert stat.S_IMODE(home.config_file.stat().st_mode) == 0o600
    assert "readable by other users" not in after.stderr
