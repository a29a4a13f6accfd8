"""Receiving an upload: the form (multipart/form-data) read the way WeChat reads it,
then the file's type and checks.

The file must be the part named ``media`` with a plain ``filename="..."``
parameter (uploadimg also takes it as ``buffer``: the card API's logo upload
posts to the same URL under that name, as its documentation says). A part
that names its file only with the RFC 2231 form (``filename*=UTF-8''...``)
has, for WeChat, no filename: it is not a file, and the upload answers 41005.
Plain UTF-8 bytes in ``filename="猫.jpg"`` are fine.

The body is parsed as it arrives (files spool to disk past 1 MB); past the
endpoint's body cap (:mod:`~wechat_material.sandbox.http.body_caps`) the
reading stops and the upload answers 45001. The file's checks
(:mod:`wechat_material.sandbox.state.uploads`) read and copy it, so they run
in a worker thread, off the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from wechat_material.limits import LIMITS, MaterialType, Target
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.uploads import AcceptedFile, accept_file

if TYPE_CHECKING:
    from wechat_material.sandbox.http.endpoint import ApiRequest

MEDIA_PART = "media"
BUFFER_PART = "buffer"
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

    def file_in(self, parts: tuple[str, ...]) -> UploadFile | None:
        """The file of the first of ``parts`` the form has."""
        return next((self.files[name] for name in parts if name in self.files), None)

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


@dataclass(frozen=True)
class ReceivedUpload:
    """An upload that passed its checks: its type, its staged file and the form's text fields."""

    type: MaterialType
    file: AcceptedFile
    fields: dict[str, str]


def material_type(target: Target, name: str | None) -> MaterialType:
    """The ``type`` parameter; 40004 unless WeChat takes uploads of that type there."""
    try:
        type = MaterialType(name or "")
    except ValueError:
        raise SandboxError(40004, f"type {name!r} is not image, voice, video or thumb") from None
    if (target, type) not in LIMITS:
        raise SandboxError(40004, f"{type.value} cannot be uploaded here")
    return type


async def receive_upload(
    call: ApiRequest,
    target: Target,
    type_name: str | None,
    parts: tuple[str, ...] = (MEDIA_PART,),
) -> ReceivedUpload:
    """Read the form and check its file (the first part of ``parts`` it has); the caller
    must discard the staged blob once it is committed or refused
    (``call.backend.storage.blobs.discard``)."""
    form = await call.form()
    try:
        type = material_type(target, type_name)
        media = form.file_in(parts)
        if media is None:
            named = " or ".join(f"'{name}'" for name in parts)
            raise SandboxError(41005, f"no file part named {named} with a filename")
        accepted = await anyio.to_thread.run_sync(
            accept_file,
            LIMITS[(target, type)],
            media.filename,
            media.file,
            call.backend.storage.blobs,
        )
    finally:
        await form.close()
    return ReceivedUpload(type, accepted, form.fields)
