"""Publications that do not succeed, and publish_id in either form, on both clients.

The sync client talks to a sandbox over a real socket (its admin is a
``SandboxAdmin``), the async one in-process (``AsyncSandboxAdmin``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wechat_material import Article, PublishResult, PublishStatus, Submission

from .harness import Both

pytestmark = pytest.mark.anyio


async def _draft(wx: Both, media: Path, count: int = 1) -> str:
    thumb = await wx(wx.client.material.add_material, "image", media / "image.jpg")
    articles = [
        Article(title=f"第{i + 1}篇", thumb_media_id=thumb.media_id, content="<p>正文</p>")
        for i in range(count)
    ]
    media_id: str = await wx(wx.client.draft.add, articles)
    return media_id


async def _published(wx: Both, media: Path, count: int = 1) -> PublishResult:
    job = await wx(wx.client.publish.submit, await _draft(wx, media, count))
    await wx(wx.admin.advance, 60)
    result: PublishResult = await wx(wx.client.publish.wait, job.publish_id, interval=0.01)
    return result


@pytest.mark.parametrize(
    ("status", "fail_idx", "expected", "expected_fail_idx"),
    [
        (2, None, PublishStatus.ORIGINALITY_FAILED, [1, 2]),
        (3, [2], PublishStatus.FAILED, [2]),
        (4, None, PublishStatus.REJECTED, []),
    ],
)
async def test_a_failed_publication_is_typed_and_done(
    wx: Both,
    media: Path,
    status: int,
    fail_idx: list[int] | None,
    expected: PublishStatus,
    expected_fail_idx: list[int],
) -> None:
    planned = await wx(wx.admin.set_next_publication, status, fail_idx=fail_idx)
    assert planned.status == status
    result = await _published(wx, media, count=2)
    assert result.publish_status is expected
    assert result.done
    assert not result.succeeded
    assert result.fail_idx == expected_fail_idx
    assert result.article_id is None
    assert result.article_urls == []
    assert (await wx(wx.client.publish.batch_get, 0, 20)).total_count == 0
    # Used once: the next publication succeeds.
    assert (await wx(wx.admin.next_publication)).status == 0
    assert (await _published(wx, media)).succeeded


async def test_a_banned_publication_keeps_its_article_id_and_nothing_else(
    wx: Both, media: Path
) -> None:
    await wx(wx.admin.set_next_publication, 6)
    result = await _published(wx, media)
    assert result.publish_status is PublishStatus.BANNED
    assert result.article_id
    assert result.article_urls == []
    assert result.fail_idx == []


@pytest.mark.parametrize("form", ["string", "number"])
async def test_publish_id_as_string_or_number(wx: Both, media: Path, form: str) -> None:
    await wx(wx.admin.set_publish_id_form, form)
    job = await wx(wx.client.publish.submit, await _draft(wx, media))
    assert isinstance(job, Submission)
    assert isinstance(job.publish_id, str)
    assert job.publish_id.isdigit()
    state = await wx(wx.client.publish.get, job.publish_id)
    assert state.publish_id == job.publish_id
    assert state.publish_status is PublishStatus.PUBLISHING


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        # The shapes of freepublish/get WeChat documents, publish_id a string or, as
        # real replies and the PUBLISHJOBFINISH event show it, a number.
        ({"publish_id": "100000001", "publish_status": 1, "fail_idx": []}, 1),
        ({"publish_id": 2247503051, "publish_status": 2, "fail_idx": [1, 2]}, 2),
        ({"publish_id": 2247503051, "publish_status": 3, "fail_idx": [2]}, 3),
        ({"publish_id": "100000001", "publish_status": 4, "fail_idx": []}, 4),
        ({"publish_id": "1", "publish_status": 6, "article_id": "A", "fail_idx": None}, 6),
    ],
)
def test_every_status_parses_into_a_typed_result(reply: dict[str, object], status: int) -> None:
    result = PublishResult.model_validate(reply)
    assert result.publish_status is PublishStatus(status)
    assert isinstance(result.publish_id, str)
    assert result.publish_id == str(reply["publish_id"])
    assert result.fail_idx == (reply["fail_idx"] or [])
    assert result.done is (status != 1)


def test_a_numeric_publish_id_of_a_submission_reads_as_text() -> None:
    job = Submission.model_validate({"errcode": 0, "publish_id": 2247503051, "msg_data_id": 5})
    assert job.publish_id == "2247503051"
