"""``wxm draft add`` and ``client.draft.add`` apply the article rules ``wxm publish`` does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.errors import ArticleValidationError
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import Run

BAD_FIELDS = [
    ("content_source_url", "javascript:alert(1)", "must be an http:// or https:// link"),
    ("content_source_url", "file:///etc/passwd", "must be an http:// or https:// link"),
    ("pic_crop_235_1", "a_b_c_d", "four numbers from 0 to 1"),
    ("pic_crop_1_1", "0_0_1", "four numbers from 0 to 1"),
    ("pic_crop_1_1", "0_0_1_2", "four numbers from 0 to 1"),
    ("title", "a\x00b", "control character (U+0000)"),
    ("author", "Ming\x1b[31m", "control character (U+001B)"),
    ("digest", "one\ntwo", "control character (U+000A)"),
    ("content", "<p>\x00</p>", "control character (U+0000)"),
]


def _article(thumb: str, **fields: Any) -> dict[str, Any]:
    return {"title": "Go", "thumb_media_id": thumb, "content": "<p>x</p>", **fields}


@pytest.fixture
def thumb(sandbox: Any) -> str:
    from .conftest import MEDIA

    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        return client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id


@pytest.mark.parametrize(("field", "value", "words"), BAD_FIELDS)
def test_draft_add_refuses_the_field_by_name(
    on_sandbox: Run, sandbox: Any, thumb: str, tmp_path: Path, field: str, value: str, words: str
) -> None:
    path = tmp_path / "post.json"
    path.write_text(json.dumps([_article(thumb, **{field: value})]), "utf-8")

    result = on_sandbox("draft", "add", str(path))

    assert result.exit_code == 3, result.output
    assert f"'{field}'" in result.stderr
    assert words in result.stderr
    assert "\x00" not in result.stderr
    assert sandbox.admin.counters().get("/cgi-bin/draft/add", 0) == 0  # nothing sent


@pytest.mark.parametrize(("field", "value", "words"), BAD_FIELDS)
def test_the_sdk_refuses_before_sending(
    sandbox: Any, thumb: str, field: str, value: str, words: str
) -> None:
    with (
        WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client,
        pytest.raises(ArticleValidationError, match=re.escape(words)) as caught,
    ):
        client.draft.add([_article(thumb, **{field: value})])

    assert caught.value.field == field
    assert sandbox.admin.counters().get("/cgi-bin/draft/add", 0) == 0


def test_content_keeps_its_tabs_and_line_breaks_and_crops_in_range_pass(
    sandbox: Any, thumb: str
) -> None:
    article = _article(
        thumb,
        content="<pre>a\tb\r\nc\n</pre>",
        content_source_url="HTTPS://example.com/x",
        pic_crop_235_1="0_0.1_1_.9",
        pic_crop_1_1="0.25_0_0.75_1",
    )
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
        draft_id = client.draft.add([article])
        stored = client.draft.get(draft_id).articles[0]

    assert stored.content_source_url == "HTTPS://example.com/x"
    assert stored.pic_crop_1_1 == "0.25_0_0.75_1"
