"""The installed ``wxm`` script: help, exit codes, secrets, the embedded sandbox, the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import typer
from typer.main import get_command

from wechat_material.cli import app

from .conftest import MEDIA, Home, Run

Process = Callable[..., subprocess.CompletedProcess[str]]


def _command_paths() -> list[list[str]]:
    """Every command and subcommand of ``wxm``, as argument lists."""
    paths: list[list[str]] = []

    def walk(command: Any, prefix: list[str]) -> None:
        if not hasattr(command, "list_commands"):
            return
        context = typer.Context(command)
        for name in command.list_commands(context):  # the root loads its commands lazily
            paths.append([*prefix, name])
            walk(command.get_command(context, name), [*prefix, name])

    walk(get_command(app), [])
    return paths


@pytest.mark.parametrize("path", [[], *_command_paths()], ids=lambda p: " ".join(p) or "wxm")
def test_every_help_shows_an_example(wxm: Run, path: list[str]) -> None:
    result = wxm(*path, "--help")

    assert result.exit_code == 0, result.output
    assert "Examples" in result.stdout
    assert "$ wxm" in result.stdout


@pytest.mark.slow
def test_help_of_the_script(wxm_process: Process) -> None:
    result = wxm_process("--help")

    assert result.returncode == 0
    assert "Examples" in result.stdout
    assert "Exit codes" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["no-such-command"], ["ls", "--limit", "0"], ["upload"], ["ls", "--type", "gif"]],
)
def test_usage_errors_exit_with_2(wxm_process: Process, args: list[str]) -> None:
    result = wxm_process(*args)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_invalid_local_input_exits_with_3(wxm_process: Process) -> None:
    result = wxm_process("--sandbox", "upload", str(MEDIA / "not-media.txt"))

    assert result.returncode == 3
    assert "not-media.txt" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_api_error_exits_with_1_and_verbose_shows_details(
    wxm_process: Process, sandbox: Any
) -> None:
    args = ("--sandbox", "--base-url", sandbox.base_url, "get", "no-such-id", "-o", "x.jpg")
    plain = wxm_process(*args)
    verbose = wxm_process("-v", *args)

    assert plain.returncode == 1
    assert "40007" in plain.stderr
    assert len(plain.stderr.strip().splitlines()) <= 3
    assert "Traceback" not in plain.stderr
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr
    assert "access_token=" not in verbose.stderr.replace("access_token=***", "")


@pytest.mark.slow
def test_embedded_sandbox_keeps_its_state_until_reset(wxm_process: Process, home: Home) -> None:
    uploaded = wxm_process("--sandbox", "upload", str(MEDIA / "image.jpg"), "--json")
    listed = wxm_process("--sandbox", "ls", "--json")
    declined = wxm_process("sandbox", "reset", input="n\n")
    reset = wxm_process("sandbox", "reset", "--yes")
    after = wxm_process("--sandbox", "ls", "--json")

    assert uploaded.returncode == 0, uploaded.stderr
    media_id = json.loads(uploaded.stdout)["uploaded"][0]["media_id"]
    assert [item["media_id"] for item in json.loads(listed.stdout)["items"]] == [media_id]
    assert declined.returncode == 0
    assert "nothing was deleted" in declined.stderr
    assert reset.returncode == 0
    assert str(home.data_dir / "sandbox") in reset.stderr
    assert json.loads(after.stdout)["items"] == []


@pytest.mark.slow
def test_no_secret_in_any_output(wxm_process: Process, home: Home, sandbox: Any) -> None:
    secret = "5ecret5ecret5ecret5ecret5ecret51"
    sandbox.admin.add_account("wx5555555555555555", secret)
    runs = [
        wxm_process(
            "config", "set", "p", "--appid", "wx5555555555555555", "--secret", secret,
            "--base-url", sandbox.base_url, "--token-store", "memory",
        ),
        wxm_process("config", "show"),
        wxm_process("config", "list", "--json"),
        wxm_process("token"),
        wxm_process("-v", "count"),
        wxm_process("-v", "get", "missing-id"),
        wxm_process("-v", "--secret", "wrong-" + secret, "count"),
    ]  # fmt: skip

    for run in runs:
        assert secret not in run.stdout + run.stderr
    assert runs[4].returncode == 0
    assert runs[6].returncode == 1


@pytest.mark.slow
def test_demo_runs_and_succeeds(wxm_process: Process) -> None:
    result = wxm_process("demo", timeout=120)

    assert result.returncode == 0, result.stderr
    # Every step on stdout, in order; stderr is for errors, and there are none.
    steps = ["starting a sandbox", "1. uploaded", "2. uploaded an image", "3. listed", "6. drafted"]
    positions = [result.stdout.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "every step worked" in result.stdout
    assert result.stderr == ""


@pytest.mark.slow
def test_demo_module_json(home: Home) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wechat_material.cli.demo", "--json"],
        capture_output=True,
        text=True,
        env=home.env(),
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["download"]["identical"] is True
    assert report["publish"]["succeeded"] is True
    assert report["counts"]["image"] == 2
