"""``wxm config``: profiles in a private TOML file, the secret never printed."""

from __future__ import annotations

import stat
import tomllib

from .conftest import Home, Run, run_json

SECRET = "s3cr3t-0123456789abcdef0123456789"


def test_set_writes_a_private_file_and_never_prints_the_secret(wxm: Run, home: Home) -> None:
    result = wxm("config", "set", "prod", "--appid", "wx1111111111111111", "--secret", SECRET)

    assert result.exit_code == 0, result.output
    mode = stat.S_IMODE(home.config_file.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(home.config_dir.stat().st_mode) & 0o077 == 0
    saved = tomllib.loads(home.config_file.read_text())
    assert saved["current"] == "prod"
    assert saved["profiles"]["prod"]["secret"] == SECRET
    assert SECRET not in result.output
    assert not list(home.config_dir.glob(".*tmp"))  # no temporary file left behind


def test_secret_is_asked_for_when_not_given(wxm: Run, home: Home) -> None:
    result = wxm("config", "set", "prod", "--appid", "wx1111111111111111", input=SECRET + "\n")

    assert result.exit_code == 0, result.output
    assert tomllib.loads(home.config_file.read_text())["profiles"]["prod"]["secret"] == SECRET
    assert SECRET not in result.output


def test_show_masks_the_secret(wxm: Run) -> None:
    wxm("config", "set", "prod", "--appid", "wx1111111111111111", "--secret", SECRET)

    shown = run_json(wxm("config", "show", "--json"))
    table = wxm("config", "show", "prod")

    assert shown["profile"] == "prod"
    assert shown["appid"] == "wx1111111111111111"
    assert shown["secret"].startswith(SECRET[:4])
    assert SECRET not in table.output
    assert "wx1111111111111111" in table.stdout


def test_list_and_use(wxm: Run) -> None:
    wxm("config", "set", "prod", "--appid", "wx1111111111111111", "--secret", SECRET)
    wxm("config", "set", "test", "--appid", "wx2222222222222222", "--secret", SECRET + "2")

    before = run_json(wxm("config", "list", "--json"))
    used = wxm("config", "use", "test")
    after = run_json(wxm("--json", "config", "list"))

    assert before["current"] == "prod"
    assert [p["profile"] for p in before["profiles"]] == ["prod", "test"]
    assert used.exit_code == 0
    assert after["current"] == "test"
    assert [p["current"] for p in after["profiles"]] == [False, True]
    assert SECRET not in wxm("config", "list").output


def test_set_keeps_other_settings_when_changing_one(wxm: Run, home: Home) -> None:
    wxm("config", "set", "prod", "--appid", "wx1111111111111111", "--secret", SECRET)

    result = wxm("config", "set", "prod", "--token-store", "redis://:pw@localhost:6379/0")

    assert result.exit_code == 0, result.output
    profile = tomllib.loads(home.config_file.read_text())["profiles"]["prod"]
    assert profile["secret"] == SECRET
    assert profile["token_store"] == "redis://:pw@localhost:6379/0"
    assert ":pw@" not in result.output  # a Redis password is a secret too


def test_unknown_profile_is_a_usage_error(wxm: Run) -> None:
    result = wxm("config", "use", "nope")

    assert result.exit_code == 2
    assert "nope" in result.stderr
    assert "Traceback" not in result.output


def test_bad_values_are_usage_errors(wxm: Run) -> None:
    base = ("--appid", "wx1", "--secret", "x" * 8)
    bad_store = wxm("config", "set", "p", *base, "--token-store", "s3")
    bad_name = wxm("config", "set", "no/slash", *base)
    bad_mode = wxm("config", "set", "p", *base, "--token-mode", "x")

    assert bad_store.exit_code == 2
    assert "redis://" in bad_store.stderr
    assert bad_name.exit_code == 2
    assert bad_mode.exit_code == 2


def test_a_broken_config_file_is_invalid_local_input(wxm: Run, home: Home) -> None:
    home.config_dir.mkdir(parents=True)
    home.config_file.write_text("current = [unclosed\n")

    result = wxm("config", "list")

    assert result.exit_code == 3
    assert str(home.config_file) in result.stderr
    assert "Traceback" not in result.output


def test_sandbox_profile_needs_no_secret(wxm: Run, home: Home) -> None:
    result = wxm("config", "set", "local", "--sandbox", "--base-url", "http://127.0.0.1:8900")

    assert result.exit_code == 0, result.output
    profile = tomllib.loads(home.config_file.read_text())["profiles"]["local"]
    assert profile["sandbox"] is True
    assert "secret" not in profile
