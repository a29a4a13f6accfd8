"""Credentials from flags, environment and profiles; ``wxm token`` and ``wxm count``."""

from __future__ import annotations

from typing import Any

import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import Run, run_json

OTHER_APPID = "wx9999999999999999"
OTHER_SECRET = "99999999999999999999999999999999"


def test_token_is_masked_unless_raw(on_sandbox: Run) -> None:
    shown = on_sandbox("token")
    as_json = run_json(on_sandbox("token", "--json"))
    raw = on_sandbox("token", "--raw")

    assert shown.exit_code == 0, shown.output
    assert raw.exit_code == 0, raw.output
    token = raw.stdout.strip()
    assert len(token) > 32
    assert "\n" not in token
    assert token not in shown.output
    assert token[:4] in shown.stdout
    assert as_json["appid"] == DEMO_APPID
    assert token not in as_json["access_token"]
    assert 0 < as_json["expires_in"] <= 7200
    assert DEMO_SECRET not in shown.output + raw.output


def test_raw_token_in_json_for_scripts(on_sandbox: Run) -> None:
    data = run_json(on_sandbox("token", "--raw", "--json"))

    assert len(data["access_token"]) > 32
    assert "…" not in data["access_token"]


def test_count(on_sandbox: Run) -> None:
    data = run_json(on_sandbox("count", "--json"))
    table = on_sandbox("count")

    assert data == {"image_count": 0, "voice_count": 0, "video_count": 0, "news_count": 0}
    assert table.exit_code == 0
    assert "image" in table.stdout


def test_no_credentials_is_a_usage_error(wxm: Run) -> None:
    result = wxm("count")

    assert result.exit_code == 2
    assert "WECHAT_APPID" in result.stderr
    assert "--sandbox" in result.stderr
    assert "Traceback" not in result.output


def test_wrong_secret_is_an_api_error_without_the_secret(wxm: Run, sandbox: Any) -> None:
    wrong = "f" * 32
    result = wxm("--base-url", sandbox.base_url, "--appid", DEMO_APPID, "--secret", wrong, "count")

    assert result.exit_code == 1
    assert "40125" in result.stderr
    assert "hint:" in result.stderr
    assert wrong not in result.output
    assert "Traceback" not in result.output
    # One token call (wxm uses stable_token by default): a wrong secret is not retried.
    assert sandbox.admin.counters(DEMO_APPID) == {"/cgi-bin/stable_token": 1}


def test_environment_credentials(wxm: Run, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_APPID", DEMO_APPID)
    monkeypatch.setenv("WECHAT_SECRET", DEMO_SECRET)
    monkeypatch.setenv("WECHAT_BASE_URL", sandbox.base_url)

    result = wxm("--json", "token")

    assert result.exit_code == 0, result.output
    assert run_json(result)["appid"] == DEMO_APPID
    assert DEMO_SECRET not in result.output


def test_profile_credentials_and_flags_win(wxm: Run, sandbox: Any) -> None:
    sandbox.admin.add_account(OTHER_APPID, OTHER_SECRET)
    wxm(
        "config", "set", "demo", "--appid", DEMO_APPID, "--secret", DEMO_SECRET,
        "--base-url", sandbox.base_url, "--token-store", "memory",
    )  # fmt: skip
    wxm(
        "config", "set", "other", "--appid", OTHER_APPID, "--secret", OTHER_SECRET,
        "--base-url", sandbox.base_url, "--token-store", "memory",
    )  # fmt: skip

    current = run_json(wxm("token", "--json"))
    chosen = run_json(wxm("--profile", "other", "token", "--json"))
    flags = ("--appid", OTHER_APPID, "--secret", OTHER_SECRET)
    flagged = run_json(wxm("--profile", "demo", *flags, "token", "--json"))

    assert current["appid"] == DEMO_APPID  # the first profile became current
    assert chosen["appid"] == OTHER_APPID
    assert flagged["appid"] == OTHER_APPID


def test_file_token_store_reuses_the_token(wxm: Run, sandbox: Any, home: Any) -> None:
    wxm(
        "config", "set", "demo", "--appid", DEMO_APPID, "--secret", DEMO_SECRET,
        "--base-url", sandbox.base_url, "--token-store", "file",
    )  # fmt: skip

    first = wxm("token", "--raw")
    second = wxm("token", "--raw")

    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    token_file = home.data_dir / "tokens.json"
    assert token_file.stat().st_mode & 0o077 == 0
    assert sandbox.admin.counters(DEMO_APPID).get("/cgi-bin/stable_token", 0) == 1


def test_unknown_profile_flag_is_a_usage_error(wxm: Run) -> None:
    result = wxm("--profile", "missing", "count")

    assert result.exit_code == 2
    assert "missing" in result.stderr
