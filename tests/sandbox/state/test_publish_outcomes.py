"""Publications that end other than in success, and publish_id as a string or a number.

freepublish/get documents publish_status 0 to 6 (2 originality check failed,
3 failed, 4 rejected by review, 6 banned after success) with ``fail_idx``, the
articles at fault; the PUBLISHJOBFINISH event's example for 2 lists them
1-based. Tests choose the ending of the next publication through the admin
API (``/_sandbox/publishing/next``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material.sandbox import (
    AsyncSandboxAdmin,
    PublishOutcome,
    SandboxAdminError,
    SandboxBackend,
    SandboxConfig,
    create_app,
    run_in_thread,
)

from ..wechat_wire import START, WeChat, article, errcode, media

pytestmark = pytest.mark.anyio
NEXT = "/_sandbox/publishing/next"
GET = "/cgi-bin/freepublish/get"


async def _submit(wx: WeChat, count: int = 1) -> dict[str, Any]:
    thumb = await wx.add_image()
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)] * count})
    return await wx.call("/cgi-bin/freepublish/submit", {"media_id": draft["media_id"]})


async def _ending(wx: WeChat, admin: AsyncSandboxAdmin, count: int = 1) -> dict[str, Any]:
    job = await _submit(wx, count)
    await admin.advance(60)
    return await wx.call(GET, {"publish_id": job["publish_id"]})


@pytest.mark.parametrize(
    ("plan", "reply"),
    [
        ({"status": 2}, {"publish_status": 2, "fail_idx": [1, 2, 3]}),
        ({"status": 2, "fail_idx": [3, 1]}, {"publish_status": 2, "fail_idx": [1, 3]}),
        ({"status": 3, "fail_idx": [2]}, {"publish_status": 3, "fail_idx": [2]}),
        # A position past the last article names none: then every article is at fault.
        ({"status": 3, "fail_idx": [8]}, {"publish_status": 3, "fail_idx": [1, 2, 3]}),
        ({"status": 4}, {"publish_status": 4, "fail_idx": []}),
    ],
)
async def test_a_failed_publication_answers_wechats_shape(
    wx: WeChat,
    client: httpx.AsyncClient,
    admin: AsyncSandboxAdmin,
    plan: dict[str, Any],
    reply: dict[str, Any],
) -> None:
    assert (await client.put(NEXT, json=plan)).status_code == 200
    job = await _submit(wx, count=3)
    publishing = await wx.call(GET, {"publish_id": job["publish_id"]})
    assert publishing["publish_status"] == 1  # publishing takes its time, whatever the end
    await admin.advance(60)
    ended = await wx.call(GET, {"publish_id": job["publish_id"]})
    assert ended == {"publish_id": job["publish_id"], **reply}
    listing = await wx.call("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20})
    assert listing["total_count"] == 0
    # Used once: the next publication succeeds.
    assert (await client.get(NEXT)).json() == {"status": 0, "fail_idx": []}
    assert (await _ending(wx, admin))["publish_status"] == 0


async def test_a_banned_publication_is_gone_but_keeps_its_id(
    wx: WeChat, admin: AsyncSandboxAdmin, client: httpx.AsyncClient
) -> None:
    assert await admin.set_next_publication(6) == PublishOutcome(6)
    ended = await _ending(wx, admin)
    assert ended["publish_status"] == 6
    assert ended["article_detail"] == {"count": 0, "item": []}
    assert ended["fail_idx"] == []
    article_id = ended["article_id"]
    assert (
        errcode(await wx.post("/cgi-bin/freepublish/getarticle", {"article_id": article_id}))
        == 53600
    )
    delete = {"article_id": article_id, "index": 0}
    assert errcode(await wx.post("/cgi-bin/freepublish/delete", delete)) == 53600


@pytest.mark.parametrize(
    "plan",
    [
        {"status": 1},
        {"status": 5},
        {"status": 7},
        {"status": "3"},
        {"status": True},
        {"status": 4, "fail_idx": [1]},
        {"status": 3, "fail_idx": [0]},
        {"status": 3, "fail_idx": [9]},
        {"status": 3, "fail_idx": [1, 1]},
        {"status": 3, "fail_idx": "1"},
        {"status": 3, "fail_idx": [True]},
        {"status": 3, "fail_idx": [1, "2"]},
        {"status": 3, "why": "x"},
        [3],
    ],
)
async def test_a_bad_plan_is_refused_plainly_and_changes_nothing(
    client: httpx.AsyncClient, plan: object
) -> None:
    reply = await client.put(NEXT, json=plan)
    assert reply.status_code == 400
    assert reply.json()["error"]
    assert (await client.get(NEXT)).json() == {"status": 0, "fail_idx": []}


async def test_a_reset_forgets_the_plan(admin: AsyncSandboxAdmin) -> None:
    await admin.set_next_publication(3, fail_idx=[1])
    assert await admin.next_publication() == PublishOutcome(3, (1,))
    await admin.reset()
    assert await admin.next_publication() == PublishOutcome()
    with pytest.raises(SandboxAdminError) as refused:
        await admin.set_next_publication(5)
    assert refused.value.status == 400


async def test_publish_id_is_a_string_unless_set_to_a_number(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    job = await _submit(wx)
    assert isinstance(job["publish_id"], str)
    await admin.set_publish_id_form("number")
    numeric = await _submit(wx)
    assert isinstance(numeric["publish_id"], int)
    for asked in (numeric["publish_id"], str(numeric["publish_id"])):
        state = await wx.call(GET, {"publish_id": asked})
        assert state["publish_id"] == numeric["publish_id"]
    await admin.set_publish_id_form("string")
    assert (await wx.call(GET, {"publish_id": numeric["publish_id"]}))["publish_id"] == str(
        numeric["publish_id"]
    )


async def test_a_bad_publish_id_form_is_refused(client: httpx.AsyncClient) -> None:
    reply = await client.put("/_sandbox/settings", json={"publish_id": "int"})
    assert reply.status_code == 400
    assert "publish_id" in reply.json()["error"]


async def test_a_submitted_ending_survives_a_restart(tmp_path: Path) -> None:
    config = SandboxConfig(seed=4, start_time=START, data_dir=tmp_path)
    app = create_app(config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test"
    ) as http:
        wx = WeChat(http)
        await wx.fetch_token()
        await AsyncSandboxAdmin(client=http).set_next_publication(3, fail_idx=[1])
        job = await _submit(wx, count=2)
    app.state.sandbox.close()
    again = create_app(config)
    backend: SandboxBackend = again.state.sandbox
    try:
        backend.clock.advance(60)
        assert backend.publishing.next_outcome is None
        state = backend.publishing.status(config.accounts[0][0], job["publish_id"])
        assert state == {"publish_id": job["publish_id"], "publish_status": 3, "fail_idx": [1]}
    finally:
        backend.close()


def test_the_sync_admin_plans_an_ending_over_a_socket() -> None:
    with run_in_thread(SandboxConfig(seed=6, start_time=START)) as sandbox:
        admin = sandbox.admin
        assert admin.set_next_publication(2, fail_idx=[1]) == PublishOutcome(2, (1,))
        admin.set_publish_id_form("number")
        appid, secret = sandbox.backend.config.accounts[0]
        with httpx.Client(base_url=sandbox.base_url) as http:
            grant = {"grant_type": "client_credential", "appid": appid, "secret": secret}
            token = {
                "access_token": http.get("/cgi-bin/token", params=grant).json()["access_token"]
            }
            image = media("image.jpg")
            files = {"media": ("image.jpg", image)}
            thumb = http.post(
                "/cgi-bin/material/add_material", params={**token, "type": "image"}, files=files
            ).json()["media_id"]
            draft = http.post(
                "/cgi-bin/draft/add", params=token, json={"articles": [article(thumb)]}
            )
            submit = http.post(
                "/cgi-bin/freepublish/submit", params=token, json=draft.json()
            ).json()
            assert isinstance(submit["publish_id"], int)
            admin.advance(60)
            ended = http.post(GET, params=token, json={"publish_id": submit["publish_id"]})
            assert ended.json() == {
                "publish_id": submit["publish_id"],
                "publish_status": 2,
                "fail_idx": [1],
            }
        assert admin.next_publication() == PublishOutcome()


async def test_the_console_offers_the_control(
    client: httpx.AsyncClient, admin: AsyncSandboxAdmin
) -> None:
    page = (await client.get("/ui/controls")).text
    assert 'data-admin-path="/_sandbox/publishing/next"' in page
    assert 'data-testid="publish-status"' in page
    assert 'data-json="numbers"' in page
    assert "Next publication: <strong" in page
    await admin.set_next_publication(3, fail_idx=[2])
    page = (await client.get("/ui/controls")).text
    assert '<option value="3" selected>' in page
    assert "3 failed (articles 2)" in page
    assert 'value="2"' in page
