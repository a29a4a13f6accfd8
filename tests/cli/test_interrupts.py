"""Ctrl-C at any moment: exit 130 with one line, no traceback, no half-written file,
and nothing done so far left unreported."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.cli.context import Session
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, WXM, Home, Run, fresh_sandbox, stdout_json
from .trickle_server import trickle_server

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery"),
    pytest.mark.slow,  # a wxm process per test, interrupted once it gets somewhere
]

ADD_MATERIAL = "/cgi-bin/material/add_material"


@pytest.fixture(autouse=True)
def ctrl_c_delivered() -> Iterator[None]:
    """Ctrl-C reaches these tests and their children even when pytest ignores it.

    Started with SIGINT ignored (``nohup pytest &`` from a script), pytest
    would pass the ignoring on to every process it starts, and a Python that
    starts with SIGINT ignored never raises KeyboardInterrupt. A handler set
    here is reset to the default in each child as it starts.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A sandbox of this test's own: an interrupted upload may still be in flight at its end."""
    with fresh_sandbox() as running:
        yield running


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the command to get there")
        time.sleep(0.02)


def _start(home: Home, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(WXM), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=home.env(),
    )


def _interrupt(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def _python(code: str, home: Home) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=home.env(),
        timeout=60,
        check=False,
    )


# while starting up ---------------------------------------------------------


def test_the_entry_point_loads_nothing_before_its_try(home: Home) -> None:
    # The script imports wechat_material.cli, then calls main(): whatever that import
    # loads is loaded outside main's try, where Ctrl-C would print a traceback. It
    # must stay light: none of the libraries that take the time to load.
    result = _python(
        """
        import sys
        import wechat_material.cli
        ours = sorted(m for m in sys.modules if m.startswith("wechat_material"))
        heavy = sorted(
            m for m in ("typer", "click", "rich", "httpx", "pydantic", "starlette")
            if m in sys.modules
        )
        print(ours)
        print(heavy)
        """,
        home,
    )

    assert result.returncode == 0, result.stderr
    ours, heavy = result.stdout.splitlines()
    assert ours == ("['wechat_material', 'wechat_material.cli', 'wechat_material.cli.exit_codes']")
    assert heavy == "[]"


def test_ctrl_c_while_the_command_line_loads(home: Home) -> None:
    result = _python(
        """
        import sys
        import wechat_material.cli as cli

        class CtrlC:
            # Ctrl-C arriving while main() imports the command line.
            def find_spec(self, name, path=None, target=None):
                if name == "wechat_material.cli.root":
                    raise KeyboardInterrupt
                return None

        sys.meta_path.insert(0, CtrlC())
        sys.argv = ["wxm", "--help"]
        cli.main()
        """,
        home,
    )

    assert result.returncode == 130
    assert result.stderr == "error: interrupted\n"
    assert result.stdout == ""


# while closing --------------------------------------------------------------


def test_ctrl_c_while_the_session_closes(on_sandbox: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    close = Session.close

    def close_then_ctrl_c(self: Session) -> None:
        # Ctrl-C as the clients and the sandbox shut down, after the result was printed.
        try:
            close(self)
        finally:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(Session, "close", close_then_ctrl_c)

    result = on_sandbox("count", "--json")

    assert result.exit_code == 130
    assert stdout_json(result)["image_count"] == 0
    assert "interrupted" in result.stderr
    assert "Traceback" not in result.stderr


# during a download ------------------------------------------------------------


# SIGTERM (kill, timeout) and SIGHUP (the terminal closed) stop it the same way.
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGHUP, 129, "SIGHUP"),
    ],
)
def test_ctrl_c_while_a_download_streams(
    home: Home, tmp_path: Path, signum: int, code: int, message: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "photo.jpg"
    target.write_bytes(b"the photo that was there before")

    def streaming() -> bool:
        # The hidden part file has received body bytes: the reply is streaming in.
        with contextlib.suppress(FileNotFoundError):
            return any(p.stat().st_size > 0 for p in out_dir.glob(".wxm-*.part"))
        return False

    with trickle_server(sent=256 * 1024, size=8 * 1024 * 1024) as server:
        process = _start(home, "--sandbox", "--base-url", server.base_url, "get", "some-media-id",
                         "-o", str(target), "--force")  # fmt: skip
        _wait_for(streaming)
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)

    assert process.returncode == code
    assert message in err
    assert "Traceback" not in err
    assert out == ""
    assert list(out_dir.iterdir()) == [target]
    assert target.read_bytes() == b"the photo that was there before"


# during uploads -----------------------------------------------------------------


def test_ctrl_c_before_any_upload_is_done(home: Home, sandbox: Any) -> None:
    sandbox.admin.set_faults(endpoint=ADD_MATERIAL, latency_ms=2500)

    process = _start(home, "--sandbox", "--base-url", sandbox.base_url, "upload",
                     str(MEDIA / "image.jpg"), str(MEDIA / "image.png"))  # fmt: skip
    _wait_for(lambda: sandbox.admin.counters(DEMO_APPID).get(ADD_MATERIAL, 0) > 0)
    code, out, err = _interrupt(process)

    assert code == 130
    assert "Traceback" not in err
    assert out == ""


def _slow_after_the_first_upload(sandbox: Any) -> None:
    # The exact-path rule wins while it lasts (one call, no delay); later calls fall
    # to the prefix rule and stall long enough to be interrupted.
    sandbox.admin.set_faults(endpoint="/cgi-bin/material/*", latency_ms=4000)
    sandbox.admin.set_faults(endpoint=ADD_MATERIAL, count=1)


def _interrupted_batch(home: Home, sandbox: Any, *extra: str) -> tuple[int, str, str]:
    _slow_after_the_first_upload(sandbox)
    process = _start(home, "--sandbox", "--base-url", sandbox.base_url, "upload", "--jobs", "1",
                     str(MEDIA / "image.jpg"), str(MEDIA / "image.png"), *extra)  # fmt: skip
    # One at a time: the second call arrives once the first has its answer.
    _wait_for(lambda: sandbox.admin.counters(DEMO_APPID).get(ADD_MATERIAL, 0) >= 2)
    return _interrupt(process)


def _stored_ids(sandbox: Any) -> list[str]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        return [item.media_id for item in client.material.stream_get_material("image")]


def test_ctrl_c_mid_batch_lists_the_uploads_already_done(home: Home, sandbox: Any) -> None:
    code, out, err = _interrupted_batch(home, sandbox)

    assert code == 130
    assert "Traceback" not in err
    assert "interrupted: 1 of 2 uploads done" in err
    assert any(media_id in out for media_id in _stored_ids(sandbox))
    assert "image.jpg" in out
    assert "image.png" not in out


def test_ctrl_c_mid_batch_with_json_prints_the_partial_result(home: Home, sandbox: Any) -> None:
    code, out, err = _interrupted_batch(home, sandbox, "--json")

    assert code == 130
    assert "Traceback" not in err
    data = json.loads(out)
    assert data["interrupted"] is True
    assert [Path(item["file"]).name for item in data["uploaded"]] == ["image.jpg"]
    assert data["uploaded"][0]["media_id"] in _stored_ids(sandbox)
    assert [Path(path).name for path in data["unfinished"]] == ["image.png"]
    assert data["failed"] == []


# at a prompt ---------------------------------------------------------------------


def test_ctrl_c_at_the_confirmation(home: Home) -> None:
    process = _start(home, "--sandbox", "rm", "some-media-id")
    assert process.stderr is not None
    fd = process.stderr.fileno()
    os.set_blocking(fd, False)
    seen = b""

    def asked() -> bool:
        nonlocal seen
        with contextlib.suppress(BlockingIOError):
            seen += os.read(fd, 4096)
        return b"[y/N]" in seen

    _wait_for(asked)
    os.set_blocking(fd, True)
    code, _, err = _interrupt(process)

    assert code == 130
    assert "Traceback" not in seen.decode() + err
