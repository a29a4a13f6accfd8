"""Types on the wire as documented: msg_data_id a string (or, switched, a number), and
the retired APIs' errmsg in WeChat's shape, which the SDK still reads."""

from __future__ import annotations

import re

import httpx
import pytest

from wechat_material.errors import APIError, RetiredAPIError, api_error
from wechat_material.models import Submission
from wechat_material.sandbox import AsyncSandboxAdmin, SandboxConfig

from ..wechat_wire import START, WeChat, article, errcode

SUBMIT = "/cgi-bin/freepublish/submit"
RETIRED = re.compile(
    r"^This API has been unsupported\. For more details, please view "
    r"https://mp\.weixin\.qq\.com/cgi-bin/announce\?action=getannouncement"
    r"&announce_id=11644831863qFQSh&version=&lang=zh_CN&token= "
    r"hint: \[(?P<hint>[0-9A-Za-z]{14})\] rid: (?P<rid>[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})$"
)


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(seed=5, start_time=START, news_api="retired")


async def submit(wx: WeChat) -> dict[str, object]:
    thumb = await wx.add_image()
    draft = await wx.call("/cgi-bin/draft/add", {"articles": [article(thumb)]})
    return await wx.call(SUBMIT, {"media_id": draft["media_id"]})


@pytest.mark.anyio
async def test_msg_data_id_is_a_string_unless_set_to_a_number(
    wx: WeChat, admin: AsyncSandboxAdmin
) -> None:
    job = await submit(wx)
    assert isinstance(job["msg_data_id"], str)
    assert str(job["msg_data_id"]).isdigit()
    assert Submission.model_validate(job).msg_data_id == job["msg_data_id"]
    await admin.set_msg_data_id_form("number")
    numeric = await submit(wx)
    assert isinstance(numeric["msg_data_id"], int)
    assert isinstance(numeric["publish_id"], str)  # each id has its own switch
    assert Submission.model_validate(numeric).msg_data_id == numeric["msg_data_id"]
    await admin.set_msg_data_id_form("string")
    assert isinstance((await submit(wx))["msg_data_id"], str)


@pytest.mark.anyio
async def test_a_reset_brings_back_strings(
    wx: WeChat, admin: AsyncSandboxAdmin, client: httpx.AsyncClient
) -> None:
    await admin.set_msg_data_id_form("number")
    await admin.reset()
    await wx.fetch_token()
    assert isinstance((await submit(wx))["msg_data_id"], str)
    settings = await client.put("/_sandbox/settings", json={})
    assert settings.json()["msg_data_id"] == "string"


@pytest.mark.anyio
async def test_a_bad_msg_data_id_form_is_refused(client: httpx.AsyncClient) -> None:
    reply = await client.put("/_sandbox/settings", json={"msg_data_id": "int"})
    assert reply.status_code == 400
    assert reply.json()["field"] == "msg_data_id"


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/cgi-bin/material/add_news", "/cgi-bin/material/update_news"])
async def test_a_retired_api_answers_in_wechats_shape(wx: WeChat, path: str) -> None:
    reply = await wx.post(path, {"articles": [article("x")]})
    assert errcode(reply) == 45106
    errmsg = reply.json()["errmsg"]
    found = RETIRED.match(errmsg)
    assert found, errmsg
    # The SDK reads the rid at the end, and says the API is retired.
    error = api_error(45106, errmsg, endpoint=path)
    assert isinstance(error, RetiredAPIError)
    assert error.rid == found["rid"]


@pytest.mark.anyio
async def test_the_hint_follows_the_seed(wx: WeChat) -> None:
    first = (await wx.post("/cgi-bin/material/add_news", {"articles": []})).json()["errmsg"]
    second = (await wx.post("/cgi-bin/material/add_news", {"articles": []})).json()["errmsg"]
    hints = [RETIRED.match(m)["hint"] for m in (first, second)]  # type: ignore[index]
    assert hints[0] != hints[1]


def test_the_sdk_reads_both_shapes_of_rid() -> None:
    for errmsg, rid in (
        ("invalid credential rid: 6553f100-2889bdb0-be0c0010", "6553f100-2889bdb0-be0c0010"),
        ("This API has been unsupported. For more details, please view https://mp.weixin.qq.com"
         "/cgi-bin/announce?action=getannouncement&announce_id=1 hint: [Gd9ADA0338e296] "
         "rid: 6553f100-2889bdb0-be0c0010", "6553f100-2889bdb0-be0c0010"),
        ("invalid credential hint: [KJZfAa0644e575]", "KJZfAa0644e575"),
    ):  # fmt: skip
        assert APIError(40001, errmsg).rid == rid
