"""A profile named on the command line beats the environment; flags still beat it."""

from __future__ import annotations

from pathlib import Path

from wechat_material.cli.config import ConfigFile, Profile
from wechat_material.cli.connection import ConnectionOptions, resolve

ENV = {
    "WECHAT_APPID": "wxe0e0e0e0e0e0e0e0",
    "WECHAT_SECRET": "env-secret",
    "WECHAT_BASE_URL": "http://env.example",
}
NAMED = Profile(appid="wxb0b0b0b0b0b0b0b0", secret="profile-secret", base_url="http://p.example")


def config(profile: Profile = NAMED) -> ConfigFile:
    return ConfigFile(Path("config.toml"), current=None, profiles={"other": profile})


def test_a_named_profile_takes_its_own_appid_secret_and_base_url() -> None:
    conn = resolve(ConnectionOptions(profile="other"), config(), ENV)

    assert (conn.appid, conn.secret, conn.base_url) == (
        "wxb0b0b0b0b0b0b0b0",
        "profile-secret",
        "http://p.example",
    )


def test_the_same_profile_made_current_is_ambient_and_loses_to_the_environment() -> None:
    current = ConfigFile(Path("config.toml"), current="other", profiles={"other": NAMED})

    conn = resolve(ConnectionOptions(), current, ENV)

    assert (conn.appid, conn.secret) == ("wxe0e0e0e0e0e0e0e0", "env-secret")


def test_wxm_profile_in_the_environment_is_ambient_too() -> None:
    conn = resolve(ConnectionOptions(), config(), {**ENV, "WXM_PROFILE": "other"})

    assert conn.appid == "wxe0e0e0e0e0e0e0e0"


def test_the_environment_fills_what_the_named_profile_leaves_out() -> None:
    bare = Profile(appid="wxb0b0b0b0b0b0b0b0", secret="profile-secret")

    conn = resolve(ConnectionOptions(profile="other"), config(bare), ENV)

    assert (conn.appid, conn.base_url) == ("wxb0b0b0b0b0b0b0b0", "http://env.example")


def test_flags_still_beat_the_named_profile() -> None:
    options = ConnectionOptions(
        profile="other", appid="wxf1a9f1a9f1a9f1a9", secret="flag-secret", base_url="http://f.x"
    )

    conn = resolve(options, config(), ENV)

    assert (conn.appid, conn.secret, conn.base_url) == (
        "wxf1a9f1a9f1a9f1a9",
        "flag-secret",
        "http://f.x",
    )
