"""A backup the user cannot write (a mounted archive, a ``chmod -R a-w`` copy) is still usable.

Tests run as root, who writes anywhere; the read-only cases run in another
Python as ``nobody`` (``setpriv``, every capability dropped), against a
sandbox on a socket. Also here: what a backup writes is its owner's only,
and a dry run writes nothing anywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wechat_material import AsyncWeChatClient
from wechat_material.backup import abackup, arestore
from wechat_material.backup.journal import STATE_DIR_ENV
from wechat_material.backup.manifest import Manifest
from wechat_material.backup.verify import DAMAGED_SUMMARY, describe_backup
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

from .conftest import TARGET_APPID, TARGET_SECRET, Library, Sandbox, seed_library

SETPRIV = shutil.which("setpriv")
AS_NOBODY = [SETPRIV or "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
WXM = Path(sys.executable).with_name("wxm")

JOB = """
import json, sys
from wechat_material import WeChatClient
from wechat_material.errors import ValidationError
from wechat_material.backup import backup, describe_backup, restore, verify_backup

directory, base_url, appid, secret = sys.argv[1:5]
out = {"verify": verify_backup(directory).ok, "runs": len(describe_backup(directory).runs)}
with WeChatClient(appid, secret, base_url=base_url) as client:
    try:
        backup(client, directory)
    except ValidationError as exc:
        out["backup"] = str(exc)
    plan = restore(client, directory, dry_run=True)
    out["dry"] = {"status": plan.status, "needed": plan.needed, "journal": plan.journal}
    done = restore(client, directory, concurrency=4)
    out["restore"] = {"status": done.status, "journal": done.journal, "failures": done.failures}
print(json.dumps(out))
"""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and modification time."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder ``nobody`` can reach (pytest's own is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="wxm-readonly-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o700)
        shutil.rmtree(folder)


def as_nobody(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(*AS_NOBODY, *args, env=env)


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(map(str, args)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": "/nonexistent", **(env or {})},
    )


CONFIG = SandboxConfig(
    accounts=[(DEMO_APPID, DEMO_SECRET), (TARGET_APPID, TARGET_SECRET)], news_api="legacy"
)
ADD = "/cgi-bin/material/add_material"


def backed_up(base_url: str, backup: Path, *, restored: bool = False) -> None:
    """A library of 3 images, voice, video and articles, backed up (and restored) as root."""

    async def prepare() -> None:
        async with (
            AsyncWeChatClient(DEMO_APPID, DEMO_SECRET, base_url=base_url) as client,
            AsyncWeChatClient(TARGET_APPID, TARGET_SECRET, base_url=base_url) as target,
        ):
            await seed_library(client, images=3)
            summary = await abackup(client, backup, concurrency=4)
            assert summary.status == "complete", summary.failures
            if restored:
                assert (await arestore(target, backup, concurrency=4)).status == "complete"

    asyncio.run(prepare())


def state_dir(where: Path) -> Path:
    state = where / "state"
    state.mkdir()
    shutil.chown(state, "nobody", "nogroup")
    return state


def read_only_copy(backup: Path, where: Path) -> Path:
    """``backup`` copied for ``nobody``, then made unwritable: ``chmod -R a-w``."""
    copy = where / "backup"
    shutil.copytree(backup, copy, symlinks=True)
    shutil.chown(where, "nobody", "nogroup")
    for path in [copy, *copy.rglob("*")]:
        shutil.chown(path, "nobody", "nogroup")
    for path in [copy, *copy.rglob("*")]:
        path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    return copy


def test_verify_ls_dry_run_and_restore_work_on_a_backup_nobody_can_write(
    tmp_path: Path, shared_tmp: Path
) -> None:
    if SETPRIV is None:
        pytest.skip("no setpriv to run as a user without CAP_DAC_OVERRIDE (util-linux)")
    with run_in_thread(CONFIG) as running:
        backed_up(running.base_url, tmp_path / "backup")
        copy = read_only_copy(tmp_path / "backup", shared_tmp)
        state = state_dir(shared_tmp)
        probe = as_nobody("touch", copy / "probe")
        assert probe.returncode != 0, "nobody could write the read-only copy"
        before = tree(copy)

        done = as_nobody(
            sys.executable,
            "-c",
            JOB,
            copy,
            running.base_url,
            TARGET_APPID,
            TARGET_SECRET,
            env={STATE_DIR_ENV: str(state)},
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        after = tree(copy)
        # The command line too, as nobody when the interpreter nobody gets can load it
        # (a virtual environment built on an interpreter under /root cannot).
        cli = as_nobody(sys.executable, "-c", "import wechat_material.cli.root")
        prefix = AS_NOBODY if cli.returncode == 0 else []
        listed = run(*prefix, WXM, "backup", "ls", copy, "--json")
        checked = run(*prefix, WXM, "backup", "verify", copy, "--json")
        count = running.admin.counters(TARGET_APPID)

    assert out["verify"] is True
    assert out["runs"] == 1
    assert out["backup"] == (
        f"{copy} cannot be written: back up into a folder you can write "
        "(verify, ls and restore read a backup where it is)"
    )
    assert out["dry"]["status"] == "complete"
    assert out["dry"]["journal"] == ""  # a dry run made none
    assert out["dry"]["needed"][ADD] == 5  # 3 images, voice, video
    assert out["restore"] == {
        "status": "complete",
        "journal": out["restore"]["journal"],
        "failures": [],
    }
    journal = Path(out["restore"]["journal"])
    assert journal.is_relative_to(state / "restore")
    assert journal.name == f"{TARGET_APPID}.sqlite3"
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert count.get(ADD) == 5
    assert after == before
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["runs"][0]["status"] == "complete"
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] is True


def test_a_journal_the_read_only_folder_holds_is_carried_over(
    tmp_path: Path, shared_tmp: Path
) -> None:
    if SETPRIV is None:
        pytest.skip("no setpriv to run as a user without CAP_DAC_OVERRIDE (util-linux)")
    with run_in_thread(CONFIG) as running:
        backed_up(running.base_url, tmp_path / "backup", restored=True)
        copy = read_only_copy(tmp_path / "backup", shared_tmp)
        shutil.chown(copy / ".lock", "root", "root")  # a lock file nobody may even open
        state = state_dir(shared_tmp)
        args = (sys.executable, "-c", JOB, copy, running.base_url, TARGET_APPID, TARGET_SECRET)

        nowhere = as_nobody(*args)  # HOME=/nonexistent: no state directory to write
        done = as_nobody(*args, env={STATE_DIR_ENV: str(state)})
        count = running.admin.counters(TARGET_APPID)

    assert nowhere.returncode != 0
    assert f"set {STATE_DIR_ENV} to a folder you can write" in nowhere.stderr
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["verify"] is True
    assert out["dry"]["needed"][ADD] == 0  # read from the folder's own journal
    assert out["dry"]["journal"] == str(copy / "restore" / f"{TARGET_APPID}.sqlite3")
    assert out["restore"]["status"] == "complete"
    assert Path(out["restore"]["journal"]).is_relative_to(state)
    assert count.get(ADD) == 5  # the first restore's; nothing again


@pytest.mark.anyio
async def test_a_dry_run_writes_nothing_anywhere(
    sandbox: Sandbox, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "backup"
    state = tmp_path / "state"
    monkeypatch.setenv(STATE_DIR_ENV, str(state))
    assert (await abackup(sandbox.client(), backup, concurrency=4)).status == "complete"
    before = tree(backup)

    plan = await arestore(sandbox.client(TARGET_APPID, TARGET_SECRET), backup, dry_run=True)

    assert plan.status == "complete"
    assert plan.needed["/cgi-bin/material/add_material"] > 0
    assert tree(backup) == before
    assert not state.exists()


@pytest.mark.anyio
async def test_a_dry_run_after_a_restore_reads_its_journal_and_writes_nothing(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await abackup(sandbox.client(), tmp_path, concurrency=4)
    done = await arestore(sandbox.client(TARGET_APPID, TARGET_SECRET), tmp_path, concurrency=4)
    assert done.status == "complete"
    before = tree(tmp_path)

    plan = await arestore(sandbox.client(TARGET_APPID, TARGET_SECRET), tmp_path, dry_run=True)

    assert set(plan.needed.values()) == {0}
    assert plan.journal == done.journal
    assert tree(tmp_path) == before


@pytest.mark.anyio
async def test_what_a_backup_and_a_restore_write_is_the_owners_only(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    backup = tmp_path / "new" / "backup"
    await abackup(sandbox.client(), backup, concurrency=4)
    await arestore(sandbox.client(TARGET_APPID, TARGET_SECRET), backup, concurrency=4)

    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    paths = list(backup.rglob("*"))
    assert any(p.name.endswith(".sqlite3-wal") for p in paths) or paths
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.anyio
async def test_ls_reads_a_damaged_run_summary_as_verify_does(
    sandbox: Sandbox, library: Library, tmp_path: Path
) -> None:
    await abackup(sandbox.client(), tmp_path, concurrency=4)
    with Manifest(tmp_path) as manifest:
        manifest._db.execute("UPDATE runs SET summary = '{not json'")

    described = describe_backup(tmp_path)

    assert [(r["status"], r["ok"], r["message"]) for r in described.runs] == [
        ("complete", False, DAMAGED_SUMMARY)
    ]
