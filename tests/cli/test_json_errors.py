"""With ``--json``, a failure prints one JSON error document on stdout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Run


def _error(stdout: str) -> dict[str, Any]:
    document = json.loads(stdout)
    assert list(document) == ["error"]
    error: dict[str, Any] = document["error"]
    assert set(error) == {"errcode", "errmsg", "hint", "exit_code"}
    return error


def test_a_wechat_error_gives_its_errcode(on_sandbox: Run) -> None:
    result = on_sandbox("--json", "get", "no-such-media-id")

    assert result.exit_code == 1
    error = _error(result.stdout)
    assert error["errcode"] == 40007
    assert error["errmsg"].startswith("invalid media_id")
    assert error["hint"]
    assert error["exit_code"] == 1
    assert "error:" in result.stderr  # the human message stays on stderr


def test_a_command_own_json_flag_works_too(on_sandbox: Run) -> None:
    result = on_sandbox("draft", "get", "nope", "--json")

    assert result.exit_code == 1
    assert _error(result.stdout)["errcode"] == 40007


def test_a_local_error_has_no_errcode(wxm: Run) -> None:
    result = wxm("--json", "count")  # no credentials

    assert result.exit_code == 2
    error = _error(result.stdout)
    assert error["errcode"] is None
    assert "no appid" in error["errmsg"]
    assert error["exit_code"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "ls", "--limit", "abc"],
        ["ls", "--json", "-n", "0"],
        ["--json", "no-such-command"],
        ["--json", "ls", "--appid"],
        ["--json", "--limit", "3", "ls"],
    ],
)
def test_a_usage_error_gives_a_document_and_exit_2(on_sandbox: Run, args: list[str]) -> None:
    result = on_sandbox(*args)

    assert result.exit_code == 2
    error = _error(result.stdout)
    assert error["errcode"] is None
    assert error["exit_code"] == 2


def test_without_json_stdout_stays_empty(on_sandbox: Run) -> None:
    result = on_sandbox("get", "no-such-media-id")

    assert result.exit_code == 1
    assert result.stdout == ""
