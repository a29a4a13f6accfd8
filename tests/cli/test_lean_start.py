"""What a command imports, and that parsing without typer's pydantic adapter is the same.

``wxm`` spares a text option typer's pydantic coercion (:mod:`wechat_material.cli.root`),
and imports redis, the sandbox's server stack and ``rich.progress`` only for the runs
that use them. These tests keep both: what gets imported, in a subprocess as users run
it, and that values, errors and help come out as typer's own coercion makes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from wechat_material.cli import root

from .conftest import Home, Run

# Runs wxm as the installed script does, then prints which of the named modules got imported.
_PROBE = """
import json, sys
names = json.loads(sys.argv[2])
sys.argv = ["wxm", *json.loads(sys.argv[1])]
from wechat_material.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("LOADED " + json.dumps([n for n in names if n in sys.modules]) + "\\n")
"""

# Neither httpx's own command line (click, pygments, rich.syntax), nor the TOML reader
# and writer and platformdirs when the directories are given and there is no config.
NOT_FOR_A_CALL = [
    "redis",
    "wechat_material.tokens.redis_store",
    "starlette",
    "wechat_material.sandbox",
    "rich.markdown",
    "rich.progress",
    "rich.syntax",
    "typer._adapters",
    "click",
    "pygments",
    "tomllib",
    "tomli_w",
    "platformdirs",
]


def _loaded_by(args: list[str], names: list[str], home: Home) -> tuple[Any, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(names)],
        capture_output=True,
        text=True,
        env=home.env(),
        timeout=60,
        check=False,
    )
    line = next((x for x in result.stderr.splitlines() if x.startswith("LOADED ")), None)
    assert line is not None, result.stderr
    return result, json.loads(line.removeprefix("LOADED "))


@pytest.mark.slow
def test_a_call_to_a_running_sandbox_imports_only_what_it_uses(home: Home, sandbox: Any) -> None:
    result, loaded = _loaded_by(
        ["--sandbox", "--base-url", sandbox.base_url, "count"], NOT_FOR_A_CALL, home
    )

    assert "image" in result.stdout, result.stderr
    assert loaded == []


@pytest.mark.slow
def test_the_probe_sees_what_an_embedded_sandbox_loads(home: Home) -> None:
    # The same probe where the sandbox runs in this process: its stack must show up.
    result, loaded = _loaded_by(["--sandbox", "count"], NOT_FOR_A_CALL, home)

    assert "image" in result.stdout, result.stderr
    assert {"starlette", "wechat_material.sandbox"} <= set(loaded)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["count", "upload", "backup", "config"])
def test_a_commands_help_needs_no_pydantic(home: Home, command: str) -> None:
    names = ["pydantic", "typer._adapters", "rich.progress", "httpx"]
    result, loaded = _loaded_by([command, "--help"], names, home)

    assert f"wxm {command}" in result.stdout, result.stderr
    assert loaded == []


@pytest.mark.slow
def test_a_value_that_is_not_text_still_gets_typers_check(home: Home) -> None:
    result, loaded = _loaded_by(["ls", "--limit", "many"], ["typer._adapters"], home)

    assert "--limit" in result.stderr
    assert "valid integer" in result.stderr
    assert loaded == ["typer._adapters"]


# The same runs with and without the light coercion give the same output, byte for byte.


def _typers_own(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The wxm click command built with typer's coercion for every parameter."""
    monkeypatch.setattr(root, "_text_without_pydantic", lambda command: None)
    monkeypatch.setattr(root, "_loaded", {})
    return typer.main.get_command(root.app)


def _every_path(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name in command.list_commands(None) if hasattr(command, "list_commands") else []:
        sub = root.load_command(name) if not path else command.commands[name]
        found += _every_path(sub, (*path, name))
    return found


def _outputs(command: Any, runs: list[list[str]]) -> list[tuple[int, str, str]]:
    """Exit code, stdout and stderr of each run, at a fixed width and without colour."""
    env = {"COLUMNS": "100", "TERMINAL_WIDTH": "100", "NO_COLOR": "1"}
    runner = CliRunner(env=env)
    done = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda _app: command)
        for args in runs:
            result = runner.invoke(root.app, args, prog_name="wxm")
            done.append((result.exit_code, result.stdout, result.stderr))
    return done


@pytest.mark.slow
def test_every_help_is_what_typer_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    light = typer.main.get_command(root.app)
    runs = [[*path, "--help"] for path in _every_path(light)]
    ours = _outputs(light, runs)
    with monkeypatch.context() as patch:
        own = _outputs(_typers_own(patch), runs)

    assert len(runs) > 20
    for args, mine, theirs in zip(runs, ours, own, strict=True):
        assert mine == theirs, args
        assert mine[0] == 0, args
        assert "Usage" in mine[1], args


ODD_VALUES = [
    ["--timeout", "abc", "--sandbox", "count"],
    ["--timeout", "", "--sandbox", "count"],
    ["--appid", "", "--sandbox", "count"],
    ["--appid", "wx0123456789abcdeX", "--sandbox", "count"],
    ["--proxy", "ftp://x", "--sandbox", "count"],
    ["--sandbox", "ls", "--limit", "many"],
    ["--sandbox", "ls", "--limit", "-1"],
    ["--sandbox", "ls", "--type", "nosuch"],
    ["--json", "--appid"],
    ["--sandbox", "count", "extra"],
    ["nosuch"],
    ["config", "set", "x", "--appid", "wx123"],
    ["config", "show", "--json"],
]


@pytest.mark.slow
def test_odd_values_are_refused_as_typer_refuses_them(
    monkeypatch: pytest.MonkeyPatch, home: Home
) -> None:
    monkeypatch.setenv("WXM_DATA_DIR", os.fspath(home.data_dir))
    ours = _outputs(typer.main.get_command(root.app), ODD_VALUES)
    with monkeypatch.context() as patch:
        own = _outputs(_typers_own(patch), ODD_VALUES)

    for args, mine, theirs in zip(ODD_VALUES, ours, own, strict=True):
        assert mine == theirs, args
        assert mine[0] != 0, args


def test_text_options_reach_the_command_as_given(wxm: Run, home: Home) -> None:
    # A leading dash and non-ASCII text survive the light path as they are.
    secret = "-é-0123456789abcdef0123456789"
    result = wxm("config", "set", "t", "--appid", "wx0123456789abcdef", "--secret", secret)

    assert result.exit_code == 0, result.output
    assert f'secret = "{secret}"' in home.config_file.read_text(encoding="utf-8")


# The lanes of the backup's client load the CA bundle only for a lane that speaks TLS.


@pytest.mark.anyio
async def test_a_lane_to_a_plain_http_sandbox_loads_no_ca_bundle(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    import httpx

    from wechat_material._transport import LaneTransport

    loads: list[object] = []
    real = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context", lambda *a, **k: loads.append(1) or real())
    transport = LaneTransport(trust_env=False)
    async with httpx.AsyncClient(transport=transport) as http:
        reply = await http.get(f"{sandbox.base_url}/cgi-bin/token")

    assert reply.status_code == 200
    assert loads == []
    # What the lane holds instead trusts no certificate: a handshake could only fail.
    context = transport._tls(httpx.URL(sandbox.base_url), None)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.get_ca_certs() == []


@pytest.mark.parametrize(
    ("url", "proxy"),
    [
        ("https://api.weixin.qq.com/cgi-bin/token", None),
        ("https://api.weixin.qq.com/cgi-bin/token", "http://127.0.0.1:3128"),
        ("http://127.0.0.1:8900/cgi-bin/token", "https://proxy.example:3128"),
    ],
)
def test_a_lane_that_speaks_tls_verifies_against_the_ca_bundle(url: str, proxy: str | None) -> None:
    import ssl

    import httpx

    from wechat_material._transport import LaneTransport

    context = LaneTransport(trust_env=False)._tls(httpx.URL(url), proxy)

    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.get_ca_certs() != []
