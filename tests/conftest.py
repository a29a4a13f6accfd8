"""Fixtures shared by every test folder: sample media and a real redis-server."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

MEDIA = Path(__file__).parent / "media"

# Property tests (tests/properties/): in CI the same examples every run, so a
# failure is reproducible and never flaky; locally a fresh sample each run.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=80, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="keep the console's browser-test screenshots in DIR (default: a temporary folder)",
    )


PROPERTIES = Path(__file__).parent / "properties"


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the real redis-server is a ``redis`` test, however it gets
    there; the property tests, dozens of examples each, are ``slow`` ones."""
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
        if PROPERTIES in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def anyio_backend() -> str:
    """The async tests (``pytest.mark.anyio``) run on asyncio, as the SDK's async client does."""
    return "asyncio"


@pytest.fixture
def media_dir() -> Path:
    """The folder of small real sample files (see tests/media/README.md)."""
    return MEDIA


def _grown(name: str, size: int) -> bytes:
    """A sample JPEG or MP4 grown to ``size`` bytes and still a whole, valid file.

    Zeros appended after the end of a file would make it look corrupt, so the
    growth goes where the format allows it: JPEG comment segments after the
    start marker, an MP4 ``free`` box at the end.
    """
    data = (MEDIA / name).read_bytes()
    extra = size - len(data)
    if name.endswith(".mp4") and extra >= 8:
        return data + struct.pack(">I4s", extra, b"free") + bytes(extra - 8)
    if name.endswith(".jpg") and extra >= 4:
        segments = []
        while extra:
            take = min(extra, 65537)  # marker (2) + length (2) + at most 65533 bytes
            if 0 < extra - take < 4:
                take -= 4
            segments.append(b"\xff\xfe" + struct.pack(">H", take - 2) + bytes(take - 4))
            extra -= take
        return data[:2] + b"".join(segments) + data[2:]
    raise ValueError(f"cannot grow {name} to {size} bytes")


@pytest.fixture
def grown_media() -> Callable[[str, int], bytes]:
    """``grow(name, size)``: a sample JPEG or MP4 padded, validly, to ``size`` bytes."""
    return _grown


def _without_box(data: bytes, kind: bytes) -> bytes:
    offset = 0
    while offset < len(data):
        size, found = struct.unpack_from(">I4s", data, offset)
        if found == kind:
            return data[:offset] + data[offset + size :]
        offset += size
    raise ValueError(f"no {kind!r} box")


def _broken(name: str) -> dict[str, bytes]:
    """Truncated or end-stripped variants of a sample file, by what was done to it."""
    data = (MEDIA / name).read_bytes()
    if name.endswith(".mp3"):
        # MP3 has no end marker: only a cut inside its ID3 tag is detectable.
        return {"cut inside its ID3 tag": data[:20]}
    variants = {f"cut to {n} bytes": data[:n] for n in (len(data) - 1, len(data) // 2, 20)}
    if name.endswith(".png"):
        variants["without its IEND chunk"] = data[:-12]
    if name.endswith(".gif"):
        variants["without its trailer"] = data[:-1]
    if name.endswith(".jpg"):
        variants["without its EOI marker"] = data[:-2]
    if name.endswith(".mp4"):
        variants["without its moov box"] = _without_box(data, b"moov")
    if name.endswith((".bmp", ".mp4", ".wma", ".amr")):
        variants["with bytes appended"] = data + b"\x01" * 3
    return variants


@pytest.fixture
def broken_media() -> Callable[[str], dict[str, bytes]]:
    """``broken(name)``: truncated variants of a sample, made here rather than stored."""
    return _broken


@pytest.fixture
def huge_voice(tmp_path: Path) -> Path:
    """A 31 MB AMR voice (the sample's frames repeated), far over every voice limit."""
    return _long_amr(tmp_path / "huge.amr", 31 * 1024 * 1024)


@pytest.fixture
def big_voice(tmp_path: Path) -> Path:
    """A 10 MB AMR voice: over the 2 MB voice limit, within what an upload call takes."""
    return _long_amr(tmp_path / "big.amr", 10 * 1024 * 1024)


def _long_amr(path: Path, size: int) -> Path:
    sample = (MEDIA / "voice-2s.amr").read_bytes()
    frame = sample[6:38]  # 12.2 kbit/s: 32-byte frames after the 6-byte header
    path.write_bytes(sample[:6] + frame * (size // len(frame)))
    return path


@pytest.fixture
def media_parsing(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the checks walked a file (its end or its duration), by function name."""
    from wechat_material import mediainfo

    calls: Counter[str] = Counter()
    for name in ("damage", "voice_duration"):
        real = getattr(mediainfo, name)

        def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(mediainfo, name, counted)
    return calls


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    return free_port()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a Redis database the tests may empty at will.

    ``REDIS_URL`` (default redis://127.0.0.1:6379/15) if a server answers
    there; otherwise a redis-server of our own on a free port.
    """
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    if answers(url):
        yield url
        return
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        pytest.fail(
            f"no Redis answers at {url} and redis-server is not installed: install it "
            "(apt-get install redis-server) or point REDIS_URL at a Redis you can flush"
        )
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/15"
    try:
        deadline = time.monotonic() + 20
        while not answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {port} did not start (exit {server.poll()})")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """``redis_server``, emptied before each test."""
    client = redis.Redis.from_url(redis_server)
    try:
        client.flushdb()
        yield redis_server
    finally:
        client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()
