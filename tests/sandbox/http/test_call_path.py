"""The files a sandbox add_material request runs code in are the ones the
architecture page lists for it ("Following one call"), no more and no fewer.

The request goes over a real socket, so the connection's own module counts;
every thread the server starts (its event loop, the worker thread of the
upload) is watched while the one traced request is served.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

import wechat_material
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread
from wechat_material.sandbox.state.journal import Journal

from ..wechat_wire import START, media

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = Path(wechat_material.__file__).parent
GRANT = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}


def listed_files() -> set[str]:
    """The files of the sandbox paragraph of "Following one call", package-relative."""
    page = (ROOT / "docs" / "architecture.en.md").read_text(encoding="utf-8")
    start = page.index("The same request arriving at the sandbox")
    paragraph = page[start : page.index("\n\n", start)]
    named = set()
    for name in re.findall(r"`([\w/]+\.py)`", paragraph):
        if name.startswith(("http/", "state/")):
            name = f"sandbox/{name}"
        named.add(name)
    return named


def recorded(journal: Journal, calls: int) -> None:
    """Wait until the journal holds ``calls`` calls."""
    deadline = time.monotonic() + 10
    while journal.last_seq < calls:
        assert time.monotonic() < deadline, "the call was never recorded"
        time.sleep(0.01)


def test_an_add_material_request_runs_in_the_files_the_architecture_page_lists() -> None:
    ran: set[str] = set()
    tracing = False
    prefix = f"{PACKAGE}/"

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if tracing and event == "call" and frame.f_code.co_filename.startswith(prefix):
            ran.add(frame.f_code.co_filename.removeprefix(prefix))

    image = media("image.jpg")
    threading.setprofile(profile)
    try:
        with (
            run_in_thread(SandboxConfig(seed=3, start_time=START)) as sandbox,
            httpx.Client(base_url=sandbox.base_url) as http,
        ):
            token = http.get("/cgi-bin/token", params=GRANT).json()["access_token"]
            query = {"access_token": token, "type": "image"}
            files = {"media": ("cat.jpg", image, "image/jpeg")}
            # Once untraced, so that what runs only the first time (imports) is not counted.
            first = http.post("/cgi-bin/material/add_material", params=query, files=files)
            assert "media_id" in first.json()
            journal = sandbox.backend.journal
            recorded(journal, 2)  # the server is done with the calls before
            tracing = True
            reply = http.post("/cgi-bin/material/add_material", params=query, files=files)
            recorded(journal, 3)  # ... and with this one (it records after replying)
            tracing = False
    finally:
        threading.setprofile(None)
    assert "media_id" in reply.json()
    assert ran == listed_files()
    assert len(ran) <= 22
