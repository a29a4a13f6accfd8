"""Fixtures for testing your own code against the sandbox, with no WeChat account.

Installed with the package (entry point ``pytest11``), so the fixtures are
there in every test of a project that has ``wechat-material`` installed::

    def test_my_uploader(wechat_client):
        media_id = my_app.upload_logo(wechat_client)          # your code
        assert wechat_client.material.get_material_count().image_count == 1

    async def test_async(async_wechat_client):               # with anyio or pytest-asyncio
        count = await async_wechat_client.material.get_material_count()

Each test gets a fresh, empty sandbox with the demo account. Fixtures:

``wechat_sandbox_config``
    The :class:`~wechat_material.sandbox.SandboxConfig` used; override it in
    your ``conftest.py`` to change accounts, ``news_api`` or the clock.
``wechat_sandbox``
    A sandbox serving on a loopback port (a
    :class:`~wechat_material.sandbox.RunningSandbox`): ``.base_url``, and
    ``.admin`` to advance the clock, inject faults or read call counters (it
    sends the config's ``admin_token``, if any).
``wechat_client``
    A :class:`~wechat_material.WeChatClient` bound to ``wechat_sandbox``.
``wechat_sandbox_app``
    A sandbox as an in-process ASGI app (no socket), for ``httpx.ASGITransport``.
``async_wechat_client``
    An :class:`~wechat_material.AsyncWeChatClient` bound to
    ``wechat_sandbox_app`` in-process.
``wechat_shared_sandbox``
    For a suite where starting a sandbox per test costs too much: a sandbox on
    a loopback port kept for the whole run, reset before each test that asks
    for it, as if it had just been started: no media, drafts, tokens, added
    accounts, counters or faults, its clock at the start. The tokens the
    clients of this process share by default are forgotten too. Its
    configuration is ``wechat_shared_sandbox_config``, overridden like
    ``wechat_sandbox_config``; one sandbox serves each configuration. A test
    that leaves requests in flight when it ends must use ``wechat_sandbox``
    instead: they could land after the next test's reset.

Publications succeed. To test code that handles the other endings, mark the
test with the status the next publication ends in (2 originality check
failed, 3 failed, 4 rejected by review, 6 banned; ``fail_idx``: the 1-based
articles at fault for 2 and 3, all of them by default)::

    @pytest.mark.wechat_publish_outcome(3, fail_idx=[2])
    def test_failed_publication(wechat_client): ...

add_news/update_news answer 45106, as WeChat has since 2022-02-28; for
code that still calls them, set ``wechat_news_api = legacy`` in the pytest
ini options (or pass ``--wechat-news-api legacy``).

Nothing is imported until a fixture is used, so the plugin costs nothing
in test runs that do not use it, and works without the ``sandbox`` extra
until a fixture needs the sandbox: that test then fails with the pip command
to run.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from wechat_material.client import AsyncWeChatClient, WeChatClient
    from wechat_material.sandbox import RunningSandbox, SandboxBackend, SandboxConfig

NEWS_API_MODES = ("retired", "legacy")


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = (
        "add_news/update_news in the wechat sandbox fixtures: 'retired' answers 45106 "
        "as WeChat does (default), 'legacy' keeps them working"
    )
    parser.addini("wechat_news_api", help_text, default="retired")
    parser.addoption("--wechat-news-api", choices=NEWS_API_MODES, default=None, help=help_text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wechat_publish_outcome(status, fail_idx=None): the wechat sandbox's next "
        "publication ends in this publish_status (2, 3, 4 or 6) instead of success",
    )


def _plan_publication(request: pytest.FixtureRequest, backend: SandboxBackend) -> None:
    """Apply the test's ``wechat_publish_outcome`` mark, if any, to the new sandbox."""
    mark = request.node.get_closest_marker("wechat_publish_outcome")
    if mark is None:
        return
    from wechat_material.sandbox import PublishOutcome

    try:
        status = mark.kwargs.get("status", mark.args[0] if mark.args else None)
        outcome = PublishOutcome(status, tuple(mark.kwargs.get("fail_idx") or ()))
    except (TypeError, ValueError) as problem:
        raise pytest.UsageError(f"@pytest.mark.wechat_publish_outcome: {problem}") from None
    backend.publishing.plan(outcome)


def _news_api(config: pytest.Config) -> str:
    mode = config.getoption("--wechat-news-api") or config.getini("wechat_news_api")
    if mode not in NEWS_API_MODES:
        raise pytest.UsageError(f"wechat_news_api must be 'retired' or 'legacy', not {mode!r}")
    return str(mode)


# Where the in-process client says it connects; nothing listens there.
IN_PROCESS_URL = "http://sandbox.invalid"


@pytest.fixture
def wechat_sandbox_config(request: pytest.FixtureRequest) -> SandboxConfig:
    """The configuration of the sandbox behind the other fixtures: in memory, demo account,
    the news API as the ``wechat_news_api`` option says."""
    return _default_config(request.config)


@pytest.fixture
def wechat_sandbox(
    wechat_sandbox_config: SandboxConfig, request: pytest.FixtureRequest
) -> Iterator[RunningSandbox]:
    """A fresh sandbox on a free loopback port, stopped after the test."""
    _require_sandbox()
    from wechat_material.sandbox import run_in_thread

    with run_in_thread(wechat_sandbox_config) as sandbox:
        _plan_publication(request, sandbox.backend)
        yield sandbox


@pytest.fixture
def wechat_shared_sandbox_config(request: pytest.FixtureRequest) -> SandboxConfig:
    """The configuration of ``wechat_shared_sandbox``: as ``wechat_sandbox_config``'s,
    and overridden the same way. Tests whose configurations are equal share one sandbox."""
    return _default_config(request.config)


class _SharedSandboxes:
    """The run's shared sandboxes: one per configuration asked for, all stopped at the end."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._running: list[tuple[SandboxConfig, RunningSandbox]] = []

    def get(self, config: SandboxConfig) -> RunningSandbox:
        """The sandbox serving ``config``, started on a loopback port the first time."""
        for known, sandbox in self._running:
            if known == config:
                return sandbox
        from wechat_material.sandbox import run_in_thread

        # A copy: a test that changes its config object afterwards gets another sandbox.
        started = self._stack.enter_context(run_in_thread(copy.deepcopy(config)))
        self._running.append((copy.deepcopy(config), started))
        return started

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def _wechat_shared_sandboxes() -> Iterator[_SharedSandboxes]:
    """The sandboxes behind ``wechat_shared_sandbox``, kept for the whole run."""
    sandboxes = _SharedSandboxes()
    try:
        yield sandboxes
    finally:
        sandboxes.close()


@pytest.fixture
def wechat_shared_sandbox(
    wechat_shared_sandbox_config: SandboxConfig,
    _wechat_shared_sandboxes: _SharedSandboxes,
    request: pytest.FixtureRequest,
) -> RunningSandbox:
    """A sandbox kept for the whole run, reset for this test as if it had just been started.

    The reset goes through the admin API; the tokens this process's clients
    share by default are forgotten too, since the sandbox no longer knows them.
    """
    _require_sandbox()
    from wechat_material.tokens import forget_shared_memory_stores

    sandbox = _wechat_shared_sandboxes.get(wechat_shared_sandbox_config)
    sandbox.admin.reset()
    forget_shared_memory_stores()
    _plan_publication(request, sandbox.backend)
    return sandbox


@pytest.fixture
def wechat_client(wechat_sandbox: RunningSandbox) -> Iterator[WeChatClient]:
    """A sync client for the sandbox's first account (the demo account by default)."""
    from wechat_material.client import WeChatClient
    from wechat_material.tokens import MemoryTokenStore

    appid, secret = _first_account(wechat_sandbox.backend.config.accounts)
    # A store of its own: tokens of another test's sandbox mean nothing here.
    with WeChatClient(
        appid, secret, base_url=wechat_sandbox.base_url, token_store=MemoryTokenStore()
    ) as client:
        yield client


@pytest.fixture
def wechat_sandbox_app(
    wechat_sandbox_config: SandboxConfig, request: pytest.FixtureRequest
) -> Iterator[Starlette]:
    """A fresh sandbox as an ASGI app, for ``httpx.ASGITransport`` (no socket).

    Closed after the test, which frees its data directory if the config names one.
    """
    _require_sandbox()
    from wechat_material.sandbox import create_app

    app = create_app(wechat_sandbox_config)
    try:
        _plan_publication(request, app.state.sandbox)
        yield app
    finally:
        app.state.sandbox.close()


@pytest.fixture
def async_wechat_client(
    wechat_sandbox_app: Starlette, wechat_sandbox_config: SandboxConfig
) -> Iterator[AsyncWeChatClient]:
    """An async client talking to ``wechat_sandbox_app`` in-process.

    A plain fixture (not an async one), so it works with anyio, pytest-asyncio
    or a test that runs its own event loop.
    """
    import httpx

    from wechat_material.client import AsyncWeChatClient
    from wechat_material.tokens import MemoryTokenStore

    appid, secret = _first_account(wechat_sandbox_config.accounts)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=wechat_sandbox_app))
    # A store of its own: every test's sandbox answers at the same URL, and the
    # tokens of the previous one are unknown to it.
    client = AsyncWeChatClient(
        appid,
        secret,
        base_url=IN_PROCESS_URL,
        http_client=http,
        token_store=MemoryTokenStore(),
    )
    yield client
    # The in-process transport holds no sockets or loop-bound state, so closing it
    # on a loop of its own is safe whatever loop the test used.
    asyncio.run(http.aclose())


def _default_config(config: pytest.Config) -> SandboxConfig:
    """In memory, the demo account, the news API as the ``wechat_news_api`` option says."""
    _require_sandbox()
    from wechat_material.sandbox import SandboxConfig

    mode = _news_api(config)
    return SandboxConfig(news_api="legacy" if mode == "legacy" else "retired")


def _require_sandbox() -> None:
    # One line naming the pip command, not a traceback through the sandbox's imports.
    from wechat_material.extras import MissingExtraError, require_extra

    try:
        require_extra("sandbox")
    except MissingExtraError as missing:
        pytest.fail(str(missing), pytrace=False)


def _first_account(accounts: list[tuple[str, str]]) -> tuple[str, str]:
    if not accounts:
        raise pytest.UsageError(
            "wechat_sandbox_config has no accounts; give it at least one (appid, secret)"
        )
    return accounts[0]
