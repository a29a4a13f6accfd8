"""The CLI tests share one sandbox; each must still find it as if just started."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from wechat_material import WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json

OTHER_APPID = "wx7777777777777777"
OTHER_SECRET = "77777777777777777777777777777777"


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_finds_the_sandbox_as_new(sandbox: Any, on_sandbox: Run, turn: str) -> None:
    # Whichever turn runs second sees what the first left, unless the fixture reset it.
    admin = sandbox.admin
    assert admin.counters() == {}
    assert admin.faults() == []
    assert admin.now() <= time.time()  # the frozen clock, set to the time of the reset
    assert run_json(on_sandbox("ls", "--json"))["items"] == []
    assert on_sandbox("--appid", OTHER_APPID, "--secret", OTHER_SECRET, "count").exit_code == 1

    sent: list[str] = []
    with (
        httpx.Client(event_hooks={"request": [lambda r: sent.append(r.url.path)]}) as http,
        WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, http_client=http) as sdk,
    ):
        sdk.material.add_material("image", MEDIA / "image.jpg")
    # A token this process kept from the other turn would be refused: the upload sent twice.
    assert sent.count("/cgi-bin/material/add_material") == 1

    admin.add_account(OTHER_APPID, OTHER_SECRET)
    admin.set_faults(endpoint="/cgi-bin/material/batchget_material", latency_ms=1)
    admin.advance(60)  # the token fetched above stays valid for the client's process
