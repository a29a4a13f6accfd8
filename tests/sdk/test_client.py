"""Client set-up, account helpers, and secrets kept out of logs, messages and reprs."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material import (
    Article,
    AsyncWeChatClient,
    NotFoundError,
    QuotaInfo,
    RetryPolicy,
    TokenGrant,
    TransportError,
    ValidationError,
    WeChatClient,
)
from wechat_material._calls import article_json
from wechat_material.draft import AsyncDraftAPI, DraftAPI
from wechat_material.material import AsyncMaterialAPI, MaterialAPI
from wechat_material.publish import AsyncPublishAPI, PublishAPI
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, AsyncSandboxAdmin

from .harness import FAST_RETRY, Both

STABLE = "/cgi-bin/stable_token"


@pytest.mark.anyio
async def test_account_helpers(wx: Both) -> None:
    token = await wx(wx.client.get_access_token)
    assert isinstance(token, str)
    assert len(token) > 20
    assert await wx(wx.client.get_access_token) == token  # reused, not fetched again

    quota = await wx(wx.client.get_api_quota, "/cgi-bin/material/add_material")
    assert isinstance(quota, QuotaInfo)
    assert quota.quota.daily_limit > 0
    assert quota.quota.used == 0
    await wx(wx.client.clear_quota)
    with pytest.raises(ValidationError, match="cgi_path"):
        await wx(wx.client.get_api_quota, "cgi-bin/material/add_material")


@pytest.mark.anyio
async def test_stable_token_mode(wx: Both) -> None:
    client = wx.new_client(token_mode="stable")
    await wx(client.material.get_material_count)
    assert await wx.calls_to(STABLE) == 1
    assert await wx.calls_to("/cgi-bin/token") == 0
    # Two clients in stable mode share one token instead of rotating each other's.
    other = wx.new_client(token_mode="stable")
    assert await wx(other.get_access_token) == await wx(client.get_access_token)


@pytest.mark.anyio
async def test_tokens_from_elsewhere(wx: Both) -> None:
    source = wx.new_client()
    fetched: list[str] = []

    if wx.kind == "sync":

        def fetch() -> TokenGrant:
            token = source.get_access_token()
            fetched.append(token)
            return TokenGrant(access_token=token, expires_in=7200)

        client = wx.new_client(token_fetcher=fetch)
    else:

        async def afetch() -> TokenGrant:
            token = await source.get_access_token()
            fetched.append(token)
            return TokenGrant(access_token=token, expires_in=7200)

        client = wx.new_client(token_fetcher=afetch)

    await wx(client.material.get_material_count)
    assert len(fetched) == 1
    assert "secret" not in repr(client)


@pytest.mark.anyio
async def test_no_secret_or_token_in_logs_reprs_or_errors(
    wx: Both, caplog: pytest.LogCaptureFixture, media: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[Exception] = []
    await wx(wx.client.material.add_material, "image", media / "image.jpg")
    with pytest.raises(NotFoundError) as not_found:
        await wx(wx.client.material.get_material, "missing")
    errors.append(not_found.value)
    await wx(wx.admin.set_faults, "/cgi-bin/material/get_materialcount", drop_rate=1.0)
    with pytest.raises(TransportError) as dropped:
        await wx(wx.client.material.get_material_count)
    errors.append(dropped.value)
    token = await wx(wx.client.get_access_token)

    texts = [caplog.text, repr(wx.client), repr(wx.client.token_manager)]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    for text in texts:
        assert DEMO_SECRET not in text
        assert token not in text
    assert "/cgi-bin/material/get_material" in caplog.text  # requests are logged
    assert "access_token=" in caplog.text  # ... with the token masked


def test_reprs_show_the_appid_only() -> None:
    client = WeChatClient(DEMO_APPID, DEMO_SECRET)
    assert repr(client) == (
        f"WeChatClient(appid='{DEMO_APPID}', base_url='https://api.weixin.qq.com', "
        "token_mode='token')"
    )
    client.close()


@pytest.mark.parametrize("cls", [WeChatClient, AsyncWeChatClient])
def test_from_env(monkeypatch: pytest.MonkeyPatch, cls: Any) -> None:
    monkeypatch.delenv("WECHAT_APPID", raising=False)
    monkeypatch.delenv("WECHAT_SECRET", raising=False)
    monkeypatch.delenv("WECHAT_BASE_URL", raising=False)
    with pytest.raises(ValidationError, match="WECHAT_APPID is not set"):
        cls.from_env()
    monkeypatch.setenv("WECHAT_APPID", DEMO_APPID)
    with pytest.raises(ValidationError, match="WECHAT_SECRET is not set"):
        cls.from_env()
    monkeypatch.setenv("WECHAT_SECRET", DEMO_SECRET)
    monkeypatch.setenv("WECHAT_BASE_URL", "http://127.0.0.1:8900/")
    client = cls.from_env(retry=FAST_RETRY)
    assert client.appid == DEMO_APPID
    assert client.base_url == "http://127.0.0.1:8900"
    assert cls.from_env(base_url="https://example.test").base_url == "https://example.test"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"appid": ""}, "appid is required"),
        ({"secret": None}, "secret is required"),
        ({"base_url": "api.weixin.qq.com"}, "base_url"),
        ({"timeout": 0}, "timeout"),
        ({"upload_timeout": httpx.Timeout(None)}, "upload_timeout"),
        ({"token_mode": "fast"}, "token_mode"),
        ({"refresh_margin": -1}, "refresh_margin"),
        ({"refresh_margin": float("nan")}, "refresh_margin"),
        ({"refresh_margin": "300"}, "refresh_margin"),
    ],
)
@pytest.mark.parametrize("cls", [WeChatClient, AsyncWeChatClient])
def test_bad_settings_are_refused_clearly_before_anything_is_opened(
    kwargs: dict[str, Any], message: str, cls: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Any] = []
    http_class = httpx.Client if cls is WeChatClient else httpx.AsyncClient

    class Recorded(http_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kw: Any) -> None:
            opened.append(self)
            super().__init__(*args, **kw)

    monkeypatch.setattr(httpx, http_class.__name__, Recorded)
    arguments: dict[str, Any] = {"appid": DEMO_APPID, "secret": DEMO_SECRET, **kwargs}

    with pytest.raises(ValidationError, match=message):
        cls(**arguments)
    assert opened == []  # no connection pool left behind for nobody to close


def test_retry_policy_is_bounded() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(backoff_base=-1)
    import random

    policy = RetryPolicy(backoff_base=1.0, backoff_max=4.0)
    rng = random.Random(1)
    waits = [policy.backoff(n, rng) for n in range(1, 6)]
    assert all(0.5 <= w <= 1.0 for w in waits[:1])
    assert all(w <= 4.0 for w in waits)
    assert RetryPolicy(jitter=False, backoff_base=1.0).backoff(3, rng) == 4.0


def test_a_client_closes_only_its_own_http_client(threaded_sandbox: Any) -> None:
    threaded_sandbox.admin.reset()
    with httpx.Client() as http:
        with WeChatClient(
            DEMO_APPID, DEMO_SECRET, base_url=threaded_sandbox.base_url, http_client=http
        ) as client:
            client.material.get_material_count()
        assert not http.is_closed
    own = WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=threaded_sandbox.base_url)
    with own:
        own.material.get_material_count()
    assert own._http.is_closed


@pytest.mark.anyio
async def test_the_async_client_as_a_context_manager(sandbox_app: Any) -> None:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox_app))
    await AsyncSandboxAdmin("http://sandbox.test", client=http).reset()
    async with AsyncWeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url="http://sandbox.test", http_client=http
    ) as client:
        await client.material.get_material_count()
    assert not http.is_closed
    await http.aclose()


@pytest.mark.parametrize(
    ("sync_cls", "async_cls"),
    [
        (WeChatClient, AsyncWeChatClient),
        (MaterialAPI, AsyncMaterialAPI),
        (DraftAPI, AsyncDraftAPI),
        (PublishAPI, AsyncPublishAPI),
    ],
)
def test_the_sync_and_async_surfaces_match(sync_cls: type, async_cls: type) -> None:
    def surface(cls: type) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(member)
            for name, member in vars(cls).items()
            if callable(member) and not name.startswith("_")
        }

    sync_surface, async_surface = surface(sync_cls), surface(async_cls)
    sync_surface.pop("close", None)
    async_surface.pop("aclose", None)
    sync_surface.pop("async_client", None)  # the way from a blocking client to its twin
    assert sync_surface.keys() == async_surface.keys()
    for name, signature in sync_surface.items():
        other = async_surface[name]
        assert list(signature.parameters) == list(other.parameters), name
        assert getattr(async_cls, name).__doc__ == getattr(sync_cls, name).__doc__, name


def test_the_material_group_has_the_seed_librarys_names() -> None:
    names = {name for name in vars(MaterialAPI) if not name.startswith("_")}
    assert names == {
        "upload_media", "get_media", "upload_image", "upload_news", "upload_video",
        "add_material", "add_video_material", "add_news", "update_news", "get_material",
        "del_material", "get_material_count", "batch_get_material", "stream_get_material",
        "get_jssdk_media", "download_material", "download_media",
        # The verbs of draft and publish, for the same methods.
        "delete", "batch_get", "stream",
    }  # fmt: skip


def test_read_only_article_fields_are_not_sent_back() -> None:
    article = Article(title="t", content="c", thumb_media_id="m", url="http://a", thumb_url="u")
    assert article_json(article) == {"title": "t", "content": "c", "thumb_media_id": "m"}
