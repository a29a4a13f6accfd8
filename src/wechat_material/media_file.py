"""A file read from WeChat into memory (image, voice, thumb: at most 10 MB)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wechat_material._files import AtomicFile, prepare_target, safe_filename


@dataclass(frozen=True)
class FileDownload:
    """What :meth:`~wechat_material.WeChatClient.fetch_material` wrote, and what WeChat said of it.

    ``size`` bytes were written. ``content_type`` and ``filename`` are the
    reply's own (None when it sent none); a video material also has the
    ``title`` and ``description`` of its entry (None for other files).
    """

    size: int
    content_type: str | None = None
    filename: str | None = None
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class MediaFile:
    """A media file: its name (from WeChat), content type and bytes.

    >>> file = client.material.get_material(media_id)
    >>> file.save("downloads/")  # -> Path("downloads/<media_id>.jpg")
    """

    filename: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    def read(self) -> bytes:
        return self.content

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The content in chunks of ``chunk_size`` bytes."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        for start in range(0, len(self.content), chunk_size):
            yield self.content[start : start + chunk_size]

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write the file to ``path`` (a directory: under :attr:`filename`) atomically.

        The same rules as the ``download_*`` methods: a path ending with a
        separator names a directory, made if it is missing; a file path's
        directory must exist (:class:`ValidationError` otherwise); a file
        named here is replaced unless ``overwrite=False``, while
        :attr:`filename` in a directory never replaces one (``name (1).ext``).
        """
        target = prepare_target(path, overwrite=overwrite)
        with AtomicFile(target.directory) as part:
            part.file.write(self.content)
            if target.name is not None:
                return part.commit(target.directory / target.name, replace=overwrite)
            return part.commit_new(target.directory, safe_filename(self.filename) or "media")
