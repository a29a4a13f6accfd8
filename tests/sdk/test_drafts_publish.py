"""The draft box and publishing, on both clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from wechat_material import (
    Article,
    ArticleValidationError,
    Draft,
    NewsItem,
    NotFoundError,
    PublishedItem,
    PublishedNews,
    PublishResult,
    PublishStatus,
    PublishTimeoutError,
    Submission,
    ValidationError,
)

from .harness import Both

pytestmark = pytest.mark.anyio


async def make_article(wx: Both, media: Path, title: str = "草稿标题") -> Article:
    thumb = await wx(wx.client.material.add_material, "image", media / "image.jpg")
    return Article(
        title=title,
        thumb_media_id=thumb.media_id,
        content="<p>你好，世界</p>",
        digest="摘要",
        need_open_comment=1,
    )


async def test_draft_lifecycle(wx: Both, media: Path) -> None:
    article = await make_article(wx, media)
    media_id = await wx(wx.client.draft.add, [article])
    assert isinstance(media_id, str)
    assert media_id

    draft = await wx(wx.client.draft.get, media_id)
    assert isinstance(draft, Draft)
    assert draft.articles[0].title == "草稿标题"
    assert draft.articles[0].content == "<p>你好，世界</p>"  # sent without \\u escapes

    # A read article can be edited and sent back as it is.
    edited = draft.articles[0].model_copy(update={"title": "新标题"})
    await wx(wx.client.draft.update, media_id, 0, edited)
    assert (await wx(wx.client.draft.get, media_id)).articles[0].title == "新标题"

    assert await wx(wx.client.draft.count) == 1
    await wx(wx.client.draft.delete, media_id)
    assert await wx(wx.client.draft.count) == 0
    with pytest.raises(NotFoundError):
        await wx(wx.client.draft.get, media_id)


async def test_draft_lists_page_and_stream(wx: Both, media: Path) -> None:
    article = await make_article(wx, media)
    ids = {
        await wx(wx.client.draft.add, [article.model_copy(update={"title": f"第{n}篇"})])
        for n in range(22)
    }

    page = await wx(wx.client.draft.batch_get, 0, 20, True)
    assert page.total_count == 22
    assert len(page.items) == 20
    assert all(isinstance(item, NewsItem) for item in page.items)
    assert page.items[0].content.articles[0].content == ""  # no_content

    streamed = await wx.collect(wx.client.draft.stream(page_size=9))
    assert {item.media_id for item in streamed} == ids
    assert all(item.content.articles[0].content for item in streamed)


async def test_draft_arguments_are_checked_before_sending(wx: Both) -> None:
    with pytest.raises(ArticleValidationError) as caught:
        await wx(wx.client.draft.add, [{"title": "t", "content": "c"}])
    assert (caught.value.field, caught.value.index) == ("thumb_media_id", 0)
    with pytest.raises(ArticleValidationError, match="article 3"):
        await wx(wx.client.draft.update, "id", 2, {"title": "t", "thumb_media_id": "x"})
    with pytest.raises(ValidationError, match="index"):
        await wx(wx.client.draft.update, "id", -1, {"title": "t"})
    with pytest.raises(ValidationError, match="count"):
        await wx(wx.client.draft.batch_get, 0, 0)
    assert await wx.api_calls() == 0


async def test_publish_submit_wait_read_and_delete(wx: Both, media: Path) -> None:
    article = await make_article(wx, media, title="要发布的")
    media_id = await wx(wx.client.draft.add, [article])

    job = await wx(wx.client.publish.submit, media_id)
    assert isinstance(job, Submission)
    assert job.publish_id

    state = await wx(wx.client.publish.get, job.publish_id)
    assert isinstance(state, PublishResult)
    assert state.publish_status is PublishStatus.PUBLISHING
    assert not state.done

    with pytest.raises(PublishTimeoutError) as caught:
        await wx(wx.client.publish.wait, job.publish_id, interval=0.01, max_wait=0.03)
    assert caught.value.result.publish_status is PublishStatus.PUBLISHING

    await wx(wx.admin.advance, 120)
    done = await wx(wx.client.publish.wait, job.publish_id, interval=0.01, max_wait=1)
    assert done.succeeded
    assert done.article_id
    assert done.article_urls
    assert done.article_urls[0].startswith("http")

    post = await wx(wx.client.publish.get_article, done.article_id)
    assert isinstance(post, PublishedNews)
    assert post.articles[0].title == "要发布的"

    page = await wx(wx.client.publish.batch_get, 0, 20)
    assert page.total_count == 1
    assert isinstance(page.items[0], PublishedItem)
    assert [p.article_id for p in await wx.collect(wx.client.publish.stream())] == [done.article_id]

    await wx(wx.client.publish.delete, done.article_id)
    after = await wx(wx.client.publish.get, job.publish_id)
    assert after.publish_status == PublishStatus.DELETED


async def test_publish_arguments_are_checked(wx: Both) -> None:
    with pytest.raises(ValidationError, match="publish_id"):
        await wx(wx.client.publish.get, "")
    with pytest.raises(ValidationError, match="interval"):
        await wx(wx.client.publish.wait, "1", interval=0)
    with pytest.raises(ValidationError, match="index"):
        await wx(wx.client.publish.delete, "a", -1)
    assert await wx.api_calls() == 0
