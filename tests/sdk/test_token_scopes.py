"""Shared token stores keep each client's token to its own host and secret.

Two sandboxes share one file or one Redis: a client of the second never
receives the first one's token; a client with a wrong secret fails at once
even while a valid token of the same appid sits in the store; entries of the
layout keyed by appid alone are never served; no secret reaches a file, a file
name or Redis.
"""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio

from wechat_material import AuthenticationError, WeChatClient
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    SandboxConfig,
    create_app,
    run_in_thread,
)
from wechat_material.tokens import (
    AccessToken,
    AsyncRedisTokenStore,
    FileTokenStore,
    RedisTokenStore,
    token_scope,
)

from .harness import Both, run

pytestmark = pytest.mark.anyio

TOKEN = "/cgi-bin/token"
COUNT = "/cgi-bin/material/get_materialcount"
WRONG_SECRET = "f" * 32

# (client kind, store kind): the sync client takes sync stores only.
COMBINATIONS = [
    ("sync", "file"),
    ("sync", "redis"),
    ("async", "file"),
    ("async", "redis"),
    ("async", "async_redis"),
]


@pytest.fixture(scope="module")
def two_threaded_sandboxes() -> Iterator[tuple[Any, Any]]:
    # Seeds of their own: tokens differ from each other's and the other tests' sandboxes'.
    with (
        run_in_thread(SandboxConfig(seed=31)) as one,
        run_in_thread(SandboxConfig(seed=32)) as two,
    ):
        yield one, two


@pytest.fixture(scope="module")
def two_apps() -> tuple[Any, Any]:
    return create_app(SandboxConfig(seed=33)), create_app(SandboxConfig(seed=34))


@dataclass
class Setup:
    """Two sandboxes, one store shared by every client made here, and where it keeps things."""

    one: Both
    two: Both
    store: Any
    store_kind: str
    tmp_path: Path
    redis: redis.Redis
    _closers: list[Callable[[], Any]] = field(default_factory=list)

    def client(self, site: Both, **kwargs: Any) -> Any:
        kwargs.setdefault("token_store", self.store)
        return site.new_client(**kwargs)

    def stored_keys(self) -> list[str]:
        """The slots the store holds (JSON keys of the file, or Redis keys)."""
        if self.store_kind == "file":
            document = json.loads((self.tmp_path / "tokens.json").read_bytes())
            return sorted(document["tokens"])
        return sorted(key.decode() for key in self.redis.keys("*"))

    def everything_stored(self) -> bytes:
        """Every file name and content under tmp_path, or every Redis key and value."""
        if self.store_kind == "file":
            parts = []
            for path in sorted(self.tmp_path.rglob("*")):
                parts.append(path.name.encode())
                if path.is_file():
                    parts.append(path.read_bytes())
            return b"\n".join(parts)
        parts = []
        for key in self.redis.keys("*"):
            parts.append(key)
            if self.redis.type(key) == b"string":
                parts.append(self.redis.get(key) or b"")
        return b"\n".join(parts)

    def old_layout_key(self) -> str:
        return (
            DEMO_APPID
            if self.store_kind == "file"
            else f"wechat_material:access_token:{DEMO_APPID}"
        )

    def plant_old_layout_entry(self, value: str) -> None:
        """A token saved the way stores did before scopes: under the bare appid."""
        token = AccessToken(value, 4_000_000_000.0)
        if self.store_kind == "file":
            FileTokenStore(self.tmp_path / "tokens.json").save(DEMO_APPID, token)
        else:
            RedisTokenStore(self.redis).save(DEMO_APPID, token)


async def _sites(request: pytest.FixtureRequest, kind: str) -> list[Both]:
    if kind == "sync":
        running = request.getfixturevalue("two_threaded_sandboxes")
        return [Both("sync", None, sandbox.admin, sandbox.base_url, None) for sandbox in running]
    sites = []
    for name, app in zip(("one", "two"), request.getfixturevalue("two_apps"), strict=True):
        transport = httpx.ASGITransport(app=app)
        base_url = f"http://{name}.sandbox.test"
        admin_http = httpx.AsyncClient(transport=transport, base_url=base_url)
        site = Both("async", None, AsyncSandboxAdmin(client=admin_http), base_url, transport)
        site._extra.append(admin_http)
        sites.append(site)
    return sites


@pytest.fixture(params=COMBINATIONS, ids=["-".join(pair) for pair in COMBINATIONS])
async def setup(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str, anyio_backend: str
) -> AsyncIterator[Setup]:
    kind, store_kind = request.param
    one, two = await _sites(request, kind)
    for site in (one, two):
        await run(site.admin.reset)
    sync_redis = redis.Redis.from_url(redis_url)
    async_redis: redis.asyncio.Redis | None = None
    store: Any
    if store_kind == "file":
        store = FileTokenStore(tmp_path / "tokens.json")
    elif store_kind == "redis":
        store = RedisTokenStore(sync_redis)
    else:
        async_redis = redis.asyncio.Redis.from_url(redis_url)
        store = AsyncRedisTokenStore(async_redis)
    try:
        yield Setup(one, two, store, store_kind, tmp_path, sync_redis)
    finally:
        await one.close()
        await two.close()
        if async_redis is not None:
            await async_redis.aclose()
        sync_redis.close()


async def test_a_client_of_another_host_never_receives_the_token(setup: Setup) -> None:
    first = setup.client(setup.one)
    await run(first.material.get_material_count)

    elsewhere = setup.client(setup.two)
    await run(elsewhere.material.get_material_count)

    # Its only API call was accepted: it sent a token the second sandbox issued.
    assert await setup.two.counters() == {TOKEN: 1, COUNT: 1}
    assert await run(elsewhere.get_access_token) != await run(first.get_access_token)
    assert len(setup.stored_keys()) == 2
    # And the first client still has its own: no call refused, no new /token.
    await run(first.material.get_material_count)
    assert await setup.one.counters() == {TOKEN: 1, COUNT: 2}


async def test_a_wrong_secret_fails_at_once_beside_a_cached_token(setup: Setup) -> None:
    first = setup.client(setup.one)
    await run(first.material.get_material_count)

    wrong = setup.client(setup.one, secret=WRONG_SECRET)
    with pytest.raises(AuthenticationError) as raised:
        await run(wrong.material.get_material_count)

    assert raised.value.errcode == 40125
    # It never sent the cached token: the only count call is the first client's.
    assert await setup.one.calls_to(COUNT) == 1
    assert await setup.one.calls_to(TOKEN) == 2
    # The valid token is still there for the right secret.
    await run(first.material.get_material_count)
    assert await setup.one.counters() == {TOKEN: 2, COUNT: 2}


async def test_an_entry_of_the_old_layout_is_never_served(setup: Setup) -> None:
    # A token the sandbox really issued, saved under the bare appid.
    issued = await run(setup.client(setup.one, token_store=None).get_access_token)
    setup.plant_old_layout_entry(issued)

    wrong = setup.client(setup.one, secret=WRONG_SECRET)
    with pytest.raises(AuthenticationError):
        await run(wrong.material.get_material_count)
    right = setup.client(setup.one)
    await run(right.material.get_material_count)

    assert await run(right.get_access_token) != issued
    assert await setup.one.counters() == {TOKEN: 3, COUNT: 1}
    assert setup.old_layout_key() in setup.stored_keys()  # left alone, to expire


async def test_no_secret_reaches_the_store(setup: Setup) -> None:
    await run(setup.client(setup.one).material.get_material_count)
    with pytest.raises(AuthenticationError):
        await run(setup.client(setup.one, secret=WRONG_SECRET).get_access_token)
    await run(setup.client(setup.two).material.get_material_count)

    stored = setup.everything_stored()
    assert stored  # something was stored, and it holds no secret
    assert DEMO_SECRET.encode() not in stored
    assert WRONG_SECRET.encode() not in stored


async def test_the_stored_slot_is_the_clients_scope(setup: Setup) -> None:
    await run(setup.client(setup.one).material.get_material_count)

    key = token_scope(setup.one.base_url, DEMO_APPID, DEMO_SECRET).key
    expected = key if setup.store_kind == "file" else f"wechat_material:access_token:{key}"
    assert expected in setup.stored_keys()
    assert setup.old_layout_key() not in setup.stored_keys()


def test_scoped_token_files_stay_private(tmp_path: Path) -> None:
    with run_in_thread(SandboxConfig(seed=35)) as sandbox:
        path = tmp_path / "private" / "tokens.json"
        store = FileTokenStore(path)
        with WeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, token_store=store
        ) as client:
            client.material.get_material_count()

    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    made = sorted(path.parent.iterdir())
    assert len(made) >= 3  # the tokens, the data lock, this scope's fetch lock
    for made_file in made:
        assert stat.S_IMODE(made_file.stat().st_mode) == 0o600, made_file.name
        assert DEMO_SECRET not in made_file.name
