"""Whatever a server answers, a call ends in a result or one of the SDK's typed errors.

A reply is read by its body (JSON, markup or a file) and then shaped into the
call's model. Generated replies probe both steps: JSON objects whose keys are
the ones the models read, holding values of any type, and bodies of any bytes.
A ``KeyError``, a pydantic ``ValidationError`` or a ``TypeError`` escaping to
the caller would be a bug: the caller can only be expected to catch
:class:`~wechat_material.WeChatError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, BinaryIO

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from wechat_material import RetryPolicy, WeChatClient, WeChatError
from wechat_material._endpoints import ALL as ENDPOINTS
from wechat_material._replies import BodyKind, FileReply, JsonReply, ReplyBody, read_reply
from wechat_material.errors import UnexpectedReplyError
from wechat_material.tokens import MemoryTokenStore

TOKEN_ENDPOINT = next(e for e in ENDPOINTS if e.path == "/cgi-bin/token")
TOKEN = {"access_token": "T0KEN-abc", "expires_in": 7200}

# Keys the reply models read, so generated objects reach past "missing field".
KEYS = st.sampled_from(
    [
        "errcode",
        "errmsg",
        "media_id",
        "url",
        "item",
        "news_item",
        "content",
        "total_count",
        "item_count",
        "voice_count",
        "video_count",
        "image_count",
        "news_count",
        "title",
        "description",
        "down_url",
        "publish_id",
        "publish_status",
        "article_id",
        "article_detail",
        "fail_idx",
        "update_time",
        "name",
        "thumb_media_id",
        "total",
        "count",
        "msg_data_id",
        "quota",
        "daily_limit",
        "used",
    ]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)
JSON_OBJECTS = st.dictionaries(KEYS, JSON_VALUES, max_size=8)

CALLS: dict[str, Callable[[WeChatClient], Any]] = {
    "count": lambda c: c.material.get_material_count(),
    "list images": lambda c: c.material.batch_get_material("image", 0, 20),
    "list news": lambda c: c.material.batch_get_material("news", 0, 20),
    "get material": lambda c: c.material.get_material("MEDIA"),
    "add news": lambda c: c.material.add_news(
        [{"title": "t", "content": "c", "thumb_media_id": "THUMB"}]
    ),
    "delete material": lambda c: c.material.del_material("MEDIA"),
    "draft get": lambda c: c.draft.get("MEDIA"),
    "draft count": lambda c: c.draft.count(),
    "draft list": lambda c: c.draft.batch_get(0, 20),
    "publish submit": lambda c: c.publish.submit("MEDIA"),
    "publish get": lambda c: c.publish.get("PUBLISH"),
    "published article": lambda c: c.publish.get_article("ARTICLE"),
    "published list": lambda c: c.publish.batch_get(0, 20),
    "quota": lambda c: c.get_api_quota("/cgi-bin/material/add_news"),
}


def client_answering(body: bytes, content_type: str = "application/json") -> WeChatClient:
    """A client whose server gives a good token and then ``body`` to every call."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path in ("/cgi-bin/token", "/cgi-bin/stable_token"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    return WeChatClient(
        "wx0123456789abcdef",
        "s3cret",
        base_url="http://wechat.test",
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        token_store=MemoryTokenStore(),
        retry=RetryPolicy(max_attempts=1, backoff_base=0.0),
    )


def ends_typed(call: Callable[[WeChatClient], Any], client: WeChatClient) -> None:
    try:
        call(client)
    except WeChatError:
        pass
    finally:
        client.close()


@given(name=st.sampled_from(sorted(CALLS)), reply=JSON_OBJECTS)
def test_any_json_object_gives_a_result_or_a_typed_error(name: str, reply: dict[str, Any]) -> None:
    body = json.dumps(reply).encode()
    ends_typed(CALLS[name], client_answering(body))


@given(name=st.sampled_from(sorted(CALLS)), body=st.binary(max_size=64))
def test_any_bytes_give_a_result_or_a_typed_error(name: str, body: bytes) -> None:
    ends_typed(CALLS[name], client_answering(body, "text/plain"))


@given(reply=JSON_OBJECTS)
def test_any_token_reply_gives_a_typed_error_or_a_token(reply: dict[str, Any]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/token":
            return httpx.Response(200, json=reply)
        return httpx.Response(200, json={"total_count": 0, "item_count": 0, "item": []})

    client = WeChatClient(
        "wx0123456789abcdef",
        "s3cret",
        base_url="http://wechat.test",
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        token_store=MemoryTokenStore(),
        retry=RetryPolicy(max_attempts=1, backoff_base=0.0),
    )
    ends_typed(lambda c: c.material.batch_get_material("image", 0, 20), client)


@given(
    endpoint=st.sampled_from(ENDPOINTS),
    status=st.sampled_from([200, 201, 400, 404, 499]),
    chunks=st.lists(st.binary(max_size=24) | st.just(b"{") | st.just(b"\xef\xbb\xbf"), max_size=5),
    content_type=st.sampled_from(["application/json", "text/plain", "image/jpeg", ""]),
)
# Blanks before a file's first byte are the file's own: a download keeps them.
@example(endpoint=TOKEN_ENDPOINT, status=200, chunks=[b"\r\x00"], content_type="application/json")
@example(
    endpoint=TOKEN_ENDPOINT, status=200, chunks=[b" \xef\xbb\xbf", b"\x89PNG"], content_type=""
)
def test_read_reply_returns_a_reply_or_an_unexpected_reply_error(
    endpoint: Any, status: int, chunks: list[bytes], content_type: str, tmp_path_factory: Any
) -> None:
    target = tmp_path_factory.mktemp("reply") / "body"
    opened: list[BinaryIO] = []

    def open_target() -> BinaryIO:
        opened.append(target.open("w+b"))
        return opened[-1]

    body = ReplyBody(open_target)
    try:
        for chunk in chunks:
            body.write(chunk)
        try:
            reply = read_reply(endpoint, status, {"content-type": content_type}, body)
        except UnexpectedReplyError:
            return
        if isinstance(reply, FileReply):
            assert body.kind is BodyKind.FILE
            assert reply.file.read() == b"".join(chunks)
        else:
            assert isinstance(reply, JsonReply)
            assert isinstance(reply.data, dict)
    finally:
        # Closed whether the example passes or fails: a file left open here
        # would fail a later test's check for unclosed files.
        for file in opened:
            file.close()
