"""Malformed input for fuzzing an HTTP API: JSON, multipart, query strings, paths, headers.

Nothing here knows the WeChat API: each function takes a random generator (so a
seed reproduces its output) and something well-formed, and returns a variant
that is usually wrong in one way: a value of the wrong type, a number too big
for any integer type, a NaN literal, a lone surrogate, text cut short, a
missing or doubled part, a boundary that does not match.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any
from urllib.parse import quote

_RAW_TOKENS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1E+99999",
    "-0",
    "0.0000000000000000000000001",
    "123456789012345678901234567890123456789",
)


class Raw(str):
    """A JSON token written as it is (``NaN``, ``1e400``, ``[[[...]]]``)."""


def unicode_text(rng: random.Random, size: int) -> str:
    alphabet = "素材草稿标题😀\u202e\u200b\ufeffé\u0301ß" + string.ascii_letters
    return "".join(rng.choice(alphabet) for _ in range(size))


def nasty(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.randrange(30)
    simple: list[Any] = [
        None,
        True,
        False,
        0,
        -1,
        2**31,
        2**63,
        2**64,
        -(2**63) - 1,
        10**30,
        1.5,
        -0.0,
        1e308,
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud800",
        "x\udfffy",
        "😀",
        "../../etc/passwd",
        "%00%ff",
        "<script>alert(1)</script>",
        "1",
        "-1",
        "0x10",
    ]
    if roll < len(simple):
        return simple[roll]
    if roll == 26:
        return Raw(rng.choice(_RAW_TOKENS))
    if roll == 27:
        return rng.choice(("x", "素")) * rng.choice((100, 5_000, 100_000))
    if roll == 28:
        return unicode_text(rng, rng.randint(1, 200))
    if depth > 2:
        return []
    return rng.choice(([nasty(rng, depth + 1)], {"k": nasty(rng, depth + 1)}, {}, [], [[]]))


def deep(rng: random.Random) -> Raw:
    depth = rng.choice((64, 200, 1_000, 5_000, 100_000))
    opener, closer = rng.choice((("[", "]"), ('{"a":', "}")))
    tail = "1" if opener.startswith("{") else ""
    return Raw(opener * depth + tail + closer * depth)


def dump(value: Any) -> bytes:
    """JSON text with Raw tokens spliced in and lone surrogates escaped as \\uXXXX."""
    raws: list[str] = []

    def mark(item: Any) -> Any:
        if isinstance(item, Raw):
            raws.append(str(item))
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(item, dict):
            return {k: mark(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item

    text = json.dumps(mark(value), ensure_ascii=True)
    for i, token in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', token, 1)
    return text.encode()


def mutate(value: Any, rng: random.Random) -> Any:
    """Replace one value somewhere inside ``value`` with a nasty one."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        copy = dict(value)
        copy[key] = mutate(value[key], rng) if rng.random() < 0.5 else nasty(rng)
        return copy
    if isinstance(value, list) and value and rng.random() < 0.8:
        copy_list = list(value)
        i = rng.randrange(len(copy_list))
        copy_list[i] = mutate(copy_list[i], rng) if rng.random() < 0.5 else nasty(rng)
        return copy_list
    return nasty(rng)


def json_body(template: dict[str, Any], rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.15:
        return dump(template)
    if roll < 0.50:
        value: Any = template
        for _ in range(rng.randint(1, 3)):
            value = mutate(value, rng)
        if rng.random() < 0.2 and isinstance(value, dict):
            value = {**value, unicode_text(rng, 5): nasty(rng)}
        return dump(value)
    if roll < 0.58:
        return dump({k: v for k, v in template.items() if rng.random() < 0.5})
    if roll < 0.64:
        return dump(rng.choice(([], None, 1, "s", True, deep(rng), Raw("NaN"))))
    if roll < 0.70:
        key = rng.choice(list(template) or ["x"])
        return dump({key: deep(rng)})
    if roll < 0.76:
        text = dump(template)
        return text[: rng.randrange(max(1, len(text)))]
    if roll < 0.80:
        return b""
    if roll < 0.86:
        text = json.dumps(template, ensure_ascii=False)
        return rng.choice(
            (
                text.encode("utf-16"),
                b"\xef\xbb\xbf" + text.encode(),
                text.replace('"', '"\ud800', 1).encode("utf-8", "surrogatepass"),
                text.encode() + b"\xff",
                text.encode("latin-1", "replace"),
            )
        )
    if roll < 0.90:
        text = dump(template).decode()
        if text.startswith("{") and len(text) > 2:
            return ("{" + text[1:-1] + "," + text[1:-1] + "}").encode()
        return text.encode()
    if roll < 0.94:
        key = rng.choice(list(template) or ["x"])
        return dump({**template, key: "x" * rng.choice((1 << 20, 3 << 20))})
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))


ODD_FILENAMES = (
    "",
    ".png",
    "noext",
    "a" * 1000 + ".png",
    "../../etc/passwd.png",
    "名字.png",
    "x.png\x00.exe",
    "x.PNG",
    'x\\".png',
    "x.png;.jpg",
    "x .png",
    "x.",
    "\u202egnp.exe",
)


def part(name: str | None, filename: str | None, content_type: str | None, data: bytes) -> bytes:
    disposition = "form-data"
    if name is not None:
        disposition += f'; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [f"Content-Disposition: {disposition}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + data


def multipart_body(
    rng: random.Random, filename: str | None, data: bytes, with_description: bool
) -> tuple[bytes, list[tuple[str, str]]]:
    """A multipart body with a ``media`` file part, and its Content-Type header.

    Usually something is wrong: an odd filename or none, another part name, a
    missing or doubled part, a cut body, a boundary that does not match.
    """
    boundary = "fuzz" + "".join(rng.choice(string.ascii_letters) for _ in range(16))
    content_type: str | None = "application/octet-stream"
    name: str | None = "media"
    roll = rng.random()
    if roll < 0.08:
        filename = rng.choice(ODD_FILENAMES)
    elif roll < 0.12:
        filename = None
    elif roll < 0.16:
        name = rng.choice((None, "file", "MEDIA", "", "media[]"))
    elif roll < 0.20:
        content_type = rng.choice((None, "", "text/plain", "image/png; charset=utf-8", "x/y"))
    parts = [part(name, filename, content_type, data)]
    if with_description or rng.random() < 0.1:
        description = rng.choice(
            (
                '{"title": "t", "introduction": "i"}',
                dump({"title": nasty(rng), "introduction": nasty(rng)}).decode(),
                "not json",
                "",
                '{"title": "t"',
            )
        )
        parts.append(part("description", None, None, description.encode()))
    roll = rng.random()
    if roll < 0.05:
        parts = []
    elif roll < 0.10:
        parts = parts[1:] or [part("description", None, None, b"{}")]
    elif roll < 0.15:
        parts = parts + parts  # the media part twice
    elif roll < 0.18:
        parts += [part(f"f{i}", None, None, b"v") for i in range(rng.choice((50, 1000)))]
    elif roll < 0.21:
        parts.append(part("media", "empty.png", "image/png", b""))
    sep = b"\r\n" if rng.random() > 0.05 else b"\n"
    delimiter = b"--" + boundary.encode()
    body = b"".join(delimiter + sep + p + sep for p in parts) + delimiter + b"--" + sep
    roll = rng.random()
    if roll < 0.05:
        body = body[: rng.randrange(max(1, len(body)))]  # cut short
    elif roll < 0.08:
        body = b"preamble\r\n" + body + b"epilogue"
    elif roll < 0.10:
        body = body.replace(delimiter + b"--", b"")  # no closing delimiter
    header = f"multipart/form-data; boundary={boundary}"
    roll = rng.random()
    if roll < 0.04:
        header = "multipart/form-data"
    elif roll < 0.07:
        header = f"multipart/form-data; boundary={boundary}x"
    elif roll < 0.09:
        header = 'multipart/form-data; boundary=""'
    elif roll < 0.11:
        header = "multipart/form-data; boundary=" + "b" * 200
    elif roll < 0.13:
        header = f'multipart/form-data; boundary="{boundary}"'
    elif roll < 0.16:
        header = rng.choice(("application/json", "text/plain", "image/png", ""))
    return body, [("Content-Type", header)] if header else []


def encode_query(params: list[tuple[str, str]], rng: random.Random) -> str:
    pieces = []
    for name, value in params:
        encoded = quote(name.encode("utf-8", "surrogatepass"), safe="")
        encoded += "=" + quote(value.encode("utf-8", "surrogatepass"), safe="")
        pieces.append(encoded)
    if rng.random() < 0.05:
        pieces.append(rng.choice(("", "=", "novalue", "=x", "%ff=%fe", "%ED%A0%80=1", "a=%00")))
    return "&".join(pieces)


def mutate_params(params: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    if rng.random() > 0.3:
        return params
    params = list(params)
    roll = rng.random()
    if roll < 0.25 and params:
        params.pop(rng.randrange(len(params)))
    elif roll < 0.45 and params:
        name, _ = rng.choice(params)
        params.append((name, str(nasty(rng))[:5000]))
    elif roll < 0.65 and params:
        i = rng.randrange(len(params))
        params[i] = (params[i][0], rng.choice(("", "\x00", "素材", "\ud800", "x" * 6000)))
    elif roll < 0.80:
        params += [(f"p{i}", "v") for i in range(rng.choice((100, 500)))]
    else:
        params.append((unicode_text(rng, 8), unicode_text(rng, 8)))
    return params


def near_path(path: str, rng: random.Random) -> str:
    if rng.random() > 0.15:
        return path
    head, _, tail = path.rpartition("/")
    return rng.choice(
        (
            path + "/",
            path.replace("/cgi-bin/", "/cgi-bin//", 1),
            path.upper(),
            path + "/x",
            path + ".json",
            head + "/%" + f"{ord(tail[0]):02X}" + tail[1:] if tail else path,
            head + "/../" + path.lstrip("/"),
            path + "%00",
            path + "/" + quote(unicode_text(rng, 6)),
            path + "/" + "a" * rng.choice((300, 4000)),
            head + "/" + tail[:-1],
            path + ";jsessionid=1",
        )
    )


HOSTS = (
    "evil.example",
    "",
    "a" * 300,
    "[::1",
    "127.0.0.1:99999",
    "host with space",
    "xn--fiq228c.example",
    "127.0.0.1:0",
    "user@host",
)
RANGES = ("bytes=0-0", "bytes=-1", "bytes=99999999-", "bytes=5-1", "bytes=0-1,2-3", "bytes=x")


def odd_headers(rng: random.Random) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    if rng.random() < 0.08:
        headers.append(("Host", rng.choice(HOSTS)))
    if rng.random() < 0.06:
        headers.append(("Range", rng.choice(RANGES)))
    if rng.random() < 0.04:
        headers.append(
            rng.choice(
                (
                    ("Content-Encoding", "gzip"),
                    ("X-Forwarded-For", "1.2.3.4"),
                    ("If-None-Match", '"x", W/"y"'),
                    ("If-Modified-Since", "yesterday"),
                    ("Accept-Encoding", "br;q=2"),
                    ("Connection", "close"),
                    ("X-Long", "v" * 6000),
                )
            )
        )
    return headers
