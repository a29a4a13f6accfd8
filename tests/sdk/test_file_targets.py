"""Files a download writes: never into what is not a regular file, never over a file
the server named, a replaced file keeps its mode, and names from the server are safe."""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wechat_material import (
    FileTargetError,
    MediaFile,
    NotFoundError,
    TargetExistsError,
    TransportError,
    ValidationError,
    WeChatClient,
)
from wechat_material._files import STALE_PART_SECONDS, safe_filename

from .harness import FAST_RETRY, MEDIA, Both

PNG = (MEDIA / "image.png").read_bytes()
GET = "/cgi-bin/material/get_material"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")


class NamingServer:
    """A WeChat stand-in whose files come with the ``Content-Disposition`` name it is given."""

    def __init__(self, filename: str | None = None) -> None:
        self.filename = filename
        self.file_requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("token"):
            return httpx.Response(200, json={"access_token": "t" * 20, "expires_in": 7200})
        self.file_requests += 1
        headers = {"content-type": "image/png"}
        if self.filename is not None and self.filename.isascii():
            quoted = self.filename.replace("\\", "\\\\").replace('"', '\\"')
            headers["content-disposition"] = f'attachment; filename="{quoted}"'
        elif self.filename is not None:  # RFC 6266: non-ASCII names go percent-encoded
            encoded = urllib.parse.quote(self.filename, safe="")
            headers["content-disposition"] = f"attachment; filename*=UTF-8''{encoded}"
        return httpx.Response(200, content=PNG, headers=headers)


@pytest.fixture
def server() -> NamingServer:
    return NamingServer()


@pytest.fixture
def client(server: NamingServer) -> Iterator[WeChatClient]:
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        yield WeChatClient(
            "wx0123456789abcdef", "s" * 32, base_url="https://wechat.test", http_client=http,
            retry=FAST_RETRY,
        )  # fmt: skip


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# what is not a regular file is refused ------------------------------------------


@posix_only
def test_dev_null_is_refused_and_stays_a_device(client: WeChatClient, server: NamingServer) -> None:
    with pytest.raises(FileTargetError, match="character device") as caught:
        client.material.download_material("MEDIA", "/dev/null")
    assert isinstance(caught.value, ValidationError)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert server.file_requests == 0


@posix_only
def test_a_fifo_is_refused_and_stays_a_fifo(
    client: WeChatClient, server: NamingServer, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileTargetError, match="FIFO"):
        client.material.download_material("MEDIA", fifo)
    with pytest.raises(FileTargetError, match="FIFO"):
        MediaFile("x.png", "image/png", PNG).save(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert names(tmp_path) == ["pipe"]
    assert server.file_requests == 0


@posix_only
def test_a_socket_is_refused(client: WeChatClient, tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        with pytest.raises(FileTargetError, match="socket"):
            client.material.download_material("MEDIA", str(path))
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


@posix_only
def test_a_dangling_link_is_refused_and_left_dangling(client: WeChatClient, tmp_path: Path) -> None:
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "missing.png")
    with pytest.raises(FileTargetError, match="link to nothing"):
        client.material.download_material("MEDIA", link)
    assert link.is_symlink()
    assert not link.exists()
    assert names(tmp_path) == ["link.png"]


@posix_only
def test_a_link_to_a_fifo_is_refused(client: WeChatClient, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(tmp_path / "pipe")
    with pytest.raises(FileTargetError, match="FIFO"):
        client.material.download_material("MEDIA", tmp_path / "link")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


@posix_only
def test_a_link_to_a_file_is_written_through(client: WeChatClient, tmp_path: Path) -> None:
    real = tmp_path / "real" / "photo.png"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.png"
    link.symlink_to(real)

    saved = client.material.download_material("MEDIA", link)

    assert saved == real.resolve()
    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    assert real.read_bytes() == PNG
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert names(real.parent) == ["photo.png"]  # the temporary file was next to the real one


@posix_only
def test_a_link_to_a_directory_is_a_directory(
    client: WeChatClient, server: NamingServer, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    server.filename = "photo.png"
    saved = client.material.download_material("MEDIA", tmp_path / "link")
    assert saved.resolve() == (tmp_path / "real" / "photo.png").resolve()


# names the server chose ----------------------------------------------------------


def test_a_dot_file_name_never_replaces_the_users_dot_file(
    client: WeChatClient, server: NamingServer, tmp_path: Path
) -> None:
    (tmp_path / ".bashrc").write_text("export PATH=$HOME/bin:$PATH\n")
    server.filename = ".bashrc"

    saved = client.material.download_material("MEDIA", tmp_path)

    assert saved == tmp_path / "bashrc"
    assert (tmp_path / ".bashrc").read_text() == "export PATH=$HOME/bin:$PATH\n"
    assert saved.read_bytes() == PNG


def test_a_taken_name_gets_a_number(
    client: WeChatClient, server: NamingServer, tmp_path: Path
) -> None:
    (tmp_path / "photo.png").write_bytes(b"mine")
    server.filename = "photo.png"

    first = client.material.download_material("MEDIA", tmp_path)
    second = client.material.download_material("MEDIA", str(tmp_path))

    assert (first.name, second.name) == ("photo (1).png", "photo (2).png")
    assert (tmp_path / "photo.png").read_bytes() == b"mine"
    assert names(tmp_path) == ["photo (1).png", "photo (2).png", "photo.png"]


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("../../.ssh/authorized_keys", "authorized_keys"),
        ("C:\\Users\\me\\photo.png", "photo.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # a right-to-left override
        ("bell\x07\x1b[2Jname.png", "bell[2Jname.png"),
        ("...hidden.png", "hidden.png"),
    ],
)
def test_names_from_the_server_are_made_safe(
    client: WeChatClient, server: NamingServer, tmp_path: Path, sent: str, saved: str
) -> None:
    server.filename = sent
    assert client.material.download_material("MEDIA", tmp_path) == tmp_path / saved
    assert names(tmp_path) == [saved]


def test_a_long_name_is_cut_keeping_its_extension(
    client: WeChatClient, server: NamingServer, tmp_path: Path
) -> None:
    server.filename = "猫" * 150 + ".png"  # 454 bytes in UTF-8
    saved = client.material.download_material("MEDIA", tmp_path)
    assert len(saved.name.encode("utf-8")) <= 200
    assert saved.name.endswith("猫.png")


@pytest.mark.parametrize("sent", ["\u202e", "..", "/", " . "])
def test_an_unusable_name_falls_back_to_the_media_id(
    client: WeChatClient, server: NamingServer, tmp_path: Path, sent: str
) -> None:
    server.filename = sent
    assert client.material.download_material("MEDIA_1", tmp_path) == tmp_path / "MEDIA_1.png"


def test_concurrent_saves_never_take_the_same_name(tmp_path: Path) -> None:
    files = [MediaFile("photo.png", "image/png", bytes([n]) * 10) for n in range(8)]
    saved: list[Path] = []
    start = threading.Barrier(len(files))

    def save(file: MediaFile) -> None:
        start.wait()
        saved.append(file.save(tmp_path))

    threads = [threading.Thread(target=save, args=(file,)) for file in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(saved)) == 8
    assert sorted(p.read_bytes()[0] for p in saved) == list(range(8))
    assert len(names(tmp_path)) == 8


def test_one_safe_name_rule_serves_the_sandbox_too() -> None:
    from wechat_material.sandbox.state.uploads import safe_name

    assert safe_filename("../a\u202eb.png") == safe_name("../a\u202eb.png") == "ab.png"
    # The sandbox shows names back as sent: leading dots kept, cut at 255 characters.
    assert safe_name(".hidden.jpg") == ".hidden.jpg"
    assert safe_filename(".hidden.jpg") == "hidden.jpg"
    assert len(safe_name("a" * 300 + ".jpg")) == 255
    assert safe_name("a" * 300 + ".jpg").endswith(".jpg")


# replacing, and not replacing, a file the caller named --------------------------


@posix_only
def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(
    client: WeChatClient, tmp_path: Path
) -> None:
    private = tmp_path / "private.png"
    private.write_bytes(b"old")
    private.chmod(0o600)
    client.material.download_material("MEDIA", private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600

    umask = os.umask(0o022)
    try:
        fresh = client.material.download_material("MEDIA", tmp_path / "fresh.png")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_overwrite_false_refuses_an_existing_file_before_asking(
    client: WeChatClient, server: NamingServer, tmp_path: Path
) -> None:
    target = tmp_path / "mine.png"
    target.write_bytes(b"mine")
    with pytest.raises(TargetExistsError, match="already exists"):
        client.material.download_material("MEDIA", target, overwrite=False)
    with pytest.raises(TargetExistsError):
        MediaFile("x.png", "image/png", PNG).save(target, overwrite=False)
    assert target.read_bytes() == b"mine"
    assert server.file_requests == 0
    assert client.material.download_material("MEDIA", tmp_path / "new.png", overwrite=False)


# directories, however they are spelled ----------------------------------------------


@pytest.mark.parametrize("spelling", ["path", "path-slash", "str", "str-slash"])
def test_an_existing_directory_is_a_directory_however_spelled(
    client: WeChatClient, server: NamingServer, tmp_path: Path, spelling: str
) -> None:
    server.filename = "photo.png"
    directory = tmp_path / "downloads"
    directory.mkdir()
    given: str | Path = {
        "path": directory,
        "path-slash": Path(f"{directory}/"),
        "str": str(directory),
        "str-slash": f"{directory}/",
    }[spelling]
    assert client.material.download_material("MEDIA", given) == directory / "photo.png"


def test_a_missing_path_is_a_directory_only_with_a_trailing_separator(
    client: WeChatClient, tmp_path: Path
) -> None:
    assert client.material.download_material("MEDIA", f"{tmp_path}/made/").parent.name == "made"
    saved = client.material.download_material("MEDIA", str(tmp_path / "plain"))
    assert saved == tmp_path / "plain"
    assert saved.is_file()


# streams ---------------------------------------------------------------------------


def test_a_download_into_an_open_binary_file(client: WeChatClient) -> None:
    sink = io.BytesIO()
    assert client.material.download_material("MEDIA", sink) == len(PNG)
    assert sink.getvalue() == PNG


# left-overs of earlier crashes -----------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@posix_only
def test_stale_temporary_files_are_swept_and_nothing_else(
    client: WeChatClient, tmp_path: Path
) -> None:
    # A live writer of our own: a process the sweep must only look at, never signal.
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    orphan = tmp_path / f".wxm-{_dead_pid()}-0123456789ab.part"
    old = tmp_path / ".wxm-abcdefabcdef.part"
    fresh = tmp_path / ".wxm-fedcbafedcba.part"  # no writer recorded, recent: kept
    alive = tmp_path / f".wxm-{writer.pid}-00000000000a.part"  # a live writer: kept
    others = [tmp_path / ".wxm-notours.part", tmp_path / "x.part", tmp_path / ".wxm-1-abc.part"]
    for path in (orphan, old, fresh, alive, *others):
        path.write_bytes(b"partial")
    long_ago = time.time() - STALE_PART_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(others[0], (long_ago, long_ago))

    try:
        client.material.download_material("MEDIA", tmp_path / "new.png")
    finally:
        writer.communicate(b"")  # the writer ends by itself once its input closes

    assert sorted(names(tmp_path)) == sorted(
        p.name for p in (fresh, alive, *others, tmp_path / "new.png")
    )
    assert writer.returncode == 0  # probed, not signalled


# a failed download leaves what was there -------------------------------------------


@pytest.mark.anyio
async def test_a_failed_download_leaves_the_existing_file_untouched(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    target.chmod(0o600)
    added = await wx(wx.client.material.add_material, "image", media / "image.png")

    await wx(wx.admin.set_faults, GET, drop_rate=1.0)
    try:
        with pytest.raises(TransportError):
            await wx(wx.client.material.download_material, added.media_id, target)
    finally:
        await wx(wx.admin.clear_faults)
    with pytest.raises(NotFoundError):
        await wx(wx.client.material.download_material, "no-such-id", target)

    assert target.read_bytes() == b"precious"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 or sys.platform == "win32"
    assert names(tmp_path) == ["keep.png"]


@pytest.mark.anyio
async def test_a_stream_is_never_given_a_second_start(wx: Both, media: Path) -> None:
    data = (media / "video.mp4").read_bytes()
    added = await wx(wx.client.material.add_video_material, data, "片", "介绍")
    sink = io.BytesIO()
    await wx(wx.admin.set_faults, "/mmbiz/*", drop_rate=1.0, count=1)
    raised = None
    try:
        # Cut after some bytes went out: a file would be retried from its start,
        # a stream cannot be, so it is an error and what went out is a prefix.
        await wx(wx.client.material.download_material, added.media_id, sink)
    except TransportError as exc:
        raised = exc
    finally:
        await wx(wx.admin.clear_faults)
    if raised is None:  # in-process, the cut reply arrives as nothing at all: a clean retry
        assert wx.kind == "async"
        assert sink.getvalue() == data
    else:
        assert "rewound" in str(raised)
        assert data.startswith(sink.getvalue())
        assert len(sink.getvalue()) < len(data)

    whole = io.BytesIO()
    assert await wx(wx.client.material.download_material, added.media_id, whole) == len(data)
    assert whole.getvalue() == data
