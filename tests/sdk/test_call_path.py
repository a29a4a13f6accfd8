"""The files an add_material call runs code in are the ones the architecture page lists
("Following one call"), no more and no fewer, for the blocking and the async client.

The sandbox serves on its own thread; what it runs (and any thread it starts)
is left out by the frames' own stack. The call is traced after a first one, so
that what runs only once (imports, the token) is not counted.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import wechat_material
from wechat_material import AsyncWeChatClient, WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .harness import MEDIA

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = f"{Path(wechat_material.__file__).parent}/"
SANDBOX = f"{PACKAGE}sandbox/"


def listed() -> tuple[set[str], set[str], set[str], str]:
    """What the SDK paragraph names: the files the call runs, the tables it reads, what
    the async client adds; and the paragraph itself."""
    page = (ROOT / "docs" / "architecture.en.md").read_text(encoding="utf-8")
    start = page.index("`client.material.add_material(")
    paragraph = page[start : page.index("\n\n", start)]
    runs, rest = paragraph.split("The tables it reads", 1)
    tables, added = rest.split("The async client adds", 1)

    def names(text: str) -> set[str]:
        return set(re.findall(r"`([\w/]+\.py)`", text))

    return names(runs), names(tables), names(added), " ".join(paragraph.split())


class Tracer:
    def __init__(self) -> None:
        self.ran: set[str] = set()
        self.on = False

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> None:
        name = frame.f_code.co_filename
        if not self.on or event != "call" or not name.startswith(PACKAGE):
            return
        seen: FrameType | None = frame
        while seen is not None:  # the sandbox's own work, on whatever thread
            if seen.f_code.co_filename.startswith(SANDBOX):
                return
            seen = seen.f_back
        self.ran.add(name.removeprefix(PACKAGE))

    def run(self, work: Callable[[], Any]) -> set[str]:
        threading.setprofile(self)
        sys.setprofile(self)
        self.on = True
        try:
            work()
        finally:
            self.on = False
            sys.setprofile(None)
            threading.setprofile(None)
        return self.ran


def test_an_add_material_call_runs_in_the_files_the_architecture_page_lists() -> None:
    runs, tables, added, paragraph = listed()
    image = MEDIA / "image.jpg"
    with run_in_thread(SandboxConfig(seed=3)) as sandbox:
        with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
            client.material.add_material("image", image)
            ran_sync = Tracer().run(lambda: client.material.add_material("image", image))

        async def twice() -> None:
            async with AsyncWeChatClient(
                DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url
            ) as client:
                await client.material.add_material("image", image)
                tracer.on = True
                await client.material.add_material("image", image)
                tracer.on = False

        tracer = Tracer()
        threading.setprofile(tracer)
        sys.setprofile(tracer)
        try:
            asyncio.run(twice())
        finally:
            sys.setprofile(None)
            threading.setprofile(None)

    assert ran_sync == runs
    assert tracer.ran == runs | added
    assert not tables & (ran_sync | tracer.ran)  # the tables run no code of their own
    assert f"runs code in {len(runs)} files" in paragraph
    assert f"{len(runs | added)} files" in paragraph
