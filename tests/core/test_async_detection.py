"""httpcore finds out which event loop runs a request through sniffio: it must be installed."""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util

import httpcore._synchronization as synchronization


def test_sniffio_is_a_declared_dependency() -> None:
    requirements = importlib.metadata.requires("wechat-material") or []
    assert any(r.split(">")[0].split("=")[0].strip() == "sniffio" for r in requirements)


def test_the_event_loop_is_found_without_a_failing_import() -> None:
    """Without sniffio every request tries the import again, and fails, slowly."""

    async def detect() -> str:
        return synchronization.current_async_library()

    assert asyncio.run(detect()) == "asyncio"
    assert importlib.util.find_spec("sniffio") is not None
