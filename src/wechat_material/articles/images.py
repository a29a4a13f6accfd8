"""The images of a post: found with their lines, read under rules, made acceptable to WeChat.

Where an image may come from:

- a file inside the post's folder, or inside a folder named with
  ``--assets DIR`` (symlinks resolved; nothing outside is opened);
- an ``http``/``https`` URL, fetched through :mod:`wechat_material.fetching`
  (no private or loopback addresses unless allowed, at most 3 redirects,
  10 s and 10 MB per image);
- a ``data:`` URI (base64 or percent-encoded), decoded like a file.

Every other scheme (``file:``, ``javascript:``, …) is refused. A file is
judged by its first bytes before it is read whole: only JPEG, PNG, GIF, BMP
and WebP are read. Every message names the post, the line and the reference
as written.

``uploadimg`` (images inside the article) takes PNG or JPEG up to 1 MB; the
cover is permanent image material (up to 10 MB; PNG, JPEG, GIF or BMP).
Anything else is converted and compressed with Pillow first, and the change
is reported so the writer knows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import httpx
from markdown_it.token import Token
from PIL import Image, UnidentifiedImageError

from wechat_material._files import open_confined
from wechat_material.articles.frontmatter import PostError
from wechat_material.articles.rendering import _IMG_SRC
from wechat_material.errors import (
    OutsideRootError,
    TransportError,
    URLRefusedError,
    ValidationError,
)
from wechat_material.fetching import FetchPolicy, fetch, service_of
from wechat_material.limits import MaterialType, MediaFormat, Target, limit_for
from wechat_material.mediainfo import SNIFF_BYTES, detect_format

JPEG_QUALITIES = (90, 80, 70, 60, 50)
SHRINK = 0.8
# The most an image may weigh before conversion: a camera's photo fits, a
# disk image named .jpg does not. Remote images and data: URIs: 10 MB.
MAX_LOCAL_BYTES = 50 * 1024 * 1024
MAX_REMOTE_BYTES = 10 * 1024 * 1024
REMOTE_TIMEOUT = 10.0
REMOTE_SCHEMES = frozenset({"http", "https"})
READABLE = "JPEG, PNG, GIF, BMP or WebP"

ARTICLE_IMAGE = limit_for(Target.ARTICLE_IMAGE, MaterialType.IMAGE)
COVER_IMAGE = limit_for(Target.PERMANENT, MaterialType.IMAGE)

_IMAGE_FORMATS = frozenset({MediaFormat.JPG, MediaFormat.PNG, MediaFormat.GIF, MediaFormat.BMP})
_PIL_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "BMP": "bmp"}
_SHOWN_CHARS = 60  # a data: URI is shown cut to this many characters


def shown(source: str) -> str:
    """A reference as the writer typed it: paths unquoted, long data: URIs cut."""
    scheme = urlsplit(source).scheme.lower() if ":" in source else ""
    if scheme == "data":
        return source if len(source) <= _SHOWN_CHARS else source[:_SHOWN_CHARS] + "…"
    return source if scheme else unquote(source)


@dataclass(frozen=True)
class ImageRef:
    """An image the post refers to: ``source`` as in the HTML, and where it is written."""

    source: str
    where: str
    """``post.md:12`` (or ``post.md`` where the line is not known)."""

    @property
    def scheme(self) -> str:
        return urlsplit(self.source).scheme.lower() if ":" in self.source else ""

    def refused(self, message: str, field: str = "image") -> PostError:
        return PostError(f"{self.where}: {message}", field=field)


def refuse_scheme(ref: ImageRef) -> None:
    """Refuse a reference that is neither a path, an http(s) URL nor a data: URI (no I/O)."""
    scheme = ref.scheme
    if scheme in REMOTE_SCHEMES or scheme == "data":
        return
    if scheme or ref.source.startswith("//"):
        raise ref.refused(
            f"{shown(ref.source)}: '{scheme or '//'}' images cannot be published; "
            "use a file in the post's folder, an http(s) URL or a data: URI"
        )


def _line_of(token: Token, start: int) -> int:
    return (token.map[0] if token.map else start) + 1


def _html_sources(html: str) -> list[tuple[str, int]]:
    """The ``<img src>`` of raw HTML with how many lines into ``html`` each is."""
    from html import unescape

    return [(unescape(m.group(3)), html.count("\n", 0, m.start())) for m in _IMG_SRC.finditer(html)]


def image_references(tokens: Sequence[Token], name: str) -> list[ImageRef]:
    """Every image of parsed Markdown (``![]()`` and raw ``<img>``) with its line, in order."""
    refs: list[ImageRef] = []
    line = 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        if token.type == "html_block":
            for source, offset in _html_sources(token.content):
                refs.append(ImageRef(source, f"{name}:{line + 1 + offset}"))
        if token.type != "inline":
            continue
        here = line
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                here += 1
            elif child.type == "image":
                refs.append(ImageRef(str(child.attrGet("src") or ""), f"{name}:{here + 1}"))
            elif child.type == "html_inline":
                refs.extend(
                    ImageRef(s, f"{name}:{here + 1}") for s, _ in _html_sources(child.content)
                )
    return refs


@dataclass(frozen=True)
class ImageRules:
    """Where a post's images may be read from; only the command line widens it."""

    assets: tuple[Path, ...] = ()
    """Folders besides the post's own that local images may lie in (``--assets DIR``)."""
    allow_private_hosts: bool = False
    """Fetch from loopback, private and link-local addresses too (``--allow-private-hosts``)."""
    trusted_hosts: frozenset[str] = frozenset()
    """Hosts exempt from the address check: the API's own (the sandbox)."""

    def trusting(self, base_url: str | None) -> ImageRules:
        """These rules with the service at ``base_url`` (the API, e.g. a sandbox) trusted:
        its host on its port, not the other services of that host."""
        service = service_of(base_url) if base_url else None
        if not service:
            return self
        return ImageRules(self.assets, self.allow_private_hosts, self.trusted_hosts | {service})

    def policy(self) -> FetchPolicy:
        return FetchPolicy(
            trusted_hosts=self.trusted_hosts,
            allow_private=self.allow_private_hosts,
            max_bytes=MAX_REMOTE_BYTES,
            timeout=REMOTE_TIMEOUT,
            private_hint="use --allow-private-hosts to allow it",
        )


@dataclass(frozen=True)
class ImageData:
    """An image as the post refers to it (``source``, written at ``where``) and its bytes."""

    source: str
    data: bytes
    where: str = ""
    name: str = "image"
    """A file name stem to upload it under."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def label(self) -> str:
        """How messages name it: ``post.md:12: images/a.png``."""
        return f"{self.where}: {shown(self.source)}" if self.where else shown(self.source)


@dataclass(frozen=True)
class Prepared:
    """Bytes WeChat accepts, the filename to send them under, and what was changed."""

    data: bytes
    filename: str
    note: str | None = None


def _is_webp(head: bytes) -> bool:
    # Not a format WeChat takes (so not in mediainfo's table), but one Pillow converts.
    return head.startswith(b"RIFF") and head[8:12] == b"WEBP"


def _judge(ref: ImageRef, head: bytes) -> None:
    """Refuse bytes that do not start like an image that can be published."""
    if detect_format(head) in _IMAGE_FORMATS or _is_webp(head):
        return
    raise ref.refused(
        f"{shown(ref.source)} is not a {READABLE} image (judged by its first bytes); "
        "save it as one of those"
    )


def mime_type(data: bytes) -> str:
    """The MIME type of image bytes, from their first bytes (for data: URIs)."""
    fmt = detect_format(data[:SNIFF_BYTES])
    if fmt in _IMAGE_FORMATS and fmt is not None:
        return fmt.content_type
    return "image/webp" if _is_webp(data) else "application/octet-stream"


def _stem(path: str) -> str:
    return Path(path).stem[:64] or "image"


def _read_local(ref: ImageRef, roots: Sequence[Path]) -> ImageData:
    given = unquote(ref.source)
    outside = f"{given} is outside the post's folder (use --assets DIR to allow another folder)"
    if given.startswith("~"):  # never expanded: a home directory is not the post's folder
        raise ref.refused(outside)
    try:
        file = open_confined(given, roots, base=roots[0])
    except OutsideRootError:
        raise ref.refused(outside) from None
    except ValidationError as exc:  # missing, or not a regular file
        raise ref.refused(f"{exc} (paths are relative to the post's folder)") from None
    except OSError as exc:
        reason = exc.strerror or "input/output error"
        raise ref.refused(f"{given} cannot be read: {reason}") from None
    with file:
        try:
            head = file.read(SNIFF_BYTES)
            _judge(ref, head)  # before the rest is read
            rest = file.read(MAX_LOCAL_BYTES + 1 - len(head))
        except OSError as exc:
            reason = exc.strerror or "input/output error"
            raise ref.refused(f"{given} cannot be read: {reason}") from None
    data = head + rest
    if len(data) > MAX_LOCAL_BYTES:
        raise ref.refused(f"{given} is over {MAX_LOCAL_BYTES // (1024 * 1024)} MB; shrink it first")
    return ImageData(ref.source, data, ref.where, _stem(given))


def _decode_data_uri(ref: ImageRef) -> bytes:
    header, comma, payload = ref.source[len("data:") :].partition(",")
    if not comma:
        raise ref.refused(f"{shown(ref.source)} is not a data: URI (no ',' before the data)")
    if len(payload) > 2 * MAX_REMOTE_BYTES:
        raise ref.refused(f"{shown(ref.source)} holds over 10 MB; use a file instead")
    if header.lower().endswith(";base64"):
        try:
            return base64.b64decode("".join(unquote(payload).split()), validate=True)
        except (binascii.Error, ValueError):
            raise ref.refused(f"{shown(ref.source)} is not valid base64") from None
    return unquote_to_bytes(payload)


def _read_data_uri(ref: ImageRef) -> ImageData:
    data = _decode_data_uri(ref)
    _judge(ref, data[:SNIFF_BYTES])
    if len(data) > MAX_REMOTE_BYTES:
        raise ref.refused(f"{shown(ref.source)} holds over 10 MB; use a file instead")
    return ImageData(ref.source, data, ref.where, "image")


def _read_remote(ref: ImageRef, policy: FetchPolicy, http: httpx.Client) -> ImageData:
    try:
        fetched = fetch(ref.source, policy, http)
    except (URLRefusedError, TransportError) as exc:
        raise ref.refused(str(exc)) from None
    _judge(ref, fetched.data[:SNIFF_BYTES])
    return ImageData(ref.source, fetched.data, ref.where, _stem(urlsplit(ref.source).path))


def read_image(
    ref: ImageRef, base_dir: Path, http: httpx.Client, rules: ImageRules | None = None
) -> ImageData:
    """The bytes of one image, read under ``rules``; :class:`PostError` names what to fix."""
    rules = rules or ImageRules()
    refuse_scheme(ref)
    if ref.scheme in REMOTE_SCHEMES:
        return _read_remote(ref, rules.policy(), http)
    if ref.scheme == "data":
        return _read_data_uri(ref)
    return _read_local(ref, (base_dir, *rules.assets))


def read_images(
    refs: Iterable[ImageRef], base_dir: Path, http: httpx.Client, rules: ImageRules | None = None
) -> dict[str, ImageData]:
    """Every image of a post by source, read before anything is sent."""
    found: dict[str, ImageData] = {}
    for ref in refs:
        if ref.source not in found:
            found[ref.source] = read_image(ref, base_dir, http, rules)
    return found


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def _open(image: ImageData) -> Image.Image:
    try:
        opened = Image.open(io.BytesIO(image.data))
        opened.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        # Pillow's own message names its buffer object, not the writer's file.
        raise PostError(
            f"{image.label} looks damaged or cut short: it cannot be decoded; "
            "open and save it again",
            field="image",
        ) from None
    return opened


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in {"RGBA", "LA", "PA"} or (img.mode == "P" and "transparency" in img.info)


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _fit(image: ImageData, img: Image.Image, max_bytes: int) -> tuple[bytes, str]:
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
            raise PostError(
                f"{image.label} cannot be compressed under {_size_text(max_bytes)}",
                field="image",
            )
        img = img.resize((max(1, int(width * SHRINK)), max(1, int(height * SHRINK))))


def prepare(image: ImageData, *, cover: bool = False) -> Prepared:
    """``image`` in a format and size WeChat takes for the body (or, ``cover``, as the cover)."""
    limit = COVER_IMAGE if cover else ARTICLE_IMAGE
    opened = _open(image)
    fmt = _PIL_FORMATS.get(str(opened.format))
    accepted = {f.value for f in limit.formats}
    animated = getattr(opened, "is_animated", False)
    if fmt in accepted and len(image.data) <= limit.max_bytes and not (cover and animated):
        return Prepared(image.data, f"{image.name}.{fmt}")
    data, new_fmt = _fit(image, opened, limit.max_bytes)
    what = "the cover" if cover else "body images"
    note = (
        f"{image.label}: {opened.format or 'unknown'} of {_size_text(len(image.data))} "
        f"converted to {new_fmt.upper()} of {_size_text(len(data))} ({limit.describe()} for {what})"
    )
    if animated:
        note += "; only its first frame is kept"
    return Prepared(data, f"{image.name}.{new_fmt}", note)
