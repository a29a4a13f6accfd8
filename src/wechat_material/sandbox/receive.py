"""Receiving an uploaded file: the form, the type, and the checks, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread

from wechat_material.limits import LIMITS, MaterialType, Target
from wechat_material.sandbox.endpoint import Call
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.uploads import AcceptedFile, accept_file


@dataclass(frozen=True)
class Received:
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


async def receive_upload(call: Call, target: Target, type_name: str | None) -> Received:
    """Read the form and check its ``media`` file; the caller must discard the staged blob
    once it is committed or refused (``call.backend.storage.blobs.discard``)."""
    form = await call.form()
    try:
        type = material_type(target, type_name)
        if form.media is None:
            raise SandboxError(41005, "no file part named 'media' with a filename")
        media = form.media
        accepted = await anyio.to_thread.run_sync(
            accept_file,
            LIMITS[(target, type)],
            media.filename,
            media.file,
            call.backend.storage.blobs,
        )
    finally:
        await form.close()
    return Received(type, accepted, form.fields)
