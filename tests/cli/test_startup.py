"""Start-up: ``wxm --version`` and ``wxm --help`` load none of what the commands use.

Each command's module is imported only when that command runs or shows its own
help (the table in :mod:`wechat_material.cli.root`); the root's help is written
from the table alone.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wechat_material.cli import root

from .conftest import Home

HEAVY = ("httpx", "pydantic", "redis", "starlette", "wechat_material.client")

# Runs wxm as the installed script does, then prints which of HEAVY got imported.
_PROBE = """
import json, sys
sys.argv = ["wxm", *json.loads(sys.argv[1])]
from wechat_material.cli import main
try:
    main()
except SystemExit:
    pass
heavy = {heavy!r}
loaded = [name for name in heavy if name in sys.modules]
sys.stderr.write("LOADED " + json.dumps(loaded) + "\\n")
"""


def _loaded_by(args: list[str], home: Home) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), json.dumps(args)],
        capture_output=True,
        text=True,
        env=home.env(),
        timeout=60,
        check=False,
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED "))
    return result, json.loads(line.removeprefix("LOADED "))


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--version"], ["--help"], [], ["-v", "--version"]])
def test_version_and_help_import_no_heavy_module(home: Home, args: list[str]) -> None:
    result, loaded = _loaded_by(args, home)

    assert loaded == []
    assert "wxm" in result.stdout


# A command's own help loads its module; pydantic (typer's coercion of the root's text
# options is spared it), the SDK's client, httpx and the server stack wait for a call.
LIGHT_HELP = [
    "count", "ls", "get", "rm", "upload", "image", "config", "token", "sandbox", "demo",
    "draft", "news", "publish", "backup", "restore", "mcp",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("command", LIGHT_HELP)
def test_a_commands_help_imports_no_client(home: Home, command: str) -> None:
    result, loaded = _loaded_by([command, "--help"], home)

    assert result.returncode == 0, result.stderr
    assert loaded == []


@pytest.mark.slow
def test_the_probe_sees_a_command_that_loads_them(home: Home) -> None:
    # The same probe on a command that calls WeChat (an embedded sandbox): it must see them.
    result, loaded = _loaded_by(["--sandbox", "count"], home)

    assert result.returncode == 0, result.stderr
    assert {"httpx", "wechat_material.client", "starlette"} <= set(loaded)


def test_the_root_help_lines_are_the_commands_own() -> None:
    for name, _target, text in root.COMMANDS:
        command = root.load_command(name)

        assert command is not None, name
        own = command.short_help or (command.help or "").split("\n\n")[0]
        assert " ".join(own.split()) == text, name


def test_every_command_is_in_the_table() -> None:
    names = [name for name, _target, _text in root.COMMANDS]
    registered: set[str] = set()
    for target in {target for _name, target, _text in root.COMMANDS}:
        registered.update(root.load_commands(target).commands)

    assert len(names) == len(set(names))
    assert registered == set(names)


@pytest.mark.slow
def test_an_unknown_command_is_refused(home: Home) -> None:
    result, loaded = _loaded_by(["nosuch"], home)

    assert "No such command" in result.stderr
    # No command was loaded, and the root's options needed no pydantic.
    assert loaded == []
