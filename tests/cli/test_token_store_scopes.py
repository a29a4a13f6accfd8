"""``wxm`` keeps tokens in a shared store under the client's scope, never its secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import Run

WRONG_SECRET = "e" * 32


def test_a_wrong_secret_fails_beside_a_token_in_the_profiles_file(
    wxm: Run, sandbox: Any, tmp_path: Path
) -> None:
    token_file = tmp_path / "shared" / "tokens.json"
    wxm(
        "config", "set", "demo", "--appid", DEMO_APPID, "--secret", DEMO_SECRET,
        "--base-url", sandbox.base_url, "--token-store", f"file:{token_file}",
    )  # fmt: skip
    assert wxm("count").exit_code == 0

    wrong = wxm("--secret", WRONG_SECRET, "count")

    assert wrong.exit_code == 1
    assert "40125" in wrong.stderr
    assert sandbox.admin.counters(DEMO_APPID)["/cgi-bin/material/get_materialcount"] == 1
    stored = json.loads(token_file.read_bytes())["tokens"]
    assert len(stored) == 1
    (key,) = stored
    assert key.startswith(f"{DEMO_APPID}.u")
    for made in token_file.parent.iterdir():
        assert DEMO_SECRET not in made.name
        assert WRONG_SECRET not in made.name
        assert DEMO_SECRET.encode() not in made.read_bytes()
