"""Flags > environment > profile > defaults, on WeChat and on a sandbox alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wechat_material.cli.config import ConfigFile, Profile
from wechat_material.cli.connection import ConnectionOptions, resolve
from wechat_material.cli.errors import UsageProblem
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import Run, run_json

FLAG = ("wxf1a9f1a9f1a9f1a9", "flag-secret", "http://flag.example")
ENV = ("wxe0e0e0e0e0e0e0e0", "env-secret", "http://env.example")
PROF = ("wxb0b0b0b0b0b0b0b0", "profile-secret", "http://profile.example")


def _config(*, sandbox: bool = False, base_url: bool = True) -> ConfigFile:
    profile = Profile(
        appid=PROF[0], secret=PROF[1], base_url=PROF[2] if base_url else None, sandbox=sandbox
    )
    return ConfigFile(Path("config.toml"), current="p", profiles={"p": profile})


def _options(given: bool, sandbox: bool = False) -> ConnectionOptions:
    if not given:
        return ConnectionOptions(sandbox=sandbox)
    return ConnectionOptions(appid=FLAG[0], secret=FLAG[1], base_url=FLAG[2], sandbox=sandbox)


def _env(given: bool) -> dict[str, str]:
    if not given:
        return {}
    return {"WECHAT_APPID": ENV[0], "WECHAT_SECRET": ENV[1], "WECHAT_BASE_URL": ENV[2]}


@pytest.mark.parametrize("sandbox_profile", [False, True], ids=["wechat", "sandbox-profile"])
@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [(True, True, FLAG), (True, False, FLAG), (False, True, ENV), (False, False, PROF)],
    ids=["flags-win", "flags-only", "env-beats-profile", "profile"],
)
def test_the_precedence_table(
    flags: bool, env: bool, expected: tuple[str, str, str], sandbox_profile: bool
) -> None:
    conn = resolve(_options(flags), _config(sandbox=sandbox_profile), _env(env))

    assert (conn.appid, conn.secret, conn.base_url) == expected
    assert conn.sandbox == ("url" if sandbox_profile else "off")


def test_defaults_come_last() -> None:
    wechat = resolve(ConnectionOptions(), _config(base_url=False), {})
    sandbox = resolve(ConnectionOptions(sandbox=True), ConfigFile(Path("c.toml")), {})

    assert wechat.base_url is None  # WeChat's own
    assert (sandbox.appid, sandbox.secret, sandbox.sandbox) == (DEMO_APPID, DEMO_SECRET, "embedded")


def test_the_environment_applies_to_the_sandbox_flag_as_well() -> None:
    conn = resolve(ConnectionOptions(sandbox=True), ConfigFile(Path("c.toml")), _env(True))

    assert (conn.appid, conn.secret, conn.base_url) == ENV
    assert conn.sandbox == "url"


def test_an_exported_secret_does_not_go_with_another_appid() -> None:
    env = {"WECHAT_APPID": ENV[0], "WECHAT_SECRET": ENV[1]}
    conn = resolve(ConnectionOptions(appid=PROF[0]), _config(), env)

    assert conn.secret == PROF[1]  # the profile's, stored with that appid


def test_a_sandbox_profile_uses_wechat_appid_from_the_environment(
    wxm: Run, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.admin.add_account("wx5555555555555555", "other-account-secret")
    ok = wxm("config", "set", "local", "--sandbox", "--base-url", sandbox.base_url, "--use")
    assert ok.exit_code == 0, ok.output
    monkeypatch.setenv("WECHAT_APPID", "wx5555555555555555")
    monkeypatch.setenv("WECHAT_SECRET", "other-account-secret")

    token = run_json(wxm("token", "--json"))

    assert token["appid"] == "wx5555555555555555"


def test_the_environment_cannot_turn_a_sandbox_run_into_a_wechat_one() -> None:
    env = {"WECHAT_BASE_URL": "https://api.weixin.qq.com"}

    with pytest.raises(UsageProblem, match="cannot talk to WeChat"):
        resolve(ConnectionOptions(sandbox=True), ConfigFile(Path("c.toml")), env)
