"""File names that are safe to send and safe to save under."""

from __future__ import annotations

import email.message


def safe_filename(name: str) -> str | None:
    """``name`` reduced to a plain file name, or None if nothing usable is left.

    Directory parts and control characters are dropped, and ``.``/``..`` refused,
    so a name from a reply can never point outside the directory it is saved to.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", ".."):
        return None
    return base


def attachment_filename(content_disposition: str | None) -> str | None:
    """The safe file name a ``Content-Disposition`` header gives, if any."""
    if not content_disposition:
        return None
    header = email.message.Message()
    header["content-disposition"] = content_disposition
    name = header.get_filename()
    return safe_filename(name) if name else None
