"""The images of a post: read from disk or the web, then made acceptable to WeChat.

``uploadimg`` (images inside the article) takes PNG or JPEG up to 1 MB; the
cover is permanent image material (up to 10 MB; PNG, JPEG, GIF or BMP).
Anything else is converted and compressed with Pillow first, and the change
is reported so the writer knows.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from PIL import Image, UnidentifiedImageError

from wechat_material.articles.frontmatter import PostError
from wechat_material.limits import MaterialType, Target, limit_for

REMOTE_TIMEOUT = 30.0
JPEG_QUALITIES = (90, 80, 70, 60, 50)
SHRINK = 0.8

ARTICLE_IMAGE = limit_for(Target.ARTICLE_IMAGE, MaterialType.IMAGE)
COVER_IMAGE = limit_for(Target.PERMANENT, MaterialType.IMAGE)

_PIL_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "BMP": "bmp"}


@dataclass(frozen=True)
class ImageData:
    """An image as the post refers to it (``source``) and its bytes."""

    source: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """Bytes WeChat accepts, the filename to send them under, and what was changed."""

    data: bytes
    filename: str
    note: str | None = None


def mime_type(data: bytes) -> str:
    """The MIME type of image bytes, as Pillow reads them (for data: URIs)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return f"image/{str(img.format or 'png').lower()}"
    except (UnidentifiedImageError, OSError):
        return "application/octet-stream"


def is_remote(source: str) -> bool:
    return urlsplit(source).scheme in {"http", "https"}


def read_image(source: str, base_dir: Path, http: httpx.Client) -> ImageData:
    """The bytes of ``source``: a URL, or a path relative to the post's folder."""
    if is_remote(source):
        try:
            response = http.get(source, follow_redirects=True, timeout=REMOTE_TIMEOUT)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise PostError(
                f"image {source}: could not download it ({exc})", field="image"
            ) from None
        return ImageData(source, response.content)
    path = (base_dir / unquote(source)).expanduser()
    try:
        return ImageData(source, path.read_bytes())
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PostError(f"image {source}: {reason} ({path})", field="image") from None


def read_images(sources: Iterable[str], base_dir: Path, http: httpx.Client) -> dict[str, ImageData]:
    """Every image of a post, read before anything is sent."""
    return {source: read_image(source, base_dir, http) for source in dict.fromkeys(sources)}


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def _open(image: ImageData) -> Image.Image:
    try:
        opened = Image.open(io.BytesIO(image.data))
        opened.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PostError(
            f"image {image.source}: not an image Pillow can read ({exc})", field="image"
        ) from None
    return opened


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in {"RGBA", "LA", "PA"} or (img.mode == "P" and "transparency" in img.info)


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _fit(img: Image.Image, max_bytes: int) -> tuple[bytes, str]:
    """PNG if the image has transparency and fits as PNG; otherwise the best JPEG that fits."""
    if _has_alpha(img):
        png = _encode(img.convert("RGBA"), "PNG", optimize=True)
        if len(png) <= max_bytes:
            return png, "png"
        flat = Image.new("RGB", img.size, "white")
        flat.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        img = flat
    img = img.convert("RGB")
    while True:
        for quality in JPEG_QUALITIES:
            jpeg = _encode(img, "JPEG", quality=quality, optimize=True)
            if len(jpeg) <= max_bytes:
                return jpeg, "jpg"
        width, height = img.size
        if width <= 16 or height <= 16:
            raise PostError("an image cannot be compressed under the limit", field="image")
        img = img.resize((max(1, int(width * SHRINK)), max(1, int(height * SHRINK))))


def prepare(image: ImageData, *, cover: bool = False) -> Prepared:
    """``image`` in a format and size WeChat takes for the body (or, ``cover``, as the cover)."""
    limit = COVER_IMAGE if cover else ARTICLE_IMAGE
    opened = _open(image)
    fmt = _PIL_FORMATS.get(str(opened.format))
    stem = Path(urlsplit(image.source).path).stem or "image"
    accepted = {f.value for f in limit.formats}
    animated = getattr(opened, "is_animated", False)
    if fmt in accepted and len(image.data) <= limit.max_bytes and not (cover and animated):
        return Prepared(image.data, f"{stem}.{fmt}")
    data, new_fmt = _fit(opened, limit.max_bytes)
    what = "the cover" if cover else "body images"
    note = (
        f"image {image.source}: {opened.format or 'unknown'} of {_size_text(len(image.data))} "
        f"converted to {new_fmt.upper()} of {_size_text(len(data))} ({limit.describe()} for {what})"
    )
    if animated:
        note += "; only its first frame is kept"
    return Prepared(data, f"{stem}.{new_fmt}", note)
