"""Malformed settings are usage errors (exit 2) or invalid input (exit 3) naming their source."""

from __future__ import annotations

import pytest

from .conftest import Home, Run

SECRET = "s3cr3t-0123456789abcdef0123456789"
LONG = "x" * 100_000


def _refused(result: object, code: int, *names: str) -> None:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    err: str = result.stderr  # type: ignore[attr-defined]
    assert "unexpected" not in err
    assert "Traceback" not in err
    assert len(err) < 2000  # a 100 KB value is not repeated whole
    for name in names:
        assert name in err


@pytest.mark.parametrize("appid", ["wx 1", LONG, "wx\x1b[2J", ""])
def test_a_bad_appid_flag_is_a_usage_error(wxm: Run, appid: str) -> None:
    result = wxm("--appid", appid, "--secret", SECRET, "count")

    if appid:
        _refused(result, 2, "--appid", "hint:")
    else:
        _refused(result, 2)  # empty: no appid at all


def test_a_bad_appid_in_the_environment_names_the_variable(
    wxm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECHAT_APPID", LONG)
    monkeypatch.setenv("WECHAT_SECRET", SECRET)

    _refused(wxm("count"), 2, "WECHAT_APPID", "100000 characters")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WECHAT_SECRET", "has spaces in it"),
        ("WECHAT_BASE_URL", "ftp://x"),
        ("WECHAT_BASE_URL", "http://"),
    ],
)
def test_garbage_environment_variables_are_named(
    wxm: Run, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("WECHAT_APPID", "wx1111111111111111")
    monkeypatch.setenv("WECHAT_SECRET", SECRET)
    monkeypatch.setenv(variable, value)

    _refused(wxm("count"), 2, variable)


def test_a_secret_is_never_repeated_in_its_error(wxm: Run) -> None:
    result = wxm("--appid", "wx1111111111111111", "--secret", "my secret value", "count")

    _refused(result, 2, "--secret")
    assert "my secret value" not in result.output


@pytest.mark.parametrize("url", ["notaurl", "http:///path", "https://host:99999", "http://a b"])
def test_a_bad_base_url_names_the_flag(wxm: Run, url: str) -> None:
    result = wxm("--appid", "wx1111111111111111", "--secret", SECRET, "--base-url", url, "count")

    _refused(result, 2, "--base-url", "http://127.0.0.1:8900")


def test_a_bad_sandbox_base_url_names_the_flag(wxm: Run) -> None:
    _refused(wxm("--sandbox", "--base-url", "notaurl", "count"), 2, "--base-url")


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--limit", "1e20"],
        ["ls", "--limit", "100000000000000000000"],
        ["draft", "ls", "--limit", "99999999999999999999999"],
        ["draft", "publish", "X", "--max-wait", "1e400"],
        ["draft", "publish", "X", "--max-wait", "nan"],
        ["news", "update", "X", "f.toml", "--index", "8"],
    ],
)
def test_numbers_out_of_range_are_usage_errors(on_sandbox: Run, args: list[str]) -> None:
    _refused(on_sandbox(*args), 2)


def test_a_bad_value_in_a_profile_is_invalid_input_naming_the_line(wxm: Run, home: Home) -> None:
    home.config_dir.mkdir(parents=True)
    home.config_file.write_text(
        'current = "prod"\n\n[profiles.prod]\nappid = "wx 1"\nsecret = "abcdefgh"\n'
    )
    home.config_file.chmod(0o600)

    _refused(wxm("count"), 3, f"{home.config_file}:4", "appid")


def test_config_set_checks_what_it_stores(wxm: Run, home: Home) -> None:
    bad_appid = wxm("config", "set", "prod", "--appid", "wx 1", "--secret", SECRET)
    bad_url = wxm(
        "config", "set", "p2", "--appid", "wx1", "--secret", SECRET, "--base-url", "notaurl"
    )

    _refused(bad_appid, 2, "--appid")
    _refused(bad_url, 2, "--base-url")
    assert not home.config_file.exists()


def test_a_garbage_profile_variable_is_named(wxm: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXM_PROFILE", LONG)

    _refused(wxm("count"), 2, "WXM_PROFILE")


def test_a_bad_profile_flag_is_named(wxm: Run) -> None:
    _refused(wxm("--profile", "no good", "count"), 2, "--profile")
