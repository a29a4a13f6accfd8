"""Fixtures for ``wxm mcp``: a sandbox, an isolated home, and the server run as a subprocess.

The server is the installed ``wxm`` script, reached with the ``mcp`` SDK's own
client over stdio (or streamable HTTP), as an assistant's client reaches it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp", reason="the mcp extra is not installed")

from mcp import Client, StdioServerParameters

from wechat_material.sandbox import SandboxConfig

MEDIA = Path(__file__).resolve().parent.parent / "media"
WXM = Path(sys.executable).with_name("wxm")


@pytest.fixture
def wechat_shared_sandbox_config() -> SandboxConfig:
    return SandboxConfig(news_api="legacy")


@pytest.fixture
def sandbox(wechat_shared_sandbox: Any) -> Any:
    """The run's shared sandbox, emptied for this test by the package's pytest plugin."""
    return wechat_shared_sandbox


@dataclass(frozen=True)
class Place:
    """The test's folders: the server's root, somewhere outside it, and wxm's home."""

    root: Path
    outside: Path
    home: Path

    def env(self) -> dict[str, str]:
        return {
            "WXM_CONFIG_DIR": str(self.home / "config"),
            "WXM_DATA_DIR": str(self.home / "data"),
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
        }


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """wxm run in process reads this test's config and data, and no WeChat credentials."""
    monkeypatch.setenv("WXM_CONFIG_DIR", str(tmp_path / "home" / "config"))
    monkeypatch.setenv("WXM_DATA_DIR", str(tmp_path / "home" / "data"))
    for name in (
        "WECHAT_APPID",
        "WECHAT_SECRET",
        "WECHAT_BASE_URL",
        "WXM_PROFILE",
        "WXM_MCP_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def place(tmp_path: Path) -> Place:
    root, outside, home = tmp_path / "root", tmp_path / "outside", tmp_path / "home"
    for folder in (root, outside, home):
        folder.mkdir(exist_ok=True)
    shutil.copy(MEDIA / "image.jpg", root / "image.jpg")
    shutil.copy(MEDIA / "image.png", root / "image.png")
    return Place(root, outside, home)


@asynccontextmanager
async def stdio_server(
    place: Place, *args: str, base_url: str | None = None, errlog: Any = None
) -> AsyncIterator[Client]:
    """``wxm [--sandbox --base-url URL] mcp --root ROOT ARGS...`` as a connected client."""
    connection = ["--sandbox", "--base-url", base_url] if base_url else []
    params = StdioServerParameters(
        command=str(WXM),
        args=[*connection, "mcp", "--root", str(place.root), *args],
        env=place.env(),
        cwd=str(place.root),
    )
    log = errlog if errlog is not None else sys.stderr
    from mcp.client.stdio import stdio_client

    async with Client(stdio_client(params, errlog=log)) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The structured result of a tool that must succeed."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def refused(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The error of a tool call that must fail: message and hint, never a traceback."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Traceback" not in text
    assert "input_value" not in text
    assert result.structured_content is not None
    error: dict[str, Any] = result.structured_content["error"]
    assert error["message"]
    assert error["hint"]
    return error
