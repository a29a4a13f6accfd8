"""--version, the help texts, errcode hints that fit the call, links to the embedded sandbox."""

from __future__ import annotations

import json
import pickle
import subprocess
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from wechat_material import _endpoints as ep
from wechat_material.cli.articles import FILE_FIELDS
from wechat_material.errcodes import hint_for
from wechat_material.errors import api_error

from .conftest import MEDIA, Run

Process = Callable[..., subprocess.CompletedProcess[str]]


def test_version_prints_the_package_version(wxm: Run) -> None:
    result = wxm("--version")

    assert result.exit_code == 0
    assert version("wechat-material") in result.stdout


def _every_command(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _every_command(sub, (*path, name))
    return found


def test_no_help_shows_a_bool_placeholder(wxm: Run, wxm_command: Any) -> None:
    for path in _every_command(wxm_command):
        result = wxm(*path, "--help")
        assert result.exit_code == 0, path
        assert "<bool>" not in result.stdout, path


def test_help_states_the_precedence(wxm: Run) -> None:
    text = " ".join(wxm("--help").stdout.split())

    assert "highest first: flags" in text
    assert "then defaults" in text


@pytest.mark.parametrize("group", ["draft", "news"])
def test_add_help_documents_every_article_field(wxm: Run, group: str) -> None:
    text = wxm(group, "add", "--help").stdout

    for name, _ in FILE_FIELDS:
        assert name in text
    assert "[[articles]]" in text
    assert "at most 32 characters" in text  # the title's limit, from the SDK's table


def test_40007_hints_depend_on_the_endpoint() -> None:
    def hint_at(endpoint: ep.Endpoint) -> str:
        return api_error(40007, "invalid media_id", hint=endpoint.hints.get(40007)).hint

    draft = hint_at(ep.DRAFT_ADD)
    material = hint_at(ep.MATERIAL_GET)
    elsewhere = hint_at(ep.MATERIAL_COUNT)

    assert "thumb_media_id" in draft
    assert "get_material" not in draft
    assert "temporary" in material
    assert elsewhere == hint_for(40007)
    # A pickled error keeps the endpoint's advice.
    error = api_error(40007, "invalid media_id", endpoint="/x", hint=ep.DRAFT_ADD.hints[40007])
    assert pickle.loads(pickle.dumps(error)).hint == draft  # noqa: S301 - our own bytes


def test_a_draft_with_a_bad_cover_gets_a_cover_hint(on_sandbox: Run, tmp_path: Path) -> None:
    post = tmp_path / "post.json"
    post.write_text(json.dumps({"title": "x", "thumb_media_id": "nope", "content": "<p>x</p>"}))

    result = on_sandbox("draft", "add", str(post))

    assert result.exit_code == 1
    assert "40007" in result.stderr
    assert "thumb_media_id" in result.stderr
    assert "get_material" not in result.stderr


@pytest.mark.slow
def test_links_to_the_embedded_sandbox_are_flagged(wxm_process: Process) -> None:
    result = wxm_process("--sandbox", "upload", str(MEDIA / "image.jpg"), "--json")

    assert result.returncode == 0, result.stderr
    url = json.loads(result.stdout)["uploaded"][0]["url"]
    assert url.startswith("http://127.0.0.1:")
    assert "stops with this command" in result.stderr
    assert "wxm sandbox serve" in result.stderr


def test_links_to_a_running_sandbox_are_not_flagged(on_sandbox: Run) -> None:
    result = on_sandbox("upload", str(MEDIA / "image.jpg"))

    assert result.exit_code == 0, result.output
    assert "stops with this command" not in result.stderr
