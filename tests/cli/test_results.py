"""Results print the user's data as it is; the app secret and the run's tokens never show."""

from __future__ import annotations

from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.cli.output import HIDDEN
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json

LINK = "https://example.com/read?access_token=XYZ789&secret=s3cr3t-of-the-site#top"


@pytest.fixture
def client(sandbox: Any) -> Any:
    # "stable": the same token the wxm run will be handed, so the test can plant it.
    with WeChatClient(
        DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url, token_mode="stable"
    ) as sdk:
        yield sdk


def _draft(client: WeChatClient, **fields: Any) -> str:
    thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    article = {"title": "Links", "content": "<p>hello</p>", "thumb_media_id": thumb, **fields}
    return client.draft.add([article])


def test_json_keeps_token_and_secret_parameters_of_the_users_data(
    on_sandbox: Run, client: WeChatClient
) -> None:
    content = f'<p><a href="{LINK}">read</a> access_token=abcdef123456</p>'
    draft_id = _draft(client, content=content, content_source_url=LINK)

    data = run_json(on_sandbox("draft", "get", draft_id, "--json"))

    article = data["news_item"][0]
    assert article["content_source_url"] == LINK
    assert article["content"] == content


def test_the_secret_and_the_runs_token_never_show_in_a_result(
    on_sandbox: Run, client: WeChatClient
) -> None:
    token = client.get_access_token()
    planted = f"<p>{DEMO_SECRET} and {token}</p>"
    draft_id = _draft(client, digest=f"d {DEMO_SECRET}", content=planted)

    result = on_sandbox("draft", "get", draft_id, "--json")

    assert result.exit_code == 0, result.output
    assert DEMO_SECRET not in result.stdout
    assert token not in result.stdout
    data = run_json(result)
    assert data["news_item"][0]["content"] == f"<p>{HIDDEN} and {HIDDEN}</p>"
    assert data["news_item"][0]["digest"] == f"d {HIDDEN}"


def test_token_raw_json_prints_the_token_asked_for(on_sandbox: Run, client: WeChatClient) -> None:
    token = client.get_access_token()

    data = run_json(on_sandbox("token", "--raw", "--json"))

    assert data["access_token"] == token
