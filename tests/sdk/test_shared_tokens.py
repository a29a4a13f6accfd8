"""Clients of one account in one process share its token by default.

Without a ``token_store``, a client made per web request (or two clients of
one account) must not call ``/token`` again, nor end the other's token.
"""

from __future__ import annotations

from typing import Any

import pytest

from wechat_material import AsyncWeChatClient, AuthenticationError, MaterialCount, WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET
from wechat_material.tokens import MemoryTokenStore, memory

from .harness import Both, run

pytestmark = pytest.mark.anyio

TOKEN = "/cgi-bin/token"
COUNT = "/cgi-bin/material/get_materialcount"


def another_name_for(base_url: str) -> str:
    """The same sandbox under another host name (a real one for a real socket)."""
    if "127.0.0.1" in base_url:
        return base_url.replace("127.0.0.1", "localhost")
    return base_url.replace("://", "://alias.")  # in-process: the host is not looked up


async def test_clients_of_one_account_share_one_token(wx: Both) -> None:
    first = wx.new_client()
    second = wx.new_client()

    await wx(first.material.get_material_count)
    await wx(second.material.get_material_count)
    await wx(first.material.get_material_count)

    assert await wx.calls_to(TOKEN) == 1
    assert await wx.calls_to(COUNT) == 3  # no call refused and replayed
    assert await wx(first.get_access_token) == await wx(second.get_access_token)


async def test_a_client_per_request_fetches_the_token_once(wx: Both) -> None:
    for _ in range(5):
        per_request = wx.new_client()
        assert isinstance(await wx(per_request.material.get_material_count), MaterialCount)

    assert await wx.calls_to(TOKEN) == 1


async def test_sync_and_async_clients_of_one_account_share_it(threaded_sandbox: Any) -> None:
    admin = threaded_sandbox.admin
    await run(admin.reset)
    url = threaded_sandbox.base_url
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=url) as sync_client:
        await run(sync_client.material.get_material_count)
        async with AsyncWeChatClient(DEMO_APPID, DEMO_SECRET, base_url=url) as async_client:
            await async_client.material.get_material_count()
            assert await async_client.get_access_token() == sync_client.get_access_token()

    assert (await run(admin.counters, DEMO_APPID)) == {TOKEN: 1, COUNT: 2}


async def test_another_base_url_has_a_token_of_its_own(wx: Both) -> None:
    same_sandbox_other_url = wx.new_client(base_url=wx.base_url + "/")
    assert same_sandbox_other_url.base_url == wx.base_url  # the same URL, spelt otherwise
    await wx(wx.client.material.get_material_count)
    await wx(same_sandbox_other_url.material.get_material_count)
    assert await wx.calls_to(TOKEN) == 1

    elsewhere = wx.new_client(base_url=another_name_for(wx.base_url))
    await wx(elsewhere.material.get_material_count)
    assert await wx.calls_to(TOKEN) == 2


async def test_a_client_with_a_wrong_secret_does_not_borrow_the_token(wx: Both) -> None:
    await wx(wx.client.material.get_material_count)
    wrong = wx.new_client(secret="0" * 32)

    with pytest.raises(AuthenticationError):
        await wx(wrong.material.get_material_count)
    assert await wx.calls_to(COUNT) == 1


async def test_a_token_store_given_is_used_instead(wx: Both) -> None:
    await wx(wx.client.material.get_material_count)
    own: Any = wx.new_client(token_store=MemoryTokenStore())
    await wx(own.material.get_material_count)
    assert await wx.calls_to(TOKEN) == 2


def test_the_shared_store_never_holds_the_secret() -> None:
    client = WeChatClient(DEMO_APPID, DEMO_SECRET, base_url="http://127.0.0.1:9")
    try:
        scopes = list(memory._shared)
        assert scopes
        assert not any(DEMO_SECRET in scope for scope in scopes)
        assert client.token_manager.store is memory.shared_memory_store(scopes[-1])
    finally:
        client.close()
