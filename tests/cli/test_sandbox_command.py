"""``wxm sandbox serve`` in the foreground, ``wxm sandbox reset``, and Redis-held tokens."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from wechat_material import WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, WXM, Home, Run, run_json


def _read_base_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"https?://127\.0\.0\.1:\d+", line)
        if found:
            return found.group(0)
    raise AssertionError(f"the sandbox printed no URL (exit {process.wait()})")


@pytest.mark.slow
def test_serve_runs_until_interrupted(home: Home, wxm: Run, tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**home.env(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(WXM), "sandbox", "serve", "--port", "0", "--data-dir", str(state),
         "--account", f"{DEMO_APPID}:{DEMO_SECRET}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        base_url = _read_base_url(process)
        health = httpx.get(f"{base_url}/_sandbox/health", timeout=10)
        counted = run_json(wxm("--sandbox", "--base-url", base_url, "count", "--json"))
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)

    assert health.json() == {"ok": True}
    assert counted["image_count"] == 0
    assert process.returncode in (0, 130)
    assert "Traceback" not in err
    assert state.is_dir()


@pytest.mark.slow
def test_serve_takes_an_admin_token_and_allowed_hosts(home: Home, tmp_path: Path) -> None:
    token = "cli-admin-token-0123456789abcdef"
    env = {**home.env(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(WXM), "sandbox", "serve", "--port", "0", "--memory",
         "--admin-token", token, "--allowed-host", "dev.example"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        base_url = _read_base_url(process)
        port = base_url.rsplit(":", 1)[1]
        without = httpx.get(f"{base_url}/_sandbox/health", timeout=10)
        bearer = {"Authorization": f"Bearer {token}"}
        named = httpx.get(
            f"{base_url}/_sandbox/health", headers={**bearer, "Host": f"dev.example:{port}"}
        )
        forged = httpx.get(
            f"{base_url}/_sandbox/health", headers={**bearer, "Host": f"evil.example:{port}"}
        )
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)

    assert without.status_code == 401
    assert named.json() == {"ok": True}
    assert forged.status_code == 403
    assert token not in out + err


def test_serve_rejects_bad_options(wxm: Run, tmp_path: Path) -> None:
    both = wxm("sandbox", "serve", "--memory", "--data-dir", str(tmp_path))
    account = wxm("sandbox", "serve", "--account", "no-colon")

    assert both.exit_code == 2
    assert account.exit_code == 2
    assert "APPID:SECRET" in account.stderr


def test_serve_rejects_bad_connection_limits(wxm: Run) -> None:
    header = wxm("sandbox", "serve", "--memory", "--header-timeout", "0")
    connections = wxm("sandbox", "serve", "--memory", "--max-connections", "0")

    assert header.exit_code == 2
    assert "positive" in header.stderr
    assert connections.exit_code == 2


def test_reset_without_data_does_nothing(wxm: Run) -> None:
    result = wxm("sandbox", "reset", "--json")

    assert run_json(result)["reset"] is False


def test_reset_asks_first(wxm: Run, home: Home) -> None:
    sandbox_dir = home.data_dir / "sandbox"
    sandbox_dir.mkdir(parents=True)
    (sandbox_dir / "state.db").write_bytes(b"x")

    no_answer = wxm("sandbox", "reset")
    declined = wxm("sandbox", "reset", input="no\n")
    accepted = wxm("sandbox", "reset", input="y\n")

    assert no_answer.exit_code == 2
    assert declined.exit_code == 0
    assert accepted.exit_code == 0, accepted.output
    assert not sandbox_dir.exists()
    assert home.data_dir.exists()  # only the sandbox's own directory goes


@pytest.mark.redis
def test_profile_with_a_redis_token_store(wxm: Run, sandbox: Any, redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    wxm(
        "config", "set", "shared", "--appid", DEMO_APPID, "--secret", DEMO_SECRET,
        "--base-url", sandbox.base_url, "--token-store", redis_url,
    )  # fmt: skip

    first = wxm("token", "--raw")
    second = wxm("token", "--raw")
    shown = run_json(wxm("token", "--json"))

    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert sandbox.admin.counters(DEMO_APPID) == {"/cgi-bin/stable_token": 1}
    assert shown["token_store"].startswith("redis://")
    assert any(redis.Redis.from_url(redis_url).scan_iter("*"))


def test_unreachable_token_store_is_reported(wxm: Run, sandbox: Any) -> None:
    wxm(
        "config", "set", "broken", "--appid", DEMO_APPID, "--secret", DEMO_SECRET,
        "--base-url", sandbox.base_url, "--token-store", "redis://127.0.0.1:1/0",
    )  # fmt: skip

    result = wxm("count")

    assert result.exit_code == 1
    assert "token store" in result.stderr.lower()
    assert "token_store" in result.stderr  # the hint names the setting
    assert "Traceback" not in result.output


@pytest.fixture
def running_on_the_embedded_dir(home: Home) -> Any:
    """A sandbox serving from the embedded sandbox's data directory (like `wxm sandbox serve`)."""
    from wechat_material.sandbox import SandboxConfig, run_in_thread

    with run_in_thread(SandboxConfig(data_dir=home.data_dir / "sandbox")) as running:
        yield running


def test_reset_refuses_while_a_sandbox_runs_on_the_data(
    wxm: Run, home: Home, running_on_the_embedded_dir: Any
) -> None:
    sandbox_dir = home.data_dir / "sandbox"
    base_url = running_on_the_embedded_dir.base_url
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=base_url) as client:
        client.material.add_material("image", MEDIA / "image.jpg")
    before = sorted(p.name for p in sandbox_dir.iterdir())

    result = wxm("sandbox", "reset", "--yes")

    assert result.exit_code == 3
    assert str(sandbox_dir) in result.stderr
    assert "stop that sandbox first" in result.stderr
    assert "nothing was deleted" in result.stderr
    assert sorted(p.name for p in sandbox_dir.iterdir()) == before
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=base_url) as client:
        assert client.material.get_material_count().image_count == 1


@pytest.mark.slow
def test_embedded_sandbox_in_use_points_to_the_running_one(
    wxm_process: Callable[..., subprocess.CompletedProcess[str]],
    home: Home,
    running_on_the_embedded_dir: Any,
) -> None:
    result = wxm_process("--sandbox", "ls")

    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    assert str(home.data_dir / "sandbox") in lines[-2]
    assert "--base-url http://127.0.0.1:8900" in lines[-1]
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "mode"), [((), "retired"), (("--news-api", "legacy"), "legacy")])
def test_serve_chooses_the_news_api(
    wxm: Run, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], mode: str
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        "wechat_material.sandbox.server.serve", lambda *a, **kwargs: seen.update(kwargs)
    )
    assert wxm("sandbox", "serve", "--memory", *args).exit_code == 0
    assert seen["news_api"] == mode
    assert wxm("sandbox", "serve", "--news-api", "sometimes").exit_code == 2
