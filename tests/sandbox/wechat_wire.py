"""Speaking WeChat's wire format in the sandbox tests: raw calls, no SDK."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

MEDIA = Path(__file__).resolve().parent.parent / "media"
BASE = "http://sandbox.test"
START = 1_700_000_000.0  # 2023-11-15 06:13:20 China time
RID = re.compile(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")


def media(name: str) -> bytes:
    return (MEDIA / name).read_bytes()


def padded(name: str, size: int) -> bytes:
    """A sample file grown to ``size`` bytes (its header, hence its format, unchanged)."""
    data = media(name)
    return data + bytes(size - len(data))


@dataclass
class WeChat:
    """Raw WeChat calls with the demo account's token filled in."""

    http: httpx.AsyncClient
    token: str = ""

    async def fetch_token(self, appid: str = DEMO_APPID, secret: str = DEMO_SECRET) -> str:
        reply = await self.http.get(
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": appid, "secret": secret},
        )
        self.token = reply.json()["access_token"]
        return self.token

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params={"access_token": self.token, **params})

    async def post(self, path: str, body: Any, **params: Any) -> httpx.Response:
        """POST a JSON body the way WeChat wants it: UTF-8, non-ASCII unescaped."""
        return await self.http.post(
            path,
            params={"access_token": self.token, **params},
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"content-type": "application/json"},
        )

    async def upload(
        self,
        path: str,
        filename: str | None,
        data: bytes,
        type: str | None = None,
        **fields: str,
    ) -> httpx.Response:
        params = {"access_token": self.token}
        if type is not None:
            params["type"] = type
        return await self.http.post(
            path, params=params, files={"media": (filename, data)}, data=fields or None
        )

    async def call(self, path: str, body: Any) -> dict[str, Any]:
        """POST and return the JSON reply, failing the test on an errcode."""
        reply = await self.post(path, body)
        payload: dict[str, Any] = reply.json()
        assert payload.get("errcode", 0) == 0, payload
        return payload

    async def add_material(self, type: str, filename: str, data: bytes, **fields: str) -> str:
        reply = await self.upload("/cgi-bin/material/add_material", filename, data, type, **fields)
        payload = reply.json()
        assert "media_id" in payload, payload
        return str(payload["media_id"])

    async def add_image(self) -> str:
        return await self.add_material("image", "image.jpg", media("image.jpg"))


def errcode(reply: httpx.Response) -> int:
    """The errcode of an error reply, after checking it looks like WeChat's."""
    assert reply.status_code == 200
    payload = reply.json()
    assert RID.search(payload["errmsg"]), payload
    return int(payload["errcode"])


def article(thumb: str, **fields: Any) -> dict[str, Any]:
    return {"title": "标题", "thumb_media_id": thumb, "content": "<p>正文 body</p>", **fields}


def asgi_scope(path: str, query: str = "", headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The scope of a POST to ``path``, for calling the ASGI app without a client."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 5000),
        "server": ("sandbox.test", 80),
    }
