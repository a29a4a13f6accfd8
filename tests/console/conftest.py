"""A real browser (Debian's chromium, driven by Playwright) against a sandbox on a socket.

Without chromium the browser tests are skipped, unless ``CI=true``: in CI a
missing browser is a failure (``.ci/run`` installs it). Each test's page
collects the browser console's errors; a test fails if there are any.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material.client import WeChatClient
from wechat_material.sandbox import RunningSandbox, SandboxConfig, run_in_thread
from wechat_material.tokens import MemoryTokenStore

CHROMIUM = os.environ.get("WXM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START = 1_780_000_000.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.slow)


# Module scope: while Playwright's sync API is open, its event loop counts as running in
# this thread, and the async tests of later modules could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    config = SandboxConfig(seed=11, start_time=START, news_api="legacy")
    with run_in_thread(config) as running:
        yield running


@pytest.fixture
def client(sandbox: RunningSandbox) -> Iterator[WeChatClient]:
    appid, secret = sandbox.backend.config.accounts[0]
    with WeChatClient(
        appid, secret, base_url=sandbox.base_url, token_store=MemoryTokenStore()
    ) as made:
        yield made


@pytest.fixture
def page(browser: Any, sandbox: RunningSandbox) -> Iterator[Any]:
    """A browser tab on the sandbox; fails the test on any error in the browser's console."""
    context = browser.new_context(
        base_url=sandbox.base_url, viewport={"width": 1280, "height": 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert errors == [], f"the browser's console showed errors: {errors}"


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``--screenshots DIR``, or the session's temporary folder."""
    chosen = request.config.getoption("--screenshots")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
