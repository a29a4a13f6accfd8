"""A /token or /stable_token call counts its quota and writes its token in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxBackend, SandboxConfig
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.quotas import STABLE_TOKEN_PATH, TOKEN_PATH

from ..wechat_wire import START

GRANT = ("client_credential", DEMO_APPID, DEMO_SECRET)
IP = "127.0.0.1"


@pytest.fixture
def config(tmp_path: Path) -> SandboxConfig:
    # On disk, where each commit is a write to the database file.
    return SandboxConfig(seed=5, start_time=START, data_dir=tmp_path / "data")


@pytest.fixture
def statements(backend: SandboxBackend) -> Iterator[list[str]]:
    """Every SQL statement the sandbox runs from now on, as SQLite sees it."""
    seen: list[str] = []
    backend.storage.db.set_trace_callback(seen.append)
    yield seen
    backend.storage.db.set_trace_callback(None)


@contextmanager
def tokens_cannot_be_written(backend: SandboxBackend) -> Iterator[None]:
    """Make writing a token fail inside SQLite (as a full disk would) in the block."""
    backend.storage.db.execute(
        "CREATE TRIGGER no_tokens BEFORE INSERT ON tokens "
        "BEGIN SELECT RAISE(ABORT, 'no room for a token'); END"
    )
    try:
        with pytest.raises(sqlite3.IntegrityError, match="no room for a token"):
            yield
    finally:
        backend.storage.db.execute("DROP TRIGGER no_tokens")


def one_transaction(statements: list[str]) -> None:
    # Reads may come first (account and limit lookups); every write sits in one transaction.
    writes = [sql for sql in statements if not sql.startswith("SELECT")]
    assert writes[0] == "BEGIN IMMEDIATE"
    assert writes[-1] == "COMMIT"
    assert writes.count("BEGIN IMMEDIATE") == 1
    assert writes.count("COMMIT") == 1
    inside = "\n".join(writes)
    assert "INSERT INTO quota_usage" in inside
    assert "INSERT INTO tokens" in inside


def token_rows(backend: SandboxBackend) -> int:
    return len(backend.storage.rows("SELECT value FROM tokens"))


def test_token_call_is_one_transaction(backend: SandboxBackend, statements: list[str]) -> None:
    backend.grant_token(*GRANT, IP)
    one_transaction(statements)


@pytest.mark.parametrize("force_refresh", [False, True])
def test_stable_token_call_is_one_transaction(
    backend: SandboxBackend, statements: list[str], force_refresh: bool
) -> None:
    backend.grant_stable_token(*GRANT, force_refresh, IP)
    one_transaction(statements)
    assert backend.quotas.used_today(DEMO_APPID, STABLE_TOKEN_PATH) == 1


def test_a_token_that_cannot_be_written_uses_no_quota(backend: SandboxBackend) -> None:
    with tokens_cannot_be_written(backend):
        backend.grant_token(*GRANT, IP)
    assert backend.quotas.used_today(DEMO_APPID, TOKEN_PATH) == 0
    assert token_rows(backend) == 0


def test_a_stable_token_that_cannot_be_written_uses_no_minute_quota(
    backend: SandboxBackend,
) -> None:
    backend.quotas.set_limit(DEMO_APPID, STABLE_TOKEN_PATH, 10, minute_limit=1)
    with tokens_cannot_be_written(backend):
        backend.grant_stable_token(*GRANT, False, IP)
    # The failed call took neither the day's count nor the minute's only call.
    assert backend.quotas.used_today(DEMO_APPID, STABLE_TOKEN_PATH) == 0
    grant = backend.grant_stable_token(*GRANT, False, IP)
    assert backend.tokens.check(grant.access_token) == DEMO_APPID


def test_a_failed_rotation_keeps_the_current_token_working(backend: SandboxBackend) -> None:
    first = backend.grant_token(*GRANT, IP)
    assert backend.tokens.check(first.access_token) == DEMO_APPID  # now remembered
    with tokens_cannot_be_written(backend):
        backend.grant_token(*GRANT, IP)
    # The overlap the rotation began is rolled back: the token works on past 5 minutes.
    backend.clock.advance(600)
    assert backend.tokens.check(first.access_token) == DEMO_APPID
    assert backend.quotas.used_today(DEMO_APPID, TOKEN_PATH) == 1


def test_a_spent_quota_issues_nothing(backend: SandboxBackend) -> None:
    backend.quotas.set_limit(DEMO_APPID, TOKEN_PATH, 1)
    first = backend.grant_token(*GRANT, IP)
    with pytest.raises(SandboxError) as refused:
        backend.grant_token(*GRANT, IP)
    assert refused.value.code == 45009
    assert token_rows(backend) == 1
    backend.clock.advance(600)
    assert backend.tokens.check(first.access_token) == DEMO_APPID


def test_rotation_reaches_the_remembered_tokens(backend: SandboxBackend) -> None:
    first = backend.grant_token(*GRANT, IP).access_token
    backend.grant_token(*GRANT, IP)
    assert backend.tokens.check(first) == DEMO_APPID  # in its overlap, and remembered
    backend.grant_token(*GRANT, IP)  # a third call ends the first at once
    with pytest.raises(SandboxError) as ended:
        backend.tokens.check(first)
    assert ended.value.code == 40001
