"""A reply read as it streams in: sorted by its first meaningful byte, whatever the chunks.

Each test feeds :class:`ReplyBody` the chunks a transport could hand over and
reads the result with :func:`read_reply`, the way the request flow does.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from wechat_material import UnexpectedReplyError
from wechat_material._endpoints import MATERIAL_COUNT, MATERIAL_GET, MEDIA_GET_JSSDK, VIDEO_FILE
from wechat_material._flow import json_body
from wechat_material._replies import FileReply, JsonReply, ReplyBody, read_reply

JSON = {"content-type": "application/json"}
COUNT = "GET /cgi-bin/material/get_materialcount"


def body_of(*chunks: bytes, file: bool = False) -> ReplyBody:
    body = ReplyBody(io.BytesIO if file else None)
    for chunk in chunks:
        body.write(chunk)
    return body


def unexpected(*chunks: bytes, status: int = 200, headers: dict[str, str] | None = None) -> str:
    """The message of the UnexpectedReplyError get_materialcount's reply gets."""
    with pytest.raises(UnexpectedReplyError) as caught:
        read_reply(MATERIAL_COUNT, status, JSON if headers is None else headers, body_of(*chunks))
    return str(caught.value)


@pytest.mark.parametrize(
    "chunks",
    [
        [b'{"image_count": 3}'],
        [b" \r\n\t", b"", b'{"image_count"', b": 3}"],
        # A byte-order mark, split across chunks, then blanks.
        [b"\xef\xbb", b"\xbf \n", b'{"image_count": 3}'],
        # Blanks before the byte-order mark as well.
        [b"\n", b"\xef\xbb\xbf", b'{"image_count": 3}'],
    ],
)
def test_json_is_found_after_blanks_and_a_byte_order_mark_in_any_chunks(
    chunks: list[bytes],
) -> None:
    reply = read_reply(MATERIAL_COUNT, 200, JSON, body_of(*chunks))
    assert isinstance(reply, JsonReply)
    assert reply.data == {"image_count": 3}


@pytest.mark.parametrize("first", [b"\x0b", b"\x0c", b"\xef\xbb\xbf \x0c"])
def test_only_the_blanks_json_allows_are_skipped(first: bytes) -> None:
    # JSON's blanks are space, tab, CR and LF: a form feed starts a file, BOM or not.
    reply = read_reply(MATERIAL_GET, 200, {}, body_of(first + b'{"a": 1}', file=True))
    assert isinstance(reply, FileReply)
    assert reply.file.read() == first + b'{"a": 1}'


def test_a_long_json_reply_in_many_chunks_is_kept_whole() -> None:
    data = {"content": "x" * 1000, "errcode": 0}
    text = json.dumps(data).encode()
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
    reply = read_reply(MATERIAL_COUNT, 200, JSON, body_of(*chunks))
    assert isinstance(reply, JsonReply)
    assert reply.data == data


def test_raw_control_characters_in_json_strings_are_read() -> None:
    # WeChat leaves them in article HTML.
    reply = read_reply(MATERIAL_COUNT, 200, JSON, body_of(b'{"content": "a\x01b\tc"}'))
    assert isinstance(reply, JsonReply)
    assert reply.data == {"content": "a\x01b\tc"}


def test_each_unusable_reply_says_which_call_and_what_arrived() -> None:
    assert unexpected() == f"{COUNT} (HTTP 200): the reply is empty"
    assert unexpected(b"  \r\n") == f"{COUNT} (HTTP 200): the reply is empty"
    assert unexpected(b'{"image_count": 3, ', b'"voice') == (
        f"{COUNT} (HTTP 200): the reply is cut off or not valid JSON: "
        """'{"image_count": 3, "voice'"""
    )
    assert unexpected(b"[1, 2]") == f"{COUNT} (HTTP 200): the reply is JSON but not an object"
    assert unexpected(b"GIF89a", b"\x00" * 94, headers={"content-type": "image/gif"}) == (
        f"{COUNT} (HTTP 200): a file arrived where JSON was expected (image/gif, 100 bytes)"
    )
    assert unexpected(b"plain text", headers={}) == (
        f"{COUNT} (HTTP 200): a file arrived where JSON was expected (no content type, 10 bytes)"
    )


def test_a_markup_page_is_quoted_from_its_start_on_one_line_and_at_most_200_bytes() -> None:
    page = b"<html>\n  <body>Portal \xff login</body>" + b" " + b"y" * 500 + b"</html>"
    chunks = [page[:10], page[10:30], page[30:]]
    message = unexpected(*chunks, status=502)
    start = f"{COUNT} (HTTP 502): an HTML or XML page arrived, not WeChat's reply "
    assert message.startswith(start + "(a proxy or captive portal in between?): ")
    # Undecodable bytes are replaced, line breaks and runs of blanks become one space.
    quoted = message[message.index("'<html>") :]
    kept = "y" * (200 - len(b"<html>\n  <body>Portal \xff login</body> "))
    assert quoted == f"'<html> <body>Portal \ufffd login</body> {kept}'"


def test_a_video_file_is_named_as_such_having_no_path() -> None:
    with pytest.raises(UnexpectedReplyError) as caught:
        read_reply(VIDEO_FILE, 200, {}, body_of(file=True))
    assert str(caught.value) == "GET video file (HTTP 200): the reply is empty"


def test_json_with_errcode_0_where_a_file_belongs_is_unexpected() -> None:
    with pytest.raises(UnexpectedReplyError) as caught:
        read_reply(MEDIA_GET_JSSDK, 200, JSON, body_of(b'{"errcode": 0}', file=True))
    assert str(caught.value) == (
        "GET /cgi-bin/media/get/jssdk (HTTP 200): JSON arrived where a file was expected"
    )
    error = read_reply(MEDIA_GET_JSSDK, 200, JSON, body_of(b'{"errcode": 40007}', file=True))
    assert isinstance(error, JsonReply)
    assert error.errcode == 40007


def test_a_file_reply_holds_every_chunk_its_size_type_and_name() -> None:
    chunks = [b"\x89PNG", b"\r\n\x1a\n", b"\x00" * 100]
    headers = {
        "content-type": "image/png",
        "content-disposition": 'attachment; filename="cover.png"',
    }
    reply = read_reply(MATERIAL_GET, 200, headers, body_of(*chunks, file=True))
    assert isinstance(reply, FileReply)
    assert reply.file.read() == b"".join(chunks)
    assert (reply.size, reply.content_type, reply.filename) == (108, "image/png", "cover.png")
    bare = read_reply(MATERIAL_GET, 200, {}, body_of(b"data", file=True))
    assert isinstance(bare, FileReply)
    assert (bare.content_type, bare.filename) == (None, None)


@pytest.mark.parametrize("status", [201, 404])
def test_a_file_with_a_status_other_than_200_is_not_taken(status: int) -> None:
    with pytest.raises(UnexpectedReplyError) as caught:
        read_reply(MATERIAL_GET, status, {}, body_of(b"Not Found", file=True))
    assert str(caught.value) == (
        f"POST /cgi-bin/material/get_material (HTTP {status}): "
        "the server answered with an error status"
    )


def test_a_body_reused_for_another_attempt_forgets_the_first() -> None:
    opened: list[io.BytesIO] = []

    def open_file() -> io.BytesIO:
        opened.append(io.BytesIO())
        return opened[-1]

    body = ReplyBody(open_file)
    body.write(b"partial file that was cut off")
    body.reset()
    assert (body.kind, body.size) == (None, 0)
    body.write(b"DATA")
    reply = read_reply(MATERIAL_GET, 200, {}, body)
    assert isinstance(reply, FileReply)
    assert (reply.file.read(), reply.size) == (b"DATA", 4)
    assert len(opened) == 1  # the same file, emptied
    body.reset()
    body.write(b'{"errcode": 40007}')
    assert isinstance(read_reply(MATERIAL_GET, 200, JSON, body), JsonReply)


@pytest.mark.parametrize(
    ("data", "sent"),
    [
        ({"title": "标题", "n": [1, 2]}, '{"title":"标题","n":[1,2]}'),
        ({"a": "é"}, '{"a":"é"}'),
    ],
)
def test_json_is_sent_compact_and_in_utf8_without_escapes(data: Any, sent: str) -> None:
    assert json_body(data) == sent.encode("utf-8")
