"""Fixtures shared by every test folder: sample media and a real redis-server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

pytest_plugins = ["pytester"]

MEDIA = Path(__file__).parent / "media"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the real redis-server is a ``redis`` test, however it gets there."""
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


@pytest.fixture
def media_dir() -> Path:
    """The folder of small real sample files (see tests/media/README.md)."""
    return MEDIA


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
