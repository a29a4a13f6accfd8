"""``wxm rm``: asks before deleting, reports each id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json, stdout_json


@pytest.fixture
def client(sandbox: Any) -> Iterator[WeChatClient]:
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as sdk:
        yield sdk


@pytest.fixture
def two_images(client: WeChatClient) -> list[str]:
    return [
        client.material.add_material("image", MEDIA / "image.jpg").media_id,
        client.material.add_material("image", MEDIA / "image.png").media_id,
    ]


def _image_count(client: WeChatClient) -> int:
    return client.material.get_material_count().image_count


def test_asks_and_deletes_on_yes(on_sandbox: Run, client: WeChatClient, two_images: Any) -> None:
    result = on_sandbox("rm", *two_images, input="y\n")

    assert result.exit_code == 0, result.output
    assert "Delete 2 materials?" in result.stderr
    assert _image_count(client) == 0
    for media_id in two_images:
        assert media_id in result.stdout


def test_answering_no_deletes_nothing(
    on_sandbox: Run, client: WeChatClient, sandbox: Any, two_images: Any
) -> None:
    result = on_sandbox("rm", two_images[0], input="n\n")

    assert result.exit_code == 0
    assert "nothing was deleted" in result.stderr
    assert _image_count(client) == 2
    assert "/cgi-bin/material/del_material" not in sandbox.admin.counters(DEMO_APPID)


def test_no_answer_is_a_usage_error(on_sandbox: Run, client: WeChatClient, two_images: Any) -> None:
    result = on_sandbox("rm", two_images[0])  # stdin is empty

    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert _image_count(client) == 2


def test_yes_skips_the_question_and_json_reports_each(
    on_sandbox: Run, client: WeChatClient, two_images: Any
) -> None:
    data = run_json(on_sandbox("rm", two_images[0], "--yes", "--json"))

    assert data == {"results": [{"media_id": two_images[0], "deleted": True}]}
    assert _image_count(client) == 1


def test_failures_are_reported_and_the_rest_deleted(
    on_sandbox: Run, client: WeChatClient, sandbox: Any, two_images: Any
) -> None:
    sandbox.admin.protect(DEMO_APPID, two_images[0])  # in use by a menu: 48005

    result = on_sandbox("rm", two_images[0], "missing-id", two_images[1], "-y", "--json")

    assert result.exit_code == 1
    results = {r["media_id"]: r for r in stdout_json(result)["results"]}
    assert results[two_images[0]]["errcode"] == 48005
    assert results["missing-id"]["errcode"] == 40007
    assert results[two_images[1]]["deleted"] is True
    assert "48005" in result.stderr
    assert "auto-reply" in result.stderr  # the hint
    assert _image_count(client) == 1
