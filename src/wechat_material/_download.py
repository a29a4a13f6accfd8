"""Downloading material and media to disk: streamed, atomic, following video links.

The reply streams into a hidden temporary file next to the target, which is
renamed into place only when every byte has arrived; on any error (or Ctrl-C)
it is deleted. Peak memory stays a few chunks, whatever the file's size.
A video answers a link (``down_url`` for material, ``video_url`` for media)
rather than the file; the link is followed without a token.
"""

from __future__ import annotations

import os
from pathlib import Path

from wechat_material import _endpoints as ep
from wechat_material._atomic import AtomicFile, prepare_target
from wechat_material._call import Operation, Perform
from wechat_material._calls.files import reply_filename
from wechat_material._calls.material import fetch_file, video_file
from wechat_material._reply import FileReply, JsonReply, Reply
from wechat_material.errors import NotAFileError, UnexpectedReplyError
from wechat_material.models import NewsMaterial

# The field that holds a video's link in each endpoint's JSON reply.
_VIDEO_LINK = {ep.MATERIAL_GET: "down_url", ep.MEDIA_GET: "video_url"}


def download(endpoint: ep.Endpoint, media_id: str, path: str | os.PathLike[str]) -> Operation[Path]:
    """Save the file behind ``media_id`` to ``path`` (a directory: under WeChat's name).

    A path ending with a separator names a directory, made if it is missing.
    """
    directory, name = prepare_target(path)
    with AtomicFile(directory) as part:
        reply: Reply = yield Perform(fetch_file(endpoint, media_id, lambda: part.file))
        if isinstance(reply, JsonReply):
            link = reply.data.get(_VIDEO_LINK[endpoint])
            if not isinstance(link, str) or not link:
                news = (
                    NewsMaterial.model_validate(reply.data) if "news_item" in reply.data else None
                )
                what = "a news material (articles)" if news is not None else "not a file"
                raise NotAFileError(
                    f"{media_id} is {what}; read it with get_material() instead of downloading it",
                    media_id=media_id,
                    news=news,
                )
            reply = yield Perform(video_file(link, lambda: part.file))
        if not isinstance(reply, FileReply):  # pragma: no cover - video_file only answers files
            raise UnexpectedReplyError(f"{media_id}: no file in the reply")
        return part.commit(directory / (name or reply_filename(reply, media_id)))
