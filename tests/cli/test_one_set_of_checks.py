"""One rule per setting, wherever it is given; messages in the command line's terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import MEDIA, Home, Run, run_json

SECRET = "s" * 32


def test_config_set_refuses_the_appid_the_flag_refuses(wxm: Run, home: Home) -> None:
    stored = wxm("config", "set", "x", "--appid", "wx123", "--secret", SECRET)
    flagged = wxm("--appid", "wx123", "--secret", SECRET, "count")

    for result in (stored, flagged):
        assert result.exit_code == 2, result.output
        assert "--appid" in result.stderr
        assert "not a WeChat AppID" in result.stderr
    assert not home.config_file.exists()


def test_a_sandbox_takes_any_plain_account_name(wxm: Run, home: Home) -> None:
    stored = wxm("config", "set", "play", "--sandbox", "--appid", "demo", "--secret", SECRET)

    assert stored.exit_code == 0, stored.output


def test_a_profile_file_with_such_an_appid_is_refused_at_use(wxm: Run, home: Home) -> None:
    home.config_dir.mkdir(parents=True)
    home.config_file.write_text(
        f'current = "p"\n[profiles.p]\nappid = "wx123"\nsecret = "{SECRET}"\n'
    )
    home.config_file.chmod(0o600)

    result = wxm("count")

    assert result.exit_code == 3, result.output
    assert "profile 'p'" in result.stderr
    assert "not a WeChat AppID" in result.stderr


@pytest.mark.parametrize("bad", ["0", "-5", "nan", "inf", "soon", "7200"])
def test_a_timeout_is_checked_alike_as_flag_and_as_setting(
    wxm: Run, home: Home, bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = wxm("config", "set", "p", "--sandbox", "--timeout", bad)
    flagged = wxm("--timeout", bad, "--sandbox", "count")
    monkeypatch.setenv("WECHAT_TIMEOUT", bad)
    exported = wxm("--sandbox", "count")

    assert stored.exit_code == flagged.exit_code == exported.exit_code == 2
    assert "--timeout" in stored.stderr
    assert "--timeout" in flagged.stderr
    assert "WECHAT_TIMEOUT" in exported.stderr
    assert not home.config_file.exists()


def test_timeout_and_proxy_are_kept_in_the_profile(wxm: Run, home: Home) -> None:
    made = wxm(
        "config", "set", "p", "--sandbox", "--timeout", "40",
        "--proxy", "http://user:pw@127.0.0.1:3128", "--json",
    )  # fmt: skip
    shown = run_json(wxm("config", "show", "p", "--json"))
    saved = home.config_file.read_text()
    cleared = wxm("config", "set", "p", "--timeout", "", "--proxy", "")

    assert made.exit_code == 0, made.output
    assert shown["timeout"] == 40.0
    assert shown["proxy"] == "http://***@127.0.0.1:3128"  # the password is not shown
    assert "timeout = 40.0" in saved
    assert 'proxy = "http://user:pw@127.0.0.1:3128"' in saved  # mode 0600, as the secret
    assert cleared.exit_code == 0, cleared.output
    assert "timeout" not in home.config_file.read_text()
    assert "proxy" not in home.config_file.read_text()


def test_a_bad_timeout_in_the_file_names_its_line(wxm: Run, home: Home) -> None:
    home.config_dir.mkdir(parents=True)
    home.config_file.write_text('current = "p"\n[profiles.p]\nsandbox = true\ntimeout = "x"\n')
    home.config_file.chmod(0o600)

    result = wxm("count")

    assert result.exit_code == 3
    assert f"{home.config_file}:4" in result.stderr


def test_an_overlong_video_title_names_the_flag(on_sandbox: Run, sandbox: Any) -> None:
    result = on_sandbox(
        "upload", str(MEDIA / "video.mp4"), "--title", "t" * 80, "--intro", "about it"
    )

    assert result.exit_code == 3, result.output
    assert "--title" in result.stderr
    assert "title=" not in result.stderr
    assert sandbox.admin.counters("wx0123456789abcdef") == {}  # nothing was sent


def test_a_directory_given_as_a_file_says_so(wxm: Run, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()

    result = wxm("--sandbox", "upload", str(folder))

    assert result.exit_code == 3
    assert "photos is a directory, not a file" in result.stderr


def test_a_file_given_as_the_sandbox_data_dir_says_so(wxm: Run, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8")

    result = wxm("sandbox", "serve", "--data-dir", str(photo), "--port", "0")

    assert result.exit_code == 3
    assert "photo.jpg is a file, not a directory" in result.stderr
    assert photo.read_bytes() == b"\xff\xd8"


def test_a_host_that_does_not_resolve_is_named(wxm: Run) -> None:
    result = wxm("sandbox", "serve", "--host", "nohost.invalid", "--memory", "--port", "0")

    assert result.exit_code == 2
    assert "--host nohost.invalid" in result.stderr
    assert "does not resolve" in result.stderr
