"""The file rules of _files.py told apart exactly: what a path is, and naming without links."""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path

import pytest

from wechat_material._files import _kind, _link_new


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        (stat.S_IFCHR, "a character device"),
        (stat.S_IFBLK, "a block device"),
        (stat.S_IFIFO, "a FIFO (named pipe)"),
        (stat.S_IFSOCK, "a socket"),
        (stat.S_IFDIR, "a directory"),
        (stat.S_IFLNK, "not a regular file"),
    ],
)
def test_what_a_path_is_named(mode: int, said: str) -> None:
    assert _kind(mode | 0o644) == said


def test_a_real_socket_is_named_a_socket(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "s"))
        assert _kind(os.lstat(tmp_path / "s").st_mode) == "a socket"
    finally:
        server.close()


@pytest.mark.parametrize("code", [errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP])
def test_without_links_a_free_name_is_claimed_then_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def no_links(source: Path, target: Path) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_links)
    source = tmp_path / "part"
    source.write_bytes(b"data")
    taken = tmp_path / "taken.jpg"
    taken.write_bytes(b"someone else's")

    assert _link_new(source, tmp_path / "free.jpg") is True
    assert (tmp_path / "free.jpg").read_bytes() == b"data"
    assert not source.exists()

    source.write_bytes(b"more")
    assert _link_new(source, taken) is False
    assert taken.read_bytes() == b"someone else's"


def test_another_link_error_is_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(source: Path, target: Path) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "link", broken)
    (tmp_path / "part").write_bytes(b"data")
    with pytest.raises(OSError, match="I/O error"):
        _link_new(tmp_path / "part", tmp_path / "x")
