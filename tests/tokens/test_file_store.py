"""FileTokenStore: private, atomic, shared between processes, calm about corrupt files."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from wechat_material.tokens import AccessToken, FileTokenStore, TokenManager, TokenStoreError
from wechat_material.tokens.file import FlockLock

from .processes import run_in_processes
from .sources_for_tests import CountingFetcher
from .workers import APPID, file_store_child

TOKEN = AccessToken("T" * 120, 1_900_000_000.0)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_for_several_appids(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    other = AccessToken("O" * 80, 1_900_000_500.5)

    store.save("wxaaaa", TOKEN)
    store.save("wxbbbb", other)

    reopened = FileTokenStore(tmp_path / "tokens.json")
    assert reopened.load("wxaaaa") == TOKEN
    assert reopened.load("wxbbbb") == other
    assert reopened.load("wxcccc") is None


def test_a_missing_file_is_an_empty_store(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "nothing-yet.json")

    assert store.load(APPID) is None
    assert store.discard(APPID, "x") is False


def test_file_and_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "tokens.json"
    store = FileTokenStore(path)

    old_umask = os.umask(0o002)
    try:
        store.save(APPID, TOKEN)
        with store.lock(APPID):
            pass
    finally:
        os.umask(old_umask)

    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    for lock_file in path.parent.glob("*.lock"):
        assert mode_of(lock_file) == 0o600


def test_a_world_readable_file_becomes_private_on_save(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"version": 1, "tokens": {}}')
    path.chmod(0o644)

    FileTokenStore(path).save(APPID, TOKEN)

    assert mode_of(path) == 0o600


def test_compare_and_delete(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(APPID, TOKEN)
    store.save("wxother", TOKEN)

    assert store.discard(APPID, "not-the-stored-one") is False
    assert store.load(APPID) == TOKEN
    assert store.discard(APPID, TOKEN.value) is True
    assert store.load(APPID) is None
    assert store.load("wxother") == TOKEN


def test_writes_replace_the_file_whole(tmp_path: Path) -> None:
    # A reader running alongside many writers must only ever see whole files.
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(APPID, TOKEN)
    stop = threading.Event()
    broken: list[Exception] = []

    def read_all_the_time() -> None:
        while not stop.is_set():
            try:
                json.loads((tmp_path / "tokens.json").read_bytes())
            except Exception as exc:
                broken.append(exc)

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        for number in range(200):
            store.save(f"wx{number % 7}", AccessToken(f"{number:04d}" * 50, 1_900_000_000.0))
    finally:
        stop.set()
        reader.join()

    assert broken == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    assert len(json.loads((tmp_path / "tokens.json").read_bytes())["tokens"]) == 8


def test_a_failed_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.save(APPID, TOKEN)
    before = path.read_bytes()

    with pytest.raises(TypeError):
        store.save("wxbad", AccessToken("V" * 10, object()))  # type: ignore[arg-type]

    assert path.read_bytes() == before


def test_a_failed_replace_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.mkdir()  # os.replace cannot put a file where a directory is

    with pytest.raises(TokenStoreError, match="could not save"):
        FileTokenStore(path).save(APPID, TOKEN)

    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'{"tokens": []}',
        b'{"tokens": {"wx1": {"access_token": 5, "expires_at": 1}}}',
        b'{"tokens": {"wx1": {"access_token": "ok", "expires_at": "soon"}}}',
        b'{"tokens": {"wx1": "just a string"}}',
    ],
)
def test_a_corrupt_file_is_treated_as_empty(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    store = FileTokenStore(path)
    caplog.set_level(logging.WARNING, logger="wechat_material.tokens")

    assert store.load(APPID) is None
    assert "corrupt" in caplog.text

    store.save(APPID, TOKEN)
    assert store.load(APPID) == TOKEN


def test_the_token_file_does_not_reach_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"tokens": {"wx1": {"access_token": "SECRET-VALUE", "expires_at": "x"}}}')
    caplog.set_level(logging.DEBUG)

    FileTokenStore(path).load("wx1")

    assert "SECRET-VALUE" not in caplog.text


def test_an_appid_that_cannot_name_a_file_is_refused(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")

    with pytest.raises(ValueError, match="appid"):
        store.lock("../../etc/passwd")
    with pytest.raises(ValueError, match="appid"):
        store.save("wx/1", TOKEN)


def test_threads_share_one_fetch_through_the_file(tmp_path: Path) -> None:
    fetch = CountingFetcher(pause=0.05)
    path = tmp_path / "tokens.json"
    managers = [TokenManager(APPID, fetch, FileTokenStore(path)) for _ in range(10)]
    tokens: list[str] = []

    threads = [threading.Thread(target=lambda m=m: tokens.append(m.get())) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert fetch.calls == 1
    assert set(tokens) == {fetch.issued[0]}


@pytest.mark.slow
def test_two_processes_share_one_token_with_one_fetch(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"

    calls, tokens = run_in_processes(2, file_store_child, str(path))

    assert calls == 1
    assert len(set(tokens)) == 1
    assert FileTokenStore(path).load(APPID) is not None


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{not json", "not JSON: JSONDecodeError"),
        (b'{"a": "\xff"}', "not JSON: UnicodeDecodeError"),
        (b"[]", "no 'tokens' object"),
        (b'{"tokens": []}', "no 'tokens' object"),
        (b'{"tokens": {"wx1": {"expires_at": 1}}}', "a malformed entry for appid 'wx1'"),
        (b'{"tokens": {"wx1": {"access_token": "", "expires_at": 1}}}', "a malformed entry"),
        (b'{"tokens": {"wx1": {"access_token": "ok", "expires_at": true}}}', "a malformed entry"),
        (b'{"tokens": {"wx1": {"access_token": "ok"}}}', "a malformed entry"),
    ],
)
def test_the_log_says_why_a_file_is_corrupt(
    tmp_path: Path, content: bytes, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    store = FileTokenStore(path)
    caplog.set_level(logging.WARNING, logger="wechat_material.tokens")

    assert store.load("wx1") is None
    [message] = caplog.messages
    assert message.startswith(f"the token file {store} is corrupt ({why}")
    assert message.endswith("); treating it as empty")


def test_good_entries_of_every_number_type_are_read(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(
        '{"tokens": {"wx1": {"access_token": "A", "expires_at": 2000000000},'
        ' "wx2": {"access_token": "B", "expires_at": 2000000000.5}}}'
    )
    store = FileTokenStore(path)
    assert store.load("wx1") == AccessToken("A", 2_000_000_000.0)
    assert store.load("wx2") == AccessToken("B", 2_000_000_000.5)
    assert repr(store) == f"FileTokenStore({str(path)!r})"


def test_a_failure_names_the_file_and_what_could_not_be_done(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the token directory should be")
    store = FileTokenStore(blocker / "tokens" / "tokens.json")
    where = f"the token file {store.path} could not"

    with pytest.raises(TokenStoreError, match=f"^{where} save the token: "):
        store.save(APPID, TOKEN)
    with pytest.raises(TokenStoreError, match=f"^{where} discard the token: "):
        store.discard(APPID, TOKEN.value)
    with pytest.raises(TokenStoreError, match=f"^{where} create its directory: "):
        store.lock(APPID)


def test_the_file_is_versioned_json_a_person_can_read(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.save("wx2", AccessToken("B", 2_000_000_000.0))
    store.save("wx1", AccessToken("A", 2_000_000_000.5))

    assert json.loads(path.read_text()) == {
        "version": 1,
        "tokens": {
            "wx1": {"access_token": "A", "expires_at": 2_000_000_000.5},
            "wx2": {"access_token": "B", "expires_at": 2_000_000_000.0},
        },
    }
    assert path.read_text().startswith('{\n  "version": 1,\n  "tokens": {\n    "wx1": {')


def test_the_new_file_is_written_beside_the_old_under_a_hidden_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beside it: os.replace is atomic only within one filesystem.
    moved: list[Path] = []
    real_replace = os.replace

    def replace(source: str, target: Path) -> None:
        moved.append(Path(source))
        real_replace(source, target)

    monkeypatch.setattr("wechat_material.tokens.file.os.replace", replace)
    FileTokenStore(tmp_path / "tokens.json").save(APPID, TOKEN)

    [temporary] = moved
    assert temporary.parent == tmp_path
    assert temporary.name.startswith(".tokens.json.")
    assert temporary.name.endswith(".tmp")


def test_a_lock_file_that_cannot_be_opened_says_which_and_why(tmp_path: Path) -> None:
    lock = FlockLock(tmp_path / "missing" / "x.lock")
    with pytest.raises(TokenStoreError) as failed, lock:
        pass
    assert str(failed.value) == (
        f"cannot open the lock file {tmp_path / 'missing' / 'x.lock'}: No such file or directory"
    )


def test_a_lock_interrupted_while_waiting_closes_its_file_and_lets_the_error_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    closed: list[int] = []
    real_close = os.close

    def interrupted(fd: int, operation: int) -> None:
        raise KeyboardInterrupt

    def close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(fcntl, "flock", interrupted)
    monkeypatch.setattr("wechat_material.tokens.file.os.close", close)
    with pytest.raises(KeyboardInterrupt), FlockLock(tmp_path / "x.lock"):
        pass
    assert len(closed) == 1


def test_an_unreadable_file_is_logged_with_its_error_and_treated_as_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.mkdir()  # reading a directory fails whoever runs the test, root included
    store = FileTokenStore(path)
    caplog.set_level(logging.WARNING, logger="wechat_material.tokens")

    assert store.load(APPID) is None
    [message] = caplog.messages
    assert message.startswith(f"cannot read the token file {store} ([Errno 21] Is a directory")
    assert message.endswith("; treating it as empty")


def test_every_process_locks_the_same_file_beside_the_tokens(tmp_path: Path) -> None:
    # The names are the contract between processes, whichever version runs them.
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(APPID, TOKEN)
    with store.lock(APPID):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["tokens.json", "tokens.json.lock", f"tokens.json.{APPID}.fetch.lock"]
    )
