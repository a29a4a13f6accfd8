"""Tokens that go bad, busy and failing servers, quotas: bounded, and never a half upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material import (
    AuthenticationError,
    MaterialCount,
    MediaFile,
    QuotaError,
    RateLimitError,
    RetryPolicy,
    SystemBusyError,
    TokenError,
    TokenGrant,
    TransportError,
)
from wechat_material.sandbox import DEMO_APPID

from .harness import Both

pytestmark = pytest.mark.anyio

TOKEN = "/cgi-bin/token"
COUNT = "/cgi-bin/material/get_materialcount"
ADD = "/cgi-bin/material/add_material"


async def test_a_revoked_token_is_refreshed_once_and_the_call_succeeds(wx: Both) -> None:
    await wx(wx.client.material.get_material_count)
    assert await wx.calls_to(TOKEN) == 1
    await wx(wx.admin.revoke_tokens, DEMO_APPID)

    count = await wx(wx.client.material.get_material_count)

    assert isinstance(count, MaterialCount)
    assert await wx.calls_to(TOKEN) == 2
    assert await wx.calls_to(COUNT) == 3  # ok, refused (40001), replayed


async def test_an_expired_token_is_refreshed_ahead_or_on_42001(wx: Both) -> None:
    await wx(wx.client.material.get_material_count)
    await wx(wx.admin.advance, 7300)
    await wx(wx.client.material.get_material_count)
    assert await wx.calls_to(TOKEN) == 2


async def test_a_second_token_refusal_raises_instead_of_looping(wx: Both) -> None:
    revoked = await wx(wx.client.get_access_token)
    await wx(wx.admin.revoke_tokens, DEMO_APPID)

    # A token source that keeps handing out the revoked token.
    def same_token() -> TokenGrant:
        return TokenGrant(access_token=revoked, expires_in=7200)

    async def same_token_async() -> TokenGrant:
        return same_token()

    stuck = wx.new_client(token_fetcher=same_token if wx.kind == "sync" else same_token_async)
    with pytest.raises(TokenError) as caught:
        await wx(stuck.material.get_material_count)

    assert caught.value.errcode in (40001, 40014, 42001)
    assert revoked not in str(caught.value)
    assert await wx.calls_to(TOKEN) == 1  # only the first client's fetch
    assert await wx.calls_to(COUNT) == 2  # refused, replayed once, refused: stop


async def test_a_wrong_secret_fails_fast_with_one_token_call(wx: Both) -> None:
    wrong = "f" * 32
    client = wx.new_client(secret=wrong)
    with pytest.raises(AuthenticationError) as caught:
        await wx(client.material.get_material_count)
    assert caught.value.errcode == 40125
    assert "AppSecret" in caught.value.hint
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)
    assert await wx.calls_to(TOKEN) == 1
    assert await wx.calls_to(COUNT) == 0


async def test_a_replayed_upload_sends_the_whole_file_again(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    data = (media / "video.mp4").read_bytes()
    await wx(wx.client.get_access_token)
    await wx(wx.admin.revoke_tokens, DEMO_APPID)  # the first attempt will get 40001

    with (media / "video.mp4").open("rb") as stream:
        added = await wx(wx.client.material.add_video_material, stream, "标题", "介绍")

    assert await wx.calls_to(ADD) == 2
    saved = await wx(wx.client.material.download_material, added.media_id, tmp_path)
    assert saved.read_bytes() == data


async def test_an_upload_retried_after_a_busy_reply_arrives_complete(wx: Both, media: Path) -> None:
    data = (media / "voice-2s.mp3").read_bytes()
    await wx(wx.admin.set_faults, ADD, error_rate=1.0, count=2)
    added = await wx(wx.client.material.add_material, "voice", data, "语音.mp3")
    assert await wx.calls_to(ADD) == 3
    got = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(got, MediaFile)
    assert got.content == data


async def test_busy_replies_are_retried_within_bounds(wx: Both) -> None:
    await wx(wx.admin.set_faults, COUNT, error_rate=1.0, count=2)
    await wx(wx.client.material.get_material_count)
    assert await wx.calls_to(COUNT) == 3

    await wx(wx.admin.set_faults, COUNT, error_rate=1.0)
    with pytest.raises(SystemBusyError) as caught:
        await wx(wx.client.material.get_material_count)
    assert caught.value.errcode == -1
    assert await wx.calls_to(COUNT) == 6  # three more, then give up


async def test_gateway_errors_are_retried_for_reads_only(wx: Both, media: Path) -> None:
    await wx(wx.admin.set_faults, COUNT, http_5xx_rate=1.0, count=1)
    await wx(wx.client.material.get_material_count)
    assert await wx.calls_to(COUNT) == 2

    await wx(wx.admin.set_faults, COUNT, http_5xx_rate=1.0)
    with pytest.raises(TransportError, match=r"HTTP 50[23].*3 attempt"):
        await wx(wx.client.material.get_material_count)

    # An upload may have been stored before the gateway failed: never resent.
    await wx(wx.admin.set_faults, ADD, http_5xx_rate=1.0)
    with pytest.raises(TransportError, match="1 attempt"):
        await wx(wx.client.material.add_material, "image", media / "image.jpg")
    assert await wx.calls_to(ADD) == 1


async def test_dropped_connections_end_in_a_transport_error(wx: Both, media: Path) -> None:
    await wx(wx.admin.set_faults, COUNT, drop_rate=1.0)
    with pytest.raises(TransportError, match="3 attempt") as caught:
        await wx(wx.client.material.get_material_count)
    assert "access_token" not in str(caught.value)
    assert await wx.calls_to(COUNT) == 3

    await wx(wx.admin.set_faults, ADD, drop_rate=1.0)
    with pytest.raises(TransportError, match="1 attempt"):
        await wx(wx.client.material.add_material, "image", media / "image.jpg")
    assert await wx.calls_to(ADD) == 1


async def test_retries_follow_the_policy(wx: Both) -> None:
    patient = wx.new_client(retry=RetryPolicy(max_attempts=5, backoff_base=0.0))
    await wx(wx.admin.set_faults, COUNT, error_rate=1.0, count=4)
    await wx(patient.material.get_material_count)
    assert await wx.calls_to(COUNT) == 4 + 1

    hasty = wx.new_client(retry=RetryPolicy.never())
    await wx(wx.admin.set_faults, COUNT, error_rate=1.0, count=1)
    with pytest.raises(SystemBusyError):
        await wx(hasty.material.get_material_count)


async def test_a_spent_daily_quota_is_not_retried(wx: Both) -> None:
    await wx(wx.admin.set_quota, DEMO_APPID, COUNT, 1)
    await wx(wx.client.material.get_material_count)
    with pytest.raises(QuotaError) as caught:
        await wx(wx.client.material.get_material_count)
    assert caught.value.errcode == 45009
    assert "clear_quota" in caught.value.hint
    assert await wx.calls_to(COUNT) == 2

    await wx(wx.client.clear_quota)
    await wx(wx.client.material.get_material_count)


async def test_minute_quota_waits_for_the_next_minute_only_when_asked(wx: Both) -> None:
    await wx(wx.admin.set_quota, DEMO_APPID, COUNT, 1000, minute_limit=1)
    await wx(wx.client.material.get_material_count)
    with pytest.raises(RateLimitError):
        await wx(wx.client.material.get_material_count)
    assert await wx.calls_to(COUNT) == 2

    # Asked to wait, but the next minute (at least 1 s away, see test_call_flow)
    # is further off than the client may wait: no wait, no retry.
    too_far = wx.new_client(retry=RetryPolicy(wait_on_rate_limit=True, max_rate_limit_wait=0.5))
    with pytest.raises(RateLimitError):
        await wx(too_far.material.get_material_count)
    assert await wx.calls_to(COUNT) == 3


async def test_json_labelled_text_plain_is_still_json(wx: Both, media: Path) -> None:
    await wx(wx.admin.set_json_content_type, "text/plain")
    count = await wx(wx.client.material.get_material_count)
    assert isinstance(count, MaterialCount)
    added = await wx(wx.client.material.add_material, "image", media / "image.jpg")
    got = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(got, MediaFile)
    with pytest.raises(AuthenticationError):
        await wx(wx.new_client(secret="0" * 32).material.get_material_count)
    # The demo account still works alongside the failed one.
    assert isinstance(await wx(wx.client.material.get_material_count), MaterialCount)


class RefusedOnce:
    """Sends the first upload to a port nothing listens on (a real refused connection).

    Everything else, and the upload's second attempt, goes to the sandbox.
    """

    def __init__(self, refusing_port: int) -> None:
        self.refusing_port = refusing_port
        self.refused = 0

    def divert(self, request: httpx.Request) -> bool:
        if self.refused or request.url.path != ADD:
            return False
        self.refused += 1
        request.url = request.url.copy_with(host="127.0.0.1", port=self.refusing_port)
        return True


class SyncRefusedOnce(RefusedOnce, httpx.BaseTransport):
    def __init__(self, refusing_port: int) -> None:
        super().__init__(refusing_port)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.divert(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRefusedOnce(RefusedOnce, httpx.AsyncBaseTransport):
    def __init__(self, refusing_port: int, sandbox: httpx.AsyncBaseTransport) -> None:
        super().__init__(refusing_port)
        self.sandbox = sandbox
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.divert(request):
            return await self.network.handle_async_request(request)
        return await self.sandbox.handle_async_request(request)

    async def aclose(self) -> None:
        await self.network.aclose()


async def test_an_upload_refused_at_connect_is_sent_again(
    wx: Both, media: Path, unused_port: int
) -> None:
    http: Any
    if wx.kind == "sync":
        transport: Any = SyncRefusedOnce(unused_port)
        http = httpx.Client(transport=transport)
    else:
        assert wx.transport is not None
        transport = AsyncRefusedOnce(unused_port, wx.transport)
        http = httpx.AsyncClient(transport=transport)
    wx._extra.append(http)
    client = wx.new_client(http_client=http)

    added = await wx(client.material.add_material, "image", media / "image.jpg")

    assert transport.refused == 1  # the first attempt never got through...
    assert await wx.calls_to(ADD) == 1  # ...so the second is the only one WeChat saw
    got = await wx(client.material.get_material, added.media_id)
    assert isinstance(got, MediaFile)


async def test_an_upload_whose_reply_is_cut_is_not_sent_again(wx: Both, media: Path) -> None:
    await wx(wx.admin.set_faults, ADD, drop_rate=1.0, count=1)

    with pytest.raises(TransportError, match="1 attempt"):
        await wx(wx.client.material.add_material, "image", media / "image.jpg")

    assert await wx.calls_to(ADD) == 1
    # WeChat had stored it before the reply was cut: a second send would be a duplicate.
    count = await wx(wx.client.material.get_material_count)
    assert count.image_count == 1
