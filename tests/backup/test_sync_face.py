"""The blocking functions run the async core with the client's own account and token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.backup import backup, verify_backup
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread
from wechat_material.tokens import FileTokenStore, forget_shared_memory_stores

from .conftest import png


@pytest.fixture
def served() -> Iterator[Any]:
    forget_shared_memory_stores()
    with run_in_thread(SandboxConfig(seed=8)) as running:
        yield running


@pytest.mark.parametrize("store", ["default", "file"])
def test_a_blocking_backup_reuses_the_clients_token(
    served: Any, tmp_path: Path, store: str
) -> None:
    tokens = FileTokenStore(tmp_path / "tokens.json") if store == "file" else None
    with WeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=served.base_url, token_store=tokens
    ) as client:
        for i in range(3):
            client.material.add_material("image", png(i), f"p{i}.png")

        summary = backup(client, tmp_path / "bk", concurrency=2)

    assert summary.status == "complete"
    assert summary.kinds["image"].new == 3
    assert verify_backup(tmp_path / "bk").ok
    assert served.admin.counters(DEMO_APPID).get("/cgi-bin/token", 0) == 1
