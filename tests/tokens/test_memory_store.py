"""The memory store keeps the store contract: per-appid tokens, compare-and-delete, locks."""

from __future__ import annotations

from wechat_material.tokens import AccessToken, MemoryTokenStore

TOKEN = AccessToken("TOKEN-VALUE-1", 2_000_000_000.0)


def test_compare_and_delete_says_whether_it_deleted() -> None:
    store = MemoryTokenStore()
    assert store.discard("wx1", "anything") is False  # nothing stored
    store.save("wx1", TOKEN)
    assert store.discard("wx1", "another-token") is False
    assert store.load("wx1") == TOKEN
    assert store.discard("wx1", TOKEN.value) is True
    assert store.load("wx1") is None


def test_each_appid_has_one_lock_of_its_own() -> None:
    store = MemoryTokenStore()
    assert store.lock("wx1") is store.lock("wx1")
    assert store.lock("wx1") is not store.lock("wx2")


def test_the_repr_names_the_appids_and_never_a_token() -> None:
    store = MemoryTokenStore()
    store.save("wx2", TOKEN)
    store.save("wx1", TOKEN)
    assert repr(store) == "MemoryTokenStore(appids=['wx1', 'wx2'])"
    assert TOKEN.value not in repr(store)
