"""The sandbox's wire format where a client sees it: files streamed in chunks and not at
all for HEAD, a stored file gone from the store, odd formats, flags, a retired API's hint."""

from __future__ import annotations

import hashlib
import io
import json
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxBackend, SandboxConfig
from wechat_material.sandbox.http.body_caps import SMALL_JSON_CAP
from wechat_material.sandbox.http.wire import error_payload
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.blobs import CHUNK

from ..wechat_wire import START, WeChat, errcode, media

pytestmark = pytest.mark.anyio
GET_MATERIAL = "/cgi-bin/material/get_material"
STABLE = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}


async def body_messages(app: Starlette, method: str, url: str, body: bytes = b"") -> list[bytes]:
    """The bodies of the ``http.response.body`` messages the app sends for ``url``."""
    path, _, query = url.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"sandbox.test")],
        "client": ("127.0.0.1", 5000),
        "server": ("sandbox.test", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    return [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]


@pytest.fixture(params=["memory", "disk"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> SandboxConfig:
    data_dir = tmp_path / "data" if request.param == "disk" else None
    return SandboxConfig(seed=5, start_time=START, news_api="legacy", data_dir=data_dir)


def wav_of(size: int) -> bytes:
    """A silent 8 kHz 16-bit mono WAV of exactly ``size`` bytes (44 of them its header)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(size - 44))
    data = out.getvalue()
    assert len(data) == size
    return data


async def test_a_large_file_goes_out_in_chunks_and_head_sends_none(
    wx: WeChat, app: Starlette
) -> None:
    data = wav_of(2 * CHUNK + 10)  # 33 s of voice
    media_id = await wx.add_material("voice", "big.wav", data)
    url = f"{GET_MATERIAL}?access_token={wx.token}"
    bodies = await body_messages(app, "POST", url, json.dumps({"media_id": media_id}).encode())
    assert [len(b) for b in bodies] == [CHUNK, CHUNK, 10, 0]
    assert b"".join(bodies) == data
    image = media("image.png")
    reply = await wx.upload("/cgi-bin/media/uploadimg", "image.png", image)
    link = reply.json()["url"].removeprefix("http://sandbox.test")
    head = await wx.http.head(link)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(image))
    assert head.content == b""
    assert await body_messages(app, "HEAD", link) == [b""]


async def test_a_file_gone_from_the_store_is_a_system_error(
    wx: WeChat, backend: SandboxBackend
) -> None:
    data = media("image.jpg")
    media_id = await wx.add_material("image", "image.jpg", data)
    backend.storage.blobs.delete(hashlib.sha256(data).hexdigest())
    reply = await wx.post(GET_MATERIAL, {"media_id": media_id})
    assert errcode(reply) == -1


async def test_a_file_of_a_format_without_a_type_is_octet_stream(
    wx: WeChat, backend: SandboxBackend
) -> None:
    data = media("image.jpg")
    await wx.add_material("image", "image.jpg", data)
    with backend.storage.transaction() as db:
        db.execute(
            "INSERT INTO links (key, kind, appid, owner, sha, size, format) "
            "VALUES ('odd/2', 'file', 'wx0', 'x', ?, ?, 'xyz')",
            (hashlib.sha256(data).hexdigest(), len(data)),
        )
    served = await wx.http.get("/mmbiz/odd/2")
    assert served.content == data
    assert served.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize("config", ["memory"], indirect=True)
@pytest.mark.parametrize("flag", [2, -1, "true", "1", None, [True]])
async def test_a_flag_is_true_false_1_or_0_only(wx: WeChat, flag: object) -> None:
    body = {**STABLE, "force_refresh": flag}
    reply = await wx.http.post("/cgi-bin/stable_token", json=body)
    assert errcode(reply) == 47001


@pytest.mark.parametrize("config", ["memory"], indirect=True)
@pytest.mark.parametrize("absent", [{}, {"force_refresh": False}, {"force_refresh": 0}])
async def test_no_flag_is_false(wx: WeChat, absent: dict[str, Any]) -> None:
    first = await wx.http.post("/cgi-bin/stable_token", json=STABLE)
    again = await wx.http.post("/cgi-bin/stable_token", json={**STABLE, **absent})
    assert again.json()["access_token"] == first.json()["access_token"]
    forced = await wx.http.post("/cgi-bin/stable_token", json={**STABLE, "force_refresh": 1})
    assert forced.json()["access_token"] != first.json()["access_token"]


@pytest.mark.parametrize(
    ("rid", "hint"),
    [
        # The rid's last 16 hex digits as a number, 6 base-62 digits (A-Z a-z 0-9, lowest
        # first), then the rid's middle part: 1 is "BAAAAA".
        ("6553f100-00000000-00000001", "BAAAAA00000000"),
        ("6553f100-64ab612a-df973bc2", "OCkRRz64ab612a"),
        ("6553f100-64ab612a-df973bc3", "PCkRRz64ab612a"),
    ],
)
def test_a_retired_apis_errmsg_carries_a_hint_made_from_its_rid(rid: str, hint: str) -> None:
    payload = error_payload(SandboxError(45106), rid)
    assert payload["errmsg"] == (
        "This API has been unsupported. For more details, please view "
        "https://mp.weixin.qq.com/cgi-bin/announce?action=getannouncement"
        "&announce_id=11644831863qFQSh&version=&lang=zh_CN&token="
        f" hint: [{hint}] rid: {rid}"
    )


@pytest.mark.parametrize("config", ["memory"], indirect=True)
@pytest.mark.parametrize(
    ("media_id", "answer"), [(None, 41006), ("", 41006), (7, 47001), (["x"], 47001)]
)
async def test_a_media_id_missing_empty_or_not_text(
    wx: WeChat, media_id: object, answer: int
) -> None:
    body = {} if media_id is None else {"media_id": media_id}
    assert errcode(await wx.post(GET_MATERIAL, body)) == answer
    assert errcode(await wx.post("/cgi-bin/material/del_material", body)) == answer


@pytest.mark.parametrize("config", ["memory"], indirect=True)
@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"[" * 20_000 + b"]" * 20_000, "the JSON is nested too deeply"),
        (b'{"x": "\\ud800"}', "a JSON string holds a lone surrogate (\\ud800-\\udfff)"),
    ],
)
async def test_the_admin_api_says_what_is_wrong_with_its_json(
    client: httpx.AsyncClient, body: bytes, error: str
) -> None:
    reply = await client.post(
        "/_sandbox/faults", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json() == {"error": f"the body must be UTF-8 JSON: {error}", "field": None}


@pytest.mark.parametrize("config", ["memory"], indirect=True)
async def test_a_body_of_exactly_its_cap_is_read_whole(wx: WeChat) -> None:
    # A small JSON call takes SMALL_JSON_CAP bytes: blanks pad the object to exactly that.
    text = b'{"media_id": "nope"}'
    body = text[:-1] + b" " * (SMALL_JSON_CAP - len(text)) + b"}"
    assert len(body) == SMALL_JSON_CAP
    reply = await wx.http.post(
        "/cgi-bin/material/del_material", params={"access_token": wx.token}, content=body
    )
    assert errcode(reply) == 40007  # the media_id was read: no such material
    over = await wx.http.post(
        "/cgi-bin/material/del_material", params={"access_token": wx.token}, content=body + b" "
    )
    assert errcode(over) == 47001
