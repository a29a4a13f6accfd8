"""The sandbox answers any multipart upload with WeChat's errcode, never an HTTP 500.

Bodies are built byte by byte, so they may say anything a client could send:
odd part names, file names with quotes, backslashes, line breaks or RFC 2231
forms, missing or extra parts, a wrong boundary, content of any bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, create_app

MEDIA = Path(__file__).resolve().parent.parent / "media"
BOUNDARY = "b0undary-Xy9"
JPEG = (MEDIA / "image.jpg").read_bytes()
UPLOADS = [
    "/cgi-bin/material/add_material?type=image",
    "/cgi-bin/material/add_material?type=voice",
    "/cgi-bin/material/add_material?type=video",
    "/cgi-bin/material/add_material?type=thumb",
    "/cgi-bin/media/upload?type=image",
    "/cgi-bin/media/uploadimg",
]


def send(app: Starlette, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to the in-process sandbox (each example runs its own event loop)."""

    async def exchange() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
            reply = await http.request(method, url, **kwargs)
            await reply.aread()
            return reply

    return anyio.run(exchange)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Starlette, str]]:
    app = create_app(SandboxConfig(seed=7))
    params = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
    token = send(app, "GET", "/cgi-bin/token", params=params).json()["access_token"]
    yield app, token
    app.state.sandbox.close()


NAMES = st.sampled_from(["media", "description", "Media", "", "media\r\nX: 1"]) | st.text(
    max_size=10
)
FILENAMES = st.one_of(
    st.none(),
    st.sampled_from(["a.jpg", "猫.jpg", "../../etc/passwd.jpg", ".jpg", "a.JPG", "x.jpg\x00.txt"]),
    st.text(max_size=30).map(lambda text: text + ".jpg"),
    st.text(max_size=30),
)
CONTENTS = st.sampled_from([JPEG, JPEG[:40], b""]) | st.binary(max_size=64)


@st.composite
def parts(draw: st.DrawFn) -> bytes:
    name = draw(NAMES)
    filename = draw(FILENAMES)
    header = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        header += draw(
            st.sampled_from(
                [
                    f'; filename="{filename}"',
                    f"; filename*=UTF-8''{filename}",
                    f"; filename={filename}",
                ]
            )
        )
    lines = [header.encode("utf-8", "surrogatepass")]
    content_type = draw(st.sampled_from([None, "image/jpeg", "text/plain", "", 'a/b; x="']))
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}".encode())
    content = draw(CONTENTS)
    return b"\r\n".join(lines) + b"\r\n\r\n" + content


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    chunks = draw(st.lists(parts(), max_size=3))
    body = b"".join(f"--{BOUNDARY}\r\n".encode() + chunk + b"\r\n" for chunk in chunks)
    ending = draw(st.sampled_from([f"--{BOUNDARY}--\r\n", f"--{BOUNDARY}--", "", "--other--\r\n"]))
    return body + ending.encode()


@given(
    path=st.sampled_from(UPLOADS),
    body=bodies(),
    content_type=st.sampled_from(
        [
            f"multipart/form-data; boundary={BOUNDARY}",
            f'multipart/form-data; boundary="{BOUNDARY}"',
            "multipart/form-data",
            "application/octet-stream",
        ]
    ),
)
def test_any_upload_body_gets_a_wechat_reply(
    sandbox: tuple[Starlette, str], path: str, body: bytes, content_type: str
) -> None:
    app, token = sandbox
    separator = "&" if "?" in path else "?"
    reply = send(
        app,
        "POST",
        f"{path}{separator}access_token={token}",
        content=body,
        headers={"content-type": content_type},
    )
    assert reply.status_code < 500, reply.text
    data = reply.json()
    assert isinstance(data, dict)
    assert "errcode" in data or "media_id" in data or "url" in data
