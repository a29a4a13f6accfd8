"""Every limit of ``limits.py`` at its edge: just within is taken, just past is refused.

One table, made from ``limits.py`` itself, drives both sides: the SDK must
refuse the just-past case before sending anything, and the sandbox, spoken to
over raw HTTP, must refuse it with WeChat's errcode; both must take the
just-within case. A limit moved by one, or compared with ``>=`` or
``> limit + 1``, fails here.
"""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wechat_material import ArticleValidationError, AsyncWeChatClient, MediaValidationError
from wechat_material.errors import ValidationError
from wechat_material.limits import (
    ACCESS_TOKEN_LIFETIME,
    ARTICLE_FIELDS,
    ARTICLES_MAX,
    LIMITS,
    PAGE_MAX,
    PAGE_MIN,
    PERMANENT_CAPS,
    TEMPORARY_MEDIA_LIFETIME,
    TOKEN_OVERLAP,
    VIDEO_INTRODUCTION_MAX_CHARS,
    VIDEO_TITLE_MAX_CHARS,
    MaterialType,
    MediaLimit,
    Target,
)
from wechat_material.sandbox import (
    DEMO_APPID,
    DEMO_SECRET,
    AsyncSandboxAdmin,
    SandboxConfig,
    create_app,
)
from wechat_material.uploads import prepare_upload

MEDIA = Path(__file__).resolve().parent.parent / "media"
BASE = "http://sandbox.test"

pytestmark = pytest.mark.anyio


# --- Files of an exact size or length, made from the samples ---------------------------


def _grow_jpeg(size: int) -> bytes:
    data = (MEDIA / "image.jpg").read_bytes()
    extra = size - len(data)
    segments = []
    while extra:
        take = min(extra, 65537)  # marker, length, at most 65533 bytes of comment
        if 0 < extra - take < 4:
            take -= 4
        segments.append(b"\xff\xfe" + struct.pack(">H", take - 2) + bytes(take - 4))
        extra -= take
    return data[:2] + b"".join(segments) + data[2:]


def _grow_mp4(size: int) -> bytes:
    data = (MEDIA / "video.mp4").read_bytes()
    extra = size - len(data)
    return data + struct.pack(">I4s", extra, b"free") + bytes(extra - 8)


def _syncsafe(n: int) -> bytes:
    return bytes((n >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _grow_mp3(size: int) -> bytes:
    """The 2 s MP3 with its ID3 tag padded (zeros are ID3 padding): same sound, more bytes."""
    data = (MEDIA / "voice-2s.mp3").read_bytes()
    assert data[:3] == b"ID3"
    tag = sum(b << shift for b, shift in zip(data[6:10], (21, 14, 7, 0), strict=True))
    extra = size - len(data)
    return data[:6] + _syncsafe(tag + extra) + data[10 : 10 + tag] + bytes(extra) + data[10 + tag :]


def amr_of(frames: int) -> bytes:
    """An AMR-NB file of ``frames`` 20 ms frames, all the sample's first frame."""
    data = (MEDIA / "voice-2s.amr").read_bytes()
    header = b"#!AMR\n"
    assert data.startswith(header)
    mode = (data[len(header)] >> 3) & 0x0F
    frame_bytes = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32}[mode]
    frame = data[len(header) : len(header) + frame_bytes]
    return header + frame * frames


GROW: dict[MaterialType, tuple[str, Callable[[int], bytes]]] = {
    MaterialType.IMAGE: ("jpg", _grow_jpeg),
    MaterialType.THUMB: ("jpg", _grow_jpeg),
    MaterialType.VIDEO: ("mp4", _grow_mp4),
    MaterialType.VOICE: ("mp3", _grow_mp3),
}


@dataclass(frozen=True)
class FileCase:
    limit: MediaLimit
    data: bytes
    ext: str
    refused_with: int | None  # None: taken

    def __str__(self) -> str:
        verdict = f"refused {self.refused_with}" if self.refused_with else "taken"
        return f"{self.limit.target}-{self.limit.type}-{len(self.data)}B-{verdict}"


def _size_cases() -> list[FileCase]:
    cases = []
    for limit in LIMITS.values():
        ext, grow = GROW[limit.type]
        cases.append(FileCase(limit, grow(limit.max_bytes), ext, None))
        cases.append(FileCase(limit, grow(limit.max_bytes + 1), ext, limit.size_errcode))
    return cases


def _duration_cases() -> list[FileCase]:
    cases = []
    for limit in LIMITS.values():
        if limit.max_seconds is None:
            continue
        within = round(limit.max_seconds / 0.02) - 1  # 59.98 s
        cases.append(FileCase(limit, amr_of(within), "amr", None))
        cases.append(FileCase(limit, amr_of(within + 2), "amr", limit.size_errcode))  # 60.02 s
    return cases


FILE_CASES = _size_cases() + _duration_cases()

# --- What WeChat documents, written out apart from limits.py ---------------------------
# The table above follows limits.py, so a limit moved there moves its cases too.
# These values, from WeChat's documentation (the wire contract), pin limits.py.

KB, MB = 1024, 1024 * 1024
DOCUMENTED_FILES = {
    # (target, type): (max bytes, errcode, max seconds, formats)
    ("permanent", "image"): (10 * MB, 40009, None, {"bmp", "png", "jpg", "gif"}),
    ("temporary", "image"): (10 * MB, 40009, None, {"png", "jpg", "gif"}),
    ("article_image", "image"): (1 * MB, 40009, None, {"jpg", "png"}),
    ("permanent", "voice"): (2 * MB, 40010, 60.0, {"mp3", "wma", "wav", "amr"}),
    ("temporary", "voice"): (2 * MB, 40010, 60.0, {"amr", "mp3"}),
    ("permanent", "video"): (10 * MB, 40011, None, {"mp4"}),
    ("temporary", "video"): (10 * MB, 40011, None, {"mp4"}),
    ("permanent", "thumb"): (64 * KB, 40012, None, {"jpg"}),
    ("temporary", "thumb"): (64 * KB, 40012, None, {"jpg"}),
}
DOCUMENTED_FIELDS = {
    # name: (required, max chars, max UTF-8 bytes, errcode)
    "title": (True, 32, None, 45003),
    "thumb_media_id": (True, None, None, None),
    "author": (False, 16, None, 45110),
    "digest": (False, 128, None, 45004),
    "show_cover_pic": (False, None, None, None),
    "content": (True, 19_999, MB - 1, 45002),
    "content_source_url": (False, None, KB, 45002),
    "need_open_comment": (False, None, None, None),
    "only_fans_can_comment": (False, None, None, None),
}


def test_the_file_limits_are_the_documented_ones() -> None:
    found = {
        (str(target.value), str(kind.value)): (
            limit.max_bytes,
            limit.size_errcode,
            limit.max_seconds,
            {str(fmt.value) for fmt in limit.formats},
        )
        for (target, kind), limit in LIMITS.items()
    }
    assert found == DOCUMENTED_FILES


def test_the_article_limits_are_the_documented_ones() -> None:
    found = {
        spec.name: (spec.required, spec.max_chars, spec.max_bytes, spec.errcode)
        for spec in ARTICLE_FIELDS
    }
    assert found == DOCUMENTED_FIELDS
    assert (ARTICLES_MAX, PAGE_MIN, PAGE_MAX) == (8, 1, 20)
    assert (VIDEO_TITLE_MAX_CHARS, VIDEO_INTRODUCTION_MAX_CHARS) == (64, 120)


def test_the_account_limits_are_the_documented_ones() -> None:
    caps = {tuple(sorted(str(k.value) for k in kinds)): n for kinds, n in PERMANENT_CAPS.items()}
    assert caps == {
        ("image", "news"): 100_000,
        ("voice",): 1_000,
        ("video",): 1_000,
        ("thumb",): 1_000,
    }
    assert (ACCESS_TOKEN_LIFETIME, TOKEN_OVERLAP) == (7200, 300)
    assert TEMPORARY_MEDIA_LIFETIME == 3 * 24 * 3600


# Half a second either side of WeChat's 60 s, whatever limits.py says.
VOICE_CASES = [
    FileCase(limit, amr_of(frames), "amr", None if frames * 0.02 < 60 else limit.size_errcode)
    for limit in LIMITS.values()
    if limit.type is MaterialType.VOICE
    for frames in (2975, 3025)  # 59.5 s, 60.5 s
]
FILE_CASES += VOICE_CASES


# --- The two sides ------------------------------------------------------------------------


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SandboxConfig(seed=3))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
            yield http
    finally:
        app.state.sandbox.close()


@pytest.fixture
async def token(sandbox: httpx.AsyncClient) -> str:
    reply = await sandbox.get(
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET},
    )
    return str(reply.json()["access_token"])


@pytest.fixture
async def client(sandbox: httpx.AsyncClient) -> AsyncIterator[AsyncWeChatClient]:
    async with AsyncWeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=BASE, http_client=sandbox
    ) as wechat:
        yield wechat


def _upload_path(limit: MediaLimit) -> tuple[str, dict[str, str], dict[str, str]]:
    """Where the sandbox takes this upload: path, query, form fields."""
    if limit.target is Target.ARTICLE_IMAGE:
        return "/cgi-bin/media/uploadimg", {}, {}
    if limit.target is Target.TEMPORARY:
        return "/cgi-bin/media/upload", {"type": limit.type.value}, {}
    fields = {}
    if limit.type is MaterialType.VIDEO:
        fields["description"] = json.dumps({"title": "t", "introduction": "i"})
    return "/cgi-bin/material/add_material", {"type": limit.type.value}, fields


@pytest.mark.parametrize("case", FILE_CASES, ids=str)
def test_the_sdk_judges_a_file_at_the_edge(case: FileCase) -> None:
    def prepare() -> Any:
        return prepare_upload(
            case.data, filename=f"edge.{case.ext}", target=case.limit.target, type=case.limit.type
        )

    if case.refused_with is None:
        assert prepare().size == len(case.data)
    else:
        with pytest.raises(MediaValidationError):
            prepare()


@pytest.mark.parametrize("case", FILE_CASES, ids=str)
async def test_the_sandbox_judges_a_file_at_the_edge(
    case: FileCase, sandbox: httpx.AsyncClient, token: str
) -> None:
    path, query, fields = _upload_path(case.limit)
    reply = await sandbox.post(
        path,
        params={"access_token": token, **query},
        files={"media": (f"edge.{case.ext}", case.data)},
        data=fields or None,
    )
    payload = reply.json()
    assert payload.get("errcode", 0) == (case.refused_with or 0), payload


# --- Article fields, article counts, page sizes ----------------------------------------


def _field_cases() -> list[tuple[str, str, int | None]]:
    """(field, value, errcode or None) at each text field's bounds."""
    cases: list[tuple[str, str, int | None]] = []
    for spec in ARTICLE_FIELDS:
        if spec.max_chars is not None:
            cases.append((spec.name, "字" * spec.max_chars, None))
            cases.append((spec.name, "字" * (spec.max_chars + 1), spec.errcode))
        elif spec.max_bytes is not None:
            start = "https://example.com/"
            cases.append((spec.name, start + "a" * (spec.max_bytes - len(start)), None))
            cases.append((spec.name, start + "a" * (spec.max_bytes - len(start) + 1), spec.errcode))
    return cases


FIELD_CASES = _field_cases()


async def _thumb(client: AsyncWeChatClient) -> str:
    return (await client.material.add_material("thumb", MEDIA / "thumb.jpg")).media_id


def _article(thumb: str, **fields: Any) -> dict[str, Any]:
    return {"title": "标题", "thumb_media_id": thumb, "content": "<p>正文</p>", **fields}


async def _draft_adds(sandbox: httpx.AsyncClient) -> int:
    counters = await AsyncSandboxAdmin(client=sandbox).counters()
    return sum(n for path, n in counters.items() if path.endswith("/draft/add"))


@pytest.mark.parametrize(
    ("field", "value", "errcode"), FIELD_CASES, ids=[f"{f}-{len(v)}" for f, v, _ in FIELD_CASES]
)
async def test_an_article_field_at_the_edge(
    field: str,
    value: str,
    errcode: int | None,
    client: AsyncWeChatClient,
    sandbox: httpx.AsyncClient,
    token: str,
) -> None:
    article = _article(await _thumb(client), **{field: value})
    # The sandbox, raw.
    reply = await sandbox.post(
        "/cgi-bin/draft/add",
        params={"access_token": token},
        content=json.dumps({"articles": [article]}, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )
    assert reply.json().get("errcode", 0) == (errcode or 0), reply.json()
    # The SDK: refuses before sending, or gets it stored.
    sent_before = await _draft_adds(sandbox)
    if errcode is None:
        assert await client.draft.add([article])
    else:
        with pytest.raises(ArticleValidationError) as refused:
            await client.draft.add([article])
        assert refused.value.field == field
        assert await _draft_adds(sandbox) == sent_before


@pytest.mark.parametrize(
    ("count", "taken"), [(1, True), (ARTICLES_MAX, True), (0, False), (ARTICLES_MAX + 1, False)]
)
async def test_the_number_of_articles_at_the_edge(
    count: int, taken: bool, client: AsyncWeChatClient, sandbox: httpx.AsyncClient, token: str
) -> None:
    articles = [_article(await _thumb(client), title=f"第{i}篇") for i in range(count)]
    reply = await sandbox.post(
        "/cgi-bin/draft/add",
        params={"access_token": token},
        content=json.dumps({"articles": articles}, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )
    assert (reply.json().get("errcode", 0) == 0) is taken, reply.json()
    if taken:
        assert await client.draft.add(articles)
    else:
        with pytest.raises(ArticleValidationError):
            await client.draft.add(articles)


@pytest.mark.parametrize(
    ("count", "taken"),
    [(PAGE_MIN, True), (PAGE_MAX, True), (PAGE_MIN - 1, False), (PAGE_MAX + 1, False)],
)
async def test_a_page_size_at_the_edge(
    count: int, taken: bool, client: AsyncWeChatClient, sandbox: httpx.AsyncClient, token: str
) -> None:
    for path, body in [
        ("/cgi-bin/material/batchget_material", {"type": "image", "offset": 0, "count": count}),
        ("/cgi-bin/draft/batchget", {"offset": 0, "count": count}),
        ("/cgi-bin/freepublish/batchget", {"offset": 0, "count": count}),
    ]:
        reply = await sandbox.post(path, params={"access_token": token}, json=body)
        assert (reply.json().get("errcode", 0) == 0) is taken, (path, reply.json())
    if taken:
        page = await client.material.batch_get_material("image", 0, count)
        assert page.item_count == 0
    else:
        with pytest.raises(ValidationError):
            await client.material.batch_get_material("image", 0, count)


@pytest.mark.parametrize(
    ("title", "introduction", "errcode"),
    [
        ("题" * VIDEO_TITLE_MAX_CHARS, "介" * VIDEO_INTRODUCTION_MAX_CHARS, None),
        ("题" * (VIDEO_TITLE_MAX_CHARS + 1), "介", 45003),
        ("题", "介" * (VIDEO_INTRODUCTION_MAX_CHARS + 1), 45004),
    ],
)
async def test_a_video_description_at_the_edge(
    title: str,
    introduction: str,
    errcode: int | None,
    client: AsyncWeChatClient,
    sandbox: httpx.AsyncClient,
    token: str,
) -> None:
    video = (MEDIA / "video.mp4").read_bytes()
    reply = await sandbox.post(
        "/cgi-bin/material/add_material",
        params={"access_token": token, "type": "video"},
        files={"media": ("clip.mp4", video)},
        data={"description": json.dumps({"title": title, "introduction": introduction})},
    )
    assert reply.json().get("errcode", 0) == (errcode or 0), reply.json()
    if errcode is None:
        added = await client.material.add_video_material(
            video, title=title, introduction=introduction
        )
        assert added.media_id
    else:
        with pytest.raises(ValidationError):
            await client.material.add_video_material(video, title=title, introduction=introduction)
