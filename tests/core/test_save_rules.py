"""The file rules of _files.py told apart exactly: names, targets, atomic writes, sweeping."""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from wechat_material import _files
from wechat_material._files import (
    NAME_MAX_BYTES,
    STALE_PART_SECONDS,
    AtomicFile,
    SaveTarget,
    _link_new,
    attachment_filename,
    kind_of,
    numbered,
    prepare_target,
    safe_filename,
    sweep_stale_parts,
)
from wechat_material.errors import FileTargetError, TargetExistsError, ValidationError


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
    assert kind_of(mode | 0o644) == said


def test_a_real_socket_is_named_a_socket(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "s"))
        assert kind_of(os.lstat(tmp_path / "s").st_mode) == "a socket"
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


# names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("dir/sub/photo.png", "photo.png"),
        ("my dir/my photo.png", "my photo.png"),
        ("dir\\sub\\photo.png", "photo.png"),
        ("Xmas.png", "Xmas.png"),
        ("line\u2028break\u2029.png", "linebreak.png"),
        ("tab\there.png", "tabhere.png"),
        ("  spaced.png  ", "spaced.png"),
        ("name.", "name."),
        ("..", None),
        ("", None),
    ],
)
def test_a_name_from_a_reply_is_reduced_to_a_plain_one(given: str, kept: str | None) -> None:
    assert safe_filename(given) == kept


def test_leading_dots_are_kept_when_asked_but_never_dot_names() -> None:
    assert safe_filename(".profile", keep_leading_dots=True) == ".profile"
    assert safe_filename(".", keep_leading_dots=True) is None
    assert safe_filename("..", keep_leading_dots=True) is None
    assert safe_filename("a/..", keep_leading_dots=True) is None


@pytest.mark.parametrize(
    ("given", "limit", "cut"),
    [
        ("abcdefgh.jpg", 12, "abcdefgh.jpg"),  # exactly at the limit: kept whole
        ("abcdefgh.jpg", 7, "abc.jpg"),
        ("archive.tar.gz", 10, "archive.gz"),  # the last extension only
        ("ab   cdef.jpg", 9, "ab.jpg"),  # no blanks left before the dot
        ("abcdefgh", 4, "abcd"),  # no extension
        ("abcdefgh.jpeg", 6, "a.jpeg"),  # room for one character and the extension
        ("abcdefgh.jpeg", 5, "abcde"),  # no room for both: cut as a whole
        ("a" * 20 + "." + "e" * 16, 20, "aaa." + "e" * 16),  # a 16-character extension
        ("a" * 20 + "." + "e" * 17, 20, "a" * 20),  # longer: not an extension
        ("abc", 0, None),
    ],
)
def test_a_long_name_is_cut_keeping_its_extension(given: str, limit: int, cut: str | None) -> None:
    assert safe_filename(given, max_bytes=None, max_chars=limit) == cut


def test_a_name_is_cut_to_its_utf8_bytes_on_a_character_boundary() -> None:
    name = "汉" * 70 + ".png"  # 214 bytes
    cut = safe_filename(name)
    assert cut == "汉" * 65 + ".png"
    assert len(cut.encode()) <= NAME_MAX_BYTES
    exact = "a" * (NAME_MAX_BYTES - 4) + ".png"
    assert safe_filename(exact) == exact
    # Nothing but the extension would be left: no name at all.
    assert safe_filename("汉字.jp", max_bytes=5) is None
    # Both limits at once.
    assert safe_filename("汉汉汉汉.png", max_chars=6, max_bytes=9) == "汉.png"


def test_a_header_gives_a_safe_name_or_none() -> None:
    assert attachment_filename('attachment; filename="../x/evil.png"') == "evil.png"
    assert attachment_filename("attachment") is None
    assert attachment_filename("") is None
    assert attachment_filename(None) is None


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("photo.jpg", "photo (2).jpg"),
        ("archive.tar.gz", "archive.tar (2).gz"),
        ("README", "README (2)"),
        (".profile", ".profile (2)"),
    ],
)
def test_the_name_tried_when_one_is_taken(name: str, taken: str) -> None:
    assert numbered(name, 2) == taken


# where a file goes ------------------------------------------------------------------

Refused = TypeVar("Refused", bound=ValidationError)


def refusal(path: str, error: type[Refused], *, overwrite: bool = True) -> Refused:
    """What ``prepare_target`` raises for ``path``, which must be an ``error``."""
    with pytest.raises(error) as caught:
        prepare_target(path, overwrite=overwrite)
    return caught.value


def test_a_name_too_long_for_the_file_system_is_refused_with_its_reason(tmp_path: Path) -> None:
    text = str(tmp_path / ("a" * 300))
    refused = refusal(text, ValidationError)
    assert str(refused) == f"cannot save to {text}: File name too long"


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda path: path.symlink_to("gone.png"),
            "it is a symbolic link to nothing (gone.png); remove it or give another path",
        ),
        (
            os.mkfifo,
            "it is a FIFO (named pipe), not a regular file; give a file or directory path",
        ),
    ],
)
def test_what_cannot_take_a_file_is_named_with_what_to_do(
    tmp_path: Path, make: Callable[[Path], None], said: str
) -> None:
    make(tmp_path / "target")
    text = str(tmp_path / "target")
    refused = refusal(text, FileTargetError)
    assert str(refused) == f"cannot save to {text}: {said}"
    assert refused.path == text


def test_a_link_to_a_file_targets_the_file(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "photo.png").write_bytes(b"old")
    (tmp_path / "link.png").symlink_to(tmp_path / "real" / "photo.png")
    assert prepare_target(tmp_path / "link.png") == SaveTarget(tmp_path / "real", "photo.png")
    (tmp_path / "dirlink").symlink_to(tmp_path / "real")
    assert prepare_target(tmp_path / "dirlink") == SaveTarget(tmp_path / "real", None)


def test_an_existing_file_kept_when_asked(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(b"old")
    text = str(tmp_path / "photo.png")
    assert prepare_target(text) == SaveTarget(tmp_path, "photo.png")
    refused = refusal(text, TargetExistsError, overwrite=False)
    assert str(refused) == f"{text} already exists"
    assert refused.path == text


def test_a_directory_path_is_made_or_taken_as_it_is(tmp_path: Path) -> None:
    deep = tmp_path / "new" / "deeper"
    assert prepare_target(f"{deep}/") == SaveTarget(deep, None)
    assert deep.is_dir()
    assert prepare_target(f"{deep}/") == SaveTarget(deep, None)  # made already: fine
    assert prepare_target(deep / "photo.png") == SaveTarget(deep, "photo.png")


def test_a_directory_path_that_cannot_be_one_says_why(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_bytes(b"x")
    text = f"{tmp_path / 'a-file'}/"
    refused = refusal(text, ValidationError)
    assert str(refused) == f"cannot save to {text}: {tmp_path / 'a-file'} is not a directory"
    refused = refusal(f"{tmp_path / 'a-file' / 'sub'}/", ValidationError)
    assert str(refused) == (
        f"cannot make the directory {tmp_path / 'a-file' / 'sub'}: Not a directory"
    )


def test_a_file_path_whose_directory_is_missing_or_not_one(tmp_path: Path) -> None:
    text = str(tmp_path / "missing" / "photo.png")
    refused = refusal(text, ValidationError)
    assert str(refused) == (
        f"cannot save to {text}: the directory {tmp_path / 'missing'} does not exist "
        "(create it, or end the path with / to have it made)"
    )
    (tmp_path / "a-file").write_bytes(b"x")
    text = str(tmp_path / "a-file" / "photo.png")
    refused = refusal(text, ValidationError)
    assert str(refused) == f"cannot save to {text}: {tmp_path / 'a-file'} is not a directory"


# atomic writes ------------------------------------------------------------------------


def test_when_every_numbered_name_is_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "_MAX_NUMBERED", 3)
    for taken in ("a.png", "a (1).png", "a (2).png"):
        (tmp_path / taken).write_bytes(b"theirs")
    with AtomicFile(tmp_path) as part:
        part.file.write(b"ours")
        with pytest.raises(FileTargetError) as caught:
            part.commit_new(tmp_path, "a.png")
    assert str(caught.value) == f"no free name like a.png in {tmp_path}"
    assert caught.value.path == str(tmp_path / "a.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a (1).png", "a (2).png", "a.png"]


def test_the_next_free_number_is_taken(tmp_path: Path) -> None:
    for taken in ("a.png", "a (1).png"):
        (tmp_path / taken).write_bytes(b"theirs")
    with AtomicFile(tmp_path) as part:
        part.file.write(b"ours")
        assert part.commit_new(tmp_path, "a.png") == tmp_path / "a (2).png"
    assert (tmp_path / "a (2).png").read_bytes() == b"ours"
    assert len(list(tmp_path.iterdir())) == 3


def test_a_write_in_progress_in_this_process_is_not_swept(tmp_path: Path) -> None:
    with AtomicFile(tmp_path) as first:
        first.file.write(b"first")
        with AtomicFile(tmp_path) as second:  # a second download into the same place
            second.file.write(b"second")
            second.commit(tmp_path / "b.bin")
        first.commit(tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == b"first"
    assert (tmp_path / "b.bin").read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.bin"]


def test_the_temporary_file_is_closed_and_gone_after_a_failure(tmp_path: Path) -> None:
    def interrupted() -> None:
        with AtomicFile(tmp_path) as part:
            seen.append(part)
            part.file.write(b"half")
            raise RuntimeError("interrupted")

    seen: list[AtomicFile] = []
    with pytest.raises(RuntimeError):
        interrupted()
    part = seen[0]
    assert part.file.closed
    assert list(tmp_path.iterdir()) == []
    with AtomicFile(tmp_path) as part:
        part.path.unlink()  # removed by someone else meanwhile: nothing to clean
    assert part.file.closed


def test_a_commit_replaces_unless_told_not_to(tmp_path: Path) -> None:
    target = tmp_path / "post.html"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with AtomicFile(tmp_path) as part:
        part.file.write(b"new")
        assert part.commit(target) == target  # the default: replace, keeping the mode
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    with AtomicFile(tmp_path) as part:
        part.file.write(b"newer")
        with pytest.raises(TargetExistsError) as caught:
            part.commit(target, replace=False)
    assert str(caught.value) == f"{target} already exists"
    assert caught.value.path == str(target)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["post.html"]


def test_what_a_dead_writer_leaves_is_recognised_by_the_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = AtomicFile(tmp_path)
    part.file.write(b"half")
    part.file.close()  # the process died here: nothing cleaned up
    assert part.path.exists()
    later = time.time() + STALE_PART_SECONDS + 1
    monkeypatch.setattr(_files.time, "time", lambda: later)
    sweep_stale_parts(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_never_reused_as_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_files.secrets, "token_hex", lambda n: "0" * (2 * n))
    taken = tmp_path / f".wxm-{os.getpid()}-000000000000.part"
    taken.write_bytes(b"someone's")
    with pytest.raises(FileExistsError):
        AtomicFile(tmp_path)
    assert taken.read_bytes() == b"someone's"


def test_a_replaced_file_that_became_something_else_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with AtomicFile(tmp_path) as part, pytest.raises(FileTargetError) as caught:
        part.commit(tmp_path / "pipe")
    assert str(caught.value) == (
        f"cannot save to {tmp_path / 'pipe'}: it is a FIFO (named pipe), not a regular file"
    )
    assert caught.value.path == str(tmp_path / "pipe")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


# sweeping ------------------------------------------------------------------------------


def _part(directory: Path, writer: int | None, tail: str = "0123456789ab") -> Path:
    name = f".wxm-{writer}-{tail}.part" if writer is not None else f".wxm-{tail}.part"
    path = directory / name
    path.write_bytes(b"partial")
    return path


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_part_is_stale_only_after_the_full_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_700_000_000
    hour = _part(tmp_path, None, "aaaaaaaaaaaa")
    older = _part(tmp_path, None, "bbbbbbbbbbbb")
    os.utime(hour, (now - STALE_PART_SECONDS, now - STALE_PART_SECONDS))
    os.utime(older, (now - STALE_PART_SECONDS - 1, now - STALE_PART_SECONDS - 1))
    monkeypatch.setattr(_files.time, "time", lambda: float(now))
    sweep_stale_parts(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [hour.name]


def test_a_writer_id_past_any_process_is_taken_as_alive(tmp_path: Path) -> None:
    part = _part(tmp_path, 9_999_999_999)  # os.kill cannot even be asked about it
    sweep_stale_parts(tmp_path)
    assert part.exists()


def test_a_link_named_like_a_part_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "data").write_bytes(b"someone's")
    link = tmp_path / f".wxm-{_dead_pid()}-0123456789ab.part"
    link.symlink_to(tmp_path / "data")
    sweep_stale_parts(tmp_path)
    assert link.is_symlink()
    assert (tmp_path / "data").read_bytes() == b"someone's"


def test_sweeping_goes_on_past_anything_else_and_a_part_it_cannot_delete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = _dead_pid()
    others = [tmp_path / f"photo-{n}.png" for n in range(20)]
    for path in others:
        path.write_bytes(b"keep")
    for n in range(2):
        _part(tmp_path, dead, f"{n:012x}")
    unlink = os.unlink
    refused: list[str] = []

    def refuse_first(path: str) -> None:
        if not refused:
            refused.append(path)
            raise PermissionError(errno.EACCES, "Permission denied", path)
        unlink(path)

    monkeypatch.setattr(os, "unlink", refuse_first)
    sweep_stale_parts(tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*(p.name for p in others), os.path.basename(refused[0])])


def test_a_directory_that_cannot_be_listed_is_not_swept(tmp_path: Path) -> None:
    sweep_stale_parts(tmp_path / "missing")  # no error: nothing to sweep
