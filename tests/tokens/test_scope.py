"""token_scope: one key per host, appid and secret; no secret in it; safe in a file name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis.asyncio

from wechat_material import AsyncWeChatClient, ValidationError, WeChatClient
from wechat_material.tokens import (
    AccessToken,
    AsyncRedisTokenStore,
    AsyncScopedTokenStore,
    FileTokenStore,
    MemoryTokenStore,
    ScopedTokenStore,
    TokenManager,
    scoped_store,
    token_scope,
)
from wechat_material.tokens.scope import normalised_base_url

from .sources_for_tests import CountingFetcher

APPID = "wx0123456789abcdef"
SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = AccessToken("T" * 120, 1_900_000_000.0)


@pytest.mark.parametrize(
    "spelling",
    [
        "https://api.weixin.qq.com",
        "https://api.weixin.qq.com/",
        "HTTPS://API.Weixin.QQ.com:443",
        "https://api.weixin.qq.com:443//",
    ],
)
def test_one_host_spelt_otherwise_is_one_scope(spelling: str) -> None:
    assert normalised_base_url(spelling) == "https://api.weixin.qq.com:443"
    assert (
        token_scope(spelling, APPID, SECRET).key
        == token_scope("https://api.weixin.qq.com", APPID, SECRET).key
    )


def test_port_path_and_scheme_make_other_scopes() -> None:
    urls = [
        "https://api.weixin.qq.com",
        "http://api.weixin.qq.com",
        "https://api.weixin.qq.com:8443",
        "https://api.weixin.qq.com/proxy",
        "https://sandbox.internal",
        "http://[::1]:8000",
    ]
    keys = {token_scope(url, APPID, SECRET).key for url in urls}
    assert len(keys) == len(urls)
    assert normalised_base_url("http://[::1]:8000/x/") == "http://[::1]:8000/x"


def test_appid_secret_and_token_fetcher_make_other_scopes() -> None:
    url = "https://api.weixin.qq.com"
    keys = {
        token_scope(url, APPID, SECRET).key,
        token_scope(url, APPID, SECRET.upper()).key,
        token_scope(url, "wxffffffffffffffff", SECRET).key,
        token_scope(url, APPID, None).key,
    }
    assert len(keys) == 4


def test_the_key_holds_no_secret_and_names_a_file_safely() -> None:
    scope = token_scope("https://api.weixin.qq.com/", APPID, SECRET)

    assert re.fullmatch(rf"{APPID}\.u[0-9a-f]{{12}}\.s[0-9a-f]{{16}}", scope.key)
    assert SECRET not in scope.key
    assert SECRET not in repr(scope)
    assert scope.key not in repr(scope)
    assert token_scope("https://api.weixin.qq.com", APPID, None).key.endswith(".f")


@pytest.mark.parametrize("url", ["ftp://host", "https://", "http://host:port", "host:80"])
def test_a_base_url_that_names_no_host_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="base_url"):
        token_scope(url, APPID, SECRET)


def test_a_client_refuses_a_base_url_with_a_bad_port() -> None:
    with pytest.raises(ValidationError, match="base_url"):
        WeChatClient(APPID, SECRET, base_url="http://127.0.0.1:notaport")


def test_a_file_store_keeps_the_token_under_the_scope_key(tmp_path: Path) -> None:
    scope = token_scope("https://api.weixin.qq.com", APPID, SECRET)
    store = FileTokenStore(tmp_path / "tokens.json")
    fetch = CountingFetcher()
    manager = TokenManager(APPID, fetch, scoped_store(store, scope))

    token = manager.get()

    stored = store.load(scope.key)
    assert stored is not None
    assert stored.value == token
    assert store.load(APPID) is None
    assert (tmp_path / f"tokens.json.{scope.key}.fetch.lock").exists()


def test_scoping_a_scoped_store_again_keys_it_by_the_new_scope() -> None:
    first = token_scope("https://one.example", APPID, SECRET)
    second = token_scope("https://two.example", APPID, SECRET)
    memory = MemoryTokenStore()

    again = scoped_store(scoped_store(memory, first), second)

    assert isinstance(again, ScopedTokenStore)
    assert again.store is memory
    assert again.scope == second
    again.save(APPID, TOKEN)
    assert memory.load(second.key) == TOKEN
    assert memory.load(first.key) is None


def test_a_given_store_is_scoped_by_each_client() -> None:
    memory = MemoryTokenStore()
    with WeChatClient(APPID, SECRET, base_url="http://127.0.0.1:9", token_store=memory) as client:
        store = client.token_manager.store
        assert isinstance(store, ScopedTokenStore)
        assert store.store is memory
        assert store.scope == token_scope("http://127.0.0.1:9", APPID, SECRET)
        assert SECRET not in repr(store)


@pytest.mark.anyio
async def test_an_async_store_gets_the_async_wrapper(redis_url: str) -> None:
    connection = redis.asyncio.Redis.from_url(redis_url)
    store = AsyncRedisTokenStore(connection)
    try:
        async with AsyncWeChatClient(
            APPID, SECRET, base_url="http://127.0.0.1:9", token_store=store
        ) as client:
            scoped = client.token_manager.store
            assert isinstance(scoped, AsyncScopedTokenStore)
            await scoped.save(APPID, TOKEN)
            assert await store.load(scoped.scope.key) == TOKEN
            assert (await client.token_manager.current()) == TOKEN
            assert await store.load(APPID) is None
    finally:
        await connection.aclose()


def test_a_path_keeps_everything_but_its_trailing_slashes() -> None:
    assert normalised_base_url("https://h.example/WX/") == "https://h.example:443/WX"
    scope = token_scope("https://h.example/WX/", APPID, SECRET)
    assert (scope.base_url, scope.appid) == ("https://h.example:443/WX", APPID)


def test_every_operation_of_a_scoped_store_uses_the_scope_key() -> None:
    scope = token_scope("https://one.example", APPID, SECRET)
    memory = MemoryTokenStore()
    scoped = scoped_store(memory, scope)
    assert isinstance(scoped, ScopedTokenStore)

    scoped.save(APPID, TOKEN)
    assert memory.load(scope.key) == TOKEN
    assert scoped.lock(APPID) is memory.lock(scope.key)
    assert scoped.discard(APPID, "another-token") is False
    assert scoped.discard(APPID, TOKEN.value) is True
    assert memory.load(scope.key) is None
    assert repr(scoped) == f"ScopedTokenStore({memory!r}, {scope!r})"


class AsyncDictStore:
    """The smallest async store: a dict, and one memory store's locks."""

    def __init__(self) -> None:
        self.memory = MemoryTokenStore()

    async def load(self, appid: str) -> AccessToken | None:
        return self.memory.load(appid)

    async def save(self, appid: str, token: AccessToken) -> None:
        self.memory.save(appid, token)

    async def discard(self, appid: str, value: str) -> bool:
        return self.memory.discard(appid, value)

    def lock(self, appid: str) -> object:
        return self.memory.lock(appid)


@pytest.mark.anyio
async def test_every_operation_of_an_async_scoped_store_uses_the_scope_key() -> None:
    scope = token_scope("https://one.example", APPID, SECRET)
    store = AsyncDictStore()
    scoped = scoped_store(store, scope)  # type: ignore[arg-type]
    assert isinstance(scoped, AsyncScopedTokenStore)

    await scoped.save(APPID, TOKEN)
    assert await store.load(scope.key) == TOKEN
    assert await scoped.load(APPID) == TOKEN
    assert scoped.lock(APPID) is store.lock(scope.key)
    assert await scoped.discard(APPID, "another-token") is False
    assert await scoped.discard(APPID, TOKEN.value) is True
    assert await store.load(scope.key) is None
    assert repr(scoped) == f"AsyncScopedTokenStore({store!r}, {scope!r})"
