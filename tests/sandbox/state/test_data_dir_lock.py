"""One sandbox per data directory: a second one fails at start, a closed one frees it."""

from __future__ import annotations

import gc
import io
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wechat_material.sandbox import (
    DataDirLock,
    SandboxBackend,
    SandboxConfig,
    SandboxInUseError,
    create_app,
    data_dir_in_use,
    run_in_thread,
)
from wechat_material.sandbox.__main__ import main

from ..wechat_wire import START, media

# Holds a sandbox on the directory given as argv[1] until its stdin closes.
HOLDER = """
import sys
from pathlib import Path
from wechat_material.sandbox import SandboxBackend, SandboxConfig

with SandboxBackend(SandboxConfig(data_dir=Path(sys.argv[1]))):
    print("ready", flush=True)
    sys.stdin.read()
"""


def backend_on(data_dir: Path) -> SandboxBackend:
    return SandboxBackend(SandboxConfig(data_dir=data_dir, start_time=START))


@contextmanager
def held_by_another_process(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_a_second_sandbox_on_the_same_directory_fails_until_the_first_closes(
    tmp_path: Path,
) -> None:
    first = backend_on(tmp_path)
    with pytest.raises(SandboxInUseError) as raised:
        backend_on(tmp_path)
    error = raised.value
    assert error.data_dir == tmp_path
    assert error.pid == os.getpid()
    assert str(tmp_path) in str(error)
    assert "--base-url" in str(error)

    first.close()
    first.close()  # closing twice is harmless
    with backend_on(tmp_path) as second:
        assert second.accounts.get(second.config.accounts[0][0]) is not None


def test_a_refused_sandbox_leaves_the_live_ones_uploads_alone(tmp_path: Path) -> None:
    with backend_on(tmp_path) as live:
        staged = live.storage.blobs.stage(io.BytesIO(media("image.jpg")))
        with pytest.raises(SandboxInUseError):
            backend_on(tmp_path)
        assert staged.tmp_path is not None
        assert staged.tmp_path.exists()
        live.storage.blobs.commit(staged)
        assert live.storage.blobs.open(staged.sha256).read() == media("image.jpg")


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    with backend_on(tmp_path):
        lock = tmp_path / "lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        assert lock.read_text() == f"{os.getpid()}\n"


def test_data_dir_in_use(tmp_path: Path) -> None:
    assert not data_dir_in_use(tmp_path / "never-created")
    assert not data_dir_in_use(tmp_path)  # a directory no sandbox has used
    with backend_on(tmp_path):
        assert data_dir_in_use(tmp_path)
        assert data_dir_in_use(str(tmp_path))
    assert not data_dir_in_use(tmp_path)  # the lock file stays, unlocked


@pytest.mark.slow
def test_another_process_holding_the_directory_is_detected(tmp_path: Path) -> None:
    with held_by_another_process(tmp_path) as holder:
        assert data_dir_in_use(tmp_path)
        with pytest.raises(SandboxInUseError) as raised:
            backend_on(tmp_path)
        assert raised.value.pid == holder.pid
        assert f"pid {holder.pid}" in str(raised.value)
        holder.kill()  # a process that dies, even killed, lets go of the directory
        holder.wait(timeout=30)
        assert not data_dir_in_use(tmp_path)
        with backend_on(tmp_path):
            pass


def test_holding_the_lock_keeps_sandboxes_out(tmp_path: Path) -> None:
    with DataDirLock(tmp_path) as lock:
        assert lock.held
        assert data_dir_in_use(tmp_path)
        with pytest.raises(SandboxInUseError):
            backend_on(tmp_path)
    assert not lock.held
    with backend_on(tmp_path):
        pass


def test_run_in_thread_frees_the_directory_on_exit(tmp_path: Path) -> None:
    config = SandboxConfig(data_dir=tmp_path, start_time=START)
    with run_in_thread(config) as sandbox:
        assert sandbox.admin.health()
        assert data_dir_in_use(tmp_path)
        with pytest.raises(SandboxInUseError), run_in_thread(config):
            pass
    assert not data_dir_in_use(tmp_path)


def test_a_sandbox_that_fails_to_start_frees_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="news_api"):
        create_app(SandboxConfig(data_dir=tmp_path, news_api="gone"))  # type: ignore[arg-type]
    assert not data_dir_in_use(tmp_path)


def test_the_command_line_says_the_directory_is_in_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The host cannot be bound: should the directory check ever let it through, the
    # command fails there (exit 2) instead of serving forever.
    with backend_on(tmp_path), pytest.raises(SystemExit) as exited:
        main(["--data-dir", str(tmp_path), "--host", "256.0.0.1", "--port", "0"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"{tmp_path} is in use by another process (pid {os.getpid()})" in err
    assert "Traceback" not in err


def start_and_forget(data_dir: Path) -> None:
    create_app(SandboxConfig(data_dir=data_dir))  # never closed
    gc.collect()


def test_a_sandbox_never_closed_lets_go_once_collected(tmp_path: Path) -> None:
    with pytest.warns(ResourceWarning):  # Python's own word that a file was left open
        start_and_forget(tmp_path)
    assert not data_dir_in_use(tmp_path)
