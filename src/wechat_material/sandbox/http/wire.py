"""The WeChat wire format: JSON replies, error replies, file replies, JSON request bodies.

- Every JSON reply is UTF-8 with non-ASCII characters as they are, labelled
  as WeChat labels it (:func:`json_label`): ``text/plain`` for an error of a
  download endpoint (media/get, get_material, media/get/jssdk), whose success
  is a file; ``application/json; encoding=utf-8`` for everything else. The
  admin API can force one label on every JSON reply.
- Errors are HTTP 200 ``{"errcode", "errmsg"}``, the errmsg ending in
  ``" rid: xxxxxxxx-xxxxxxxx-xxxxxxxx"``.
- Files carry their own Content-Type, ``Content-disposition: attachment;
  filename="MEDIA_ID.ext"`` and ``Cache-Control: no-cache, must-revalidate``,
  and are streamed in chunks, never loaded whole.
- The links the state hands out (:class:`LinkPath`) leave as absolute URLs.
- Request bodies: a JSON object (:func:`read_json`, :class:`Body`), or an upload
  form (:func:`read_upload_form`), multipart/form-data read the way WeChat
  reads it. The file must be a part with a plain ``filename="..."`` parameter:
  a part that names its file only with the RFC 2231 form
  (``filename*=UTF-8''...``) has, for WeChat, no filename; it is not a file, and
  the upload answers 41005. Plain UTF-8 bytes in ``filename="猫.jpg"`` are fine.
  The form is parsed as it arrives (files spool to disk past 1 MB); past the
  endpoint's body cap the reading stops and the upload answers 45001.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from wechat_material._endpoints import ALL, ReplyKind
from wechat_material.errcodes import ErrorKind, lookup
from wechat_material.limits import CONTENT_TYPES, MediaFormat
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.blobs import CHUNK, StoredFile
from wechat_material.sandbox.state.config import (
    JSON_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    WECHAT_LABELS,
)
from wechat_material.sandbox.state.links import LinkPath
from wechat_material.sandbox.state.uploads import Upload

# An integer sent as a string, as some clients do: ASCII digits only (str.isdigit
# would take "²"), and few enough to convert at once.
_INTEGER_TEXT = re.compile(r"\s*-?[0-9]{1,18}\s*")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def dump_json(payload: Any, base: Callable[[], str] | None = None) -> bytes:
    """UTF-8 JSON, compact; each :class:`LinkPath` in ``payload`` becomes the absolute
    URL ``base() + path`` (``base`` is asked once, and only when there is a link: a
    page of 20 items would otherwise build the request's base URL 20 times)."""
    asked: list[str] = []

    def absolute(value: object) -> str:
        if isinstance(value, LinkPath) and base is not None:
            if not asked:
                asked.append(base())
            return asked[0] + value.path
        raise TypeError(f"{type(value).__name__} cannot be sent as JSON")

    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=absolute)
    return text.encode()


# Where the parsed query string of a request is kept in its ASGI scope.
_QUERY_KEY = "wechat_material.query"


def query_of(scope: Scope) -> Mapping[str, str]:
    """The request's query parameters (the last value of a repeated name), read as
    Starlette's ``QueryParams`` reads them (Latin-1, blank values kept), once per
    request: the call counter and the endpoint both read them."""
    query: Mapping[str, str] | None = scope.get(_QUERY_KEY)
    if query is None:
        text = scope["query_string"].decode("latin-1")
        query = scope[_QUERY_KEY] = parse_query(text)
    return query


def parse_query(text: str) -> dict[str, str]:
    """``dict(parse_qsl(text, keep_blank_values=True))``; a query with nothing to
    decode (no ``%``, no ``+``, as clients send tokens and appids) is only split."""
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    query = {}
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            query[name] = value
    return query


# The endpoints whose success is a file. WeChat answers their errors labelled text/plain,
# as users of several SDKs found when their clients saved the error JSON as the image
# (docs/wire-contract.en.md); their JSON successes (a video's link) are labelled JSON.
DOWNLOAD_PATHS = frozenset(e.path for e in ALL if e.path and e.reply is not ReplyKind.JSON)


def json_label(setting: str, path: str, *, error: bool) -> str:
    """The Content-Type of a JSON reply to ``path``: ``setting`` when it forces one
    label, else WeChat's label for an error or a success of that endpoint."""
    if setting != WECHAT_LABELS:
        return setting
    return TEXT_CONTENT_TYPE if error and path in DOWNLOAD_PATHS else JSON_CONTENT_TYPE


def json_reply(
    payload: Any,
    content_type: str = JSON_CONTENT_TYPE,
    status: int = 200,
    *,
    base: Callable[[], str] | None = None,
) -> Response:
    """A JSON reply; ``base`` gives the base URL of the links in ``payload``."""
    return Response(dump_json(payload, base), status_code=status, media_type=content_type)


# A retired API's errmsg, as WeChat writes it (docs/wire-contract.en.md §3): the text, the
# announcement of the draft box, a hint, then the rid.
RETIRED_ANNOUNCEMENT = (
    "https://mp.weixin.qq.com/cgi-bin/announce?action=getannouncement"
    "&announce_id=11644831863qFQSh&version=&lang=zh_CN&token="
)


def _hint(rid: str) -> str:
    """A hint of WeChat's look (``Gd9ADA0338e296``: 14 letters and digits), made from
    the rid's random part so that a seeded sandbox answers the same each time."""
    number = int(rid.replace("-", "")[8:], 16)
    letters = []
    for _ in range(6):
        number, index = divmod(number, len(_ALNUM))
        letters.append(_ALNUM[index])
    return "".join(letters) + rid[9:17]


def error_payload(error: SandboxError, rid: str) -> dict[str, Any]:
    errmsg = error.errmsg
    if lookup(error.code).kind is ErrorKind.RETIRED_API:
        errmsg += f". For more details, please view {RETIRED_ANNOUNCEMENT} hint: [{_hint(rid)}]"
    return {"errcode": error.code, "errmsg": f"{errmsg} rid: {rid}"}


class BlobResponse(Response):
    """A stored file, sent in chunks straight from the blob store."""

    def __init__(self, source: BinaryIO, size: int, headers: Mapping[str, str], in_memory: bool):
        super().__init__(content=None, headers=headers)
        self.headers["content-length"] = str(size)
        self._source = source
        self._in_memory = in_memory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            if scope["method"] != "HEAD":
                while True:
                    if self._in_memory:
                        chunk = self._source.read(CHUNK)
                    else:
                        chunk = await anyio.to_thread.run_sync(self._source.read, CHUNK)
                    if not chunk:
                        break
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            self._source.close()


def content_type_of(fmt: str) -> str:
    try:
        return CONTENT_TYPES[MediaFormat(fmt)]
    except ValueError:
        return "application/octet-stream"


def file_reply(backend: SandboxBackend, stored: StoredFile, *, attachment: bool = True) -> Response:
    """The reply of media/get, get_material (image, voice, thumb) and media/get/jssdk;
    with ``attachment=False``, a file served at one of the sandbox's URLs."""
    source = backend.open_file(stored)
    headers = {
        "content-type": content_type_of(stored.format),
        "cache-control": "no-cache, must-revalidate",
    }
    if attachment:
        headers["content-disposition"] = f'attachment; filename="{stored.media_id}.{stored.format}"'
    return BlobResponse(source, stored.size, headers, backend.files_in_memory)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or None when it is longer than ``limit`` (then read and dropped)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        else:
            chunks.clear()  # keep reading so the client can get its reply, keep nothing
    return None if size > limit else b"".join(chunks)


def load_json(raw: bytes | str) -> Any:
    """Parse JSON text whose every string is valid Unicode.

    ``ValueError`` when ``raw`` is not UTF-8, not JSON, nested too deeply to
    parse, or has a string that cannot be written back as UTF-8: a lone
    surrogate such as ``"\\ud800"`` parses, but could neither be stored nor
    sent back in a reply.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    # Text decoded from UTF-8 cannot hold a surrogate: only a \u escape makes one.
    if isinstance(raw, str) or "\\u" in text:
        try:
            dump_json(data)
        except UnicodeEncodeError:
            raise ValueError("a JSON string holds a lone surrogate (\\ud800-\\udfff)") from None
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
    return data


class Body:
    """A JSON request object, with typed access that answers WeChat's errcodes."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def text(self, name: str, missing: int) -> str:
        """A non-empty string field; ``missing`` when absent or empty, 47001 when not a string."""
        value = self.data.get(name)
        if value is None or value == "":
            raise SandboxError(missing, f"'{name}' is required")
        if not isinstance(value, str):
            raise SandboxError(47001, f"'{name}' must be a string")
        return value

    def integer(self, name: str, *, default: int | None = None, missing: int = 40097) -> int:
        """An integer field; a string of up to 18 ASCII digits (with an optional
        minus sign) is accepted, as WeChat does. Anything else answers 47001.
        The caller checks the range."""
        value = self.data.get(name)
        if value is None:
            if default is None:
                raise SandboxError(missing, f"'{name}' is required")
            return default
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SandboxError(47001, f"'{name}' must be an integer (or its digits as a string)")
        return value

    def flag(self, name: str) -> bool:
        """A boolean field: true/false or 1/0; absent is false."""
        value = self.data.get(name, False)
        if value in (True, False, 0, 1):
            return bool(value)
        raise SandboxError(47001, f"'{name}' must be true or false")


async def read_json(request: Request, limit: int) -> Body:
    """The JSON object of a POST, whatever its Content-Type (or none).

    Empty → 44002; longer than ``limit``, not UTF-8 JSON (see :func:`load_json`),
    or not an object → 47001.
    """
    raw = await read_body(request, limit)
    if raw is None:
        raise SandboxError(47001, f"the body is over {limit} bytes")
    if not raw.strip():
        raise SandboxError(44002)
    try:
        data = load_json(raw)
    except ValueError:
        raise SandboxError(47001, "the body is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise SandboxError(47001, "the body must be a JSON object")
    return Body(data)


# -- what every route of the sandbox needs ------------------------------------------------

ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def backend_of(request: Request) -> SandboxBackend:
    backend: SandboxBackend = request.app.state.sandbox
    return backend


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - no client known


def base_url(request: Request, backend: SandboxBackend) -> str:
    """Where the URLs the sandbox hands out point: the public URL, or this request's."""
    if backend.config.public_url:
        return backend.config.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def error_reply(backend: SandboxBackend, error: SandboxError, path: str = "") -> Response:
    """WeChat's error reply to a call to ``path``, labelled as WeChat labels it there."""
    label = json_label(backend.switches.json_content_type, path, error=True)
    return json_reply(error_payload(error, backend.rid()), label)


# -- upload forms ------------------------------------------------------------------------

MAX_FIELD_BYTES = 64 * 1024  # text fields (video description) are small


class _TooLarge(Exception):
    pass


class _FormParser(MultiPartParser):
    """Starlette's parser, keeping hold of every file part it opens.

    Starlette closes them itself when parsing fails only in its recent
    versions; these are closed here whatever the version.
    """

    def __init__(self, request: Request, stream: AsyncGenerator[bytes, None]) -> None:
        super().__init__(request.headers, stream, max_part_size=MAX_FIELD_BYTES)
        self.opened: list[UploadFile] = []

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._current_part.file is not None:
            self.opened.append(self._current_part.file)

    async def parse_or_close(self) -> FormData:
        """The form; when parsing fails for any reason, no file part is left open."""
        try:
            return await self.parse()
        except BaseException:
            # Synchronously: the failure may be a cancellation, and closing a spooled
            # file only closes a descriptor.
            for upload in self.opened:
                upload.file.close()
            raise


@dataclass
class MultipartUpload:
    """The file parts by name (the first of each name) and the text fields."""

    files: dict[str, UploadFile]
    fields: dict[str, str] = field(default_factory=dict)
    _files: list[UploadFile] = field(default_factory=list)

    def upload_in(self, parts: tuple[str, ...]) -> Upload | None:
        """The file of the first of ``parts`` the form has, as the state takes it."""
        found = next((self.files[name] for name in parts if name in self.files), None)
        return None if found is None else Upload(found.filename, found.file)

    async def close(self) -> None:
        for upload in self._files:
            await upload.close()


async def read_upload_form(request: Request, limit: int) -> MultipartUpload:
    """Parse the form; 41005 when the body is not a form, 45001 when it is too large."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        await _drain(request)
        raise SandboxError(41005, "the body is not multipart/form-data")
    source = request.stream()
    received = 0

    async def limited() -> AsyncGenerator[bytes, None]:
        nonlocal received
        async for chunk in source:
            received += len(chunk)
            if received > limit:
                raise _TooLarge
            yield chunk

    parser = _FormParser(request, limited())
    try:
        form = await parser.parse_or_close()
    except _TooLarge:
        async for _ in source:
            pass
        raise SandboxError(45001, f"the body is over {limit} bytes") from None
    except MultiPartException as exc:
        async for _ in source:
            pass
        raise SandboxError(41005, f"the form cannot be read: {exc}") from None
    fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
    files: dict[str, UploadFile] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.setdefault(name, value)
    return MultipartUpload(files, fields, parser.opened)


async def _drain(request: Request) -> None:
    async for _ in request.stream():
        pass
