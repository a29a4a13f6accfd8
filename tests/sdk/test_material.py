"""Every material call, on both clients, against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wechat_material import (
    Article,
    ArticleValidationError,
    MaterialCount,
    MaterialItem,
    MediaFile,
    MediaValidationError,
    NewsItem,
    NewsMaterial,
    NotFoundError,
    RetiredAPIError,
    UploadedMaterial,
    UploadedMedia,
    ValidationError,
    VideoLink,
    VideoMaterial,
)
from wechat_material.limits import MB

from .harness import Both

pytestmark = pytest.mark.anyio


def article(thumb: str, title: str = "春天的第一篇", **extra: object) -> Article:
    return Article(
        title=title, thumb_media_id=thumb, content="<p>正文 content</p>", author="小明", **extra
    )


async def add_thumb(wx: Both, media: Path) -> str:
    thumb = await wx(wx.client.material.add_material, "thumb", media / "thumb.jpg")
    return str(thumb.media_id)


async def test_temporary_image_round_trip(wx: Both, media: Path) -> None:
    uploaded = await wx(wx.client.material.upload_media, "image", media / "image.jpg")
    assert isinstance(uploaded, UploadedMedia)
    assert uploaded.type == "image"
    assert uploaded.media_id
    assert uploaded.created_at.tzinfo is not None
    assert uploaded.expires_at - uploaded.created_at == timedelta(days=3)

    got = await wx(wx.client.material.get_media, uploaded.media_id)
    assert isinstance(got, MediaFile)
    assert got.content == (media / "image.jpg").read_bytes()
    assert got.content_type == "image/jpeg"
    assert got.filename.endswith(".jpg")
    assert got.size == len(got.content)


async def test_a_thumb_upload_answering_thumb_media_id_gives_media_id(
    wx: Both, media: Path
) -> None:
    uploaded = await wx(wx.client.material.upload_media, "thumb", media / "thumb.jpg")
    assert uploaded.media_id
    # The reply carried only thumb_media_id; the model names it media_id.
    assert uploaded.model_extra == {"thumb_media_id": uploaded.media_id}
    got = await wx(wx.client.material.get_media, uploaded.media_id)
    assert isinstance(got, MediaFile)
    assert got.content == (media / "thumb.jpg").read_bytes()


async def test_temporary_voice_and_video(wx: Both, media: Path) -> None:
    voice = await wx(
        wx.client.material.upload_media, "voice", (media / "voice-2s.amr").read_bytes()
    )
    got = await wx(wx.client.material.get_media, voice.media_id)
    assert isinstance(got, MediaFile)
    assert got.content == (media / "voice-2s.amr").read_bytes()

    video = await wx(wx.client.material.upload_media, "video", media / "video.mp4")
    link = await wx(wx.client.material.get_media, video.media_id)
    assert isinstance(link, VideoLink)
    assert link.video_url.startswith("http")

    mass = await wx(wx.client.material.upload_video, video.media_id, "标题", "说明")
    assert isinstance(mass, UploadedMedia)
    assert mass.type == "video"
    assert mass.media_id


async def test_get_media_of_an_unknown_id_raises_not_found(wx: Both) -> None:
    with pytest.raises(NotFoundError) as caught:
        await wx(wx.client.material.get_media, "no-such-media")
    assert caught.value.errcode == 40007
    assert caught.value.rid


async def test_upload_image_for_articles(wx: Both, media: Path) -> None:
    image = await wx(wx.client.material.upload_image, media / "image.png")
    assert image.url.startswith("http")


async def test_upload_news_for_mass_sending(wx: Both, media: Path) -> None:
    thumb = await wx(wx.client.material.upload_media, "thumb", media / "thumb.jpg")
    news = await wx(wx.client.material.upload_news, [article(thumb.media_id)])
    assert isinstance(news, UploadedMedia)
    assert news.type == "news"
    assert news.media_id


@pytest.mark.parametrize(
    ("kind", "sample", "content_type"),
    [
        ("image", "image.gif", "image/gif"),
        ("image", "image.bmp", "image/bmp"),
        ("voice", "voice-2s.mp3", "audio/mpeg"),
        ("voice", "voice-2s.wma", "audio/x-ms-wma"),
        ("thumb", "thumb.jpg", "image/jpeg"),
    ],
)
async def test_permanent_files_round_trip(
    wx: Both, media: Path, kind: str, sample: str, content_type: str
) -> None:
    added = await wx(wx.client.material.add_material, kind, media / sample)
    assert isinstance(added, UploadedMaterial)
    assert added.media_id
    assert (added.url is not None) == (kind == "image")
    got = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(got, MediaFile)
    assert got.content == (media / sample).read_bytes()
    assert got.content_type == content_type


async def test_video_material_has_its_title_and_a_down_url(wx: Both, media: Path) -> None:
    added = await wx(
        wx.client.material.add_video_material, media / "video.mp4", "视频标题", "一段介绍"
    )
    got = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(got, VideoMaterial)
    assert got.title == "视频标题"
    assert got.description == "一段介绍"
    assert got.down_url.startswith("http")


async def test_a_video_without_title_is_refused_before_sending(wx: Both, media: Path) -> None:
    with pytest.raises(ValidationError, match="title"):
        await wx(wx.client.material.add_material, "video", media / "video.mp4")
    assert await wx.calls_to("/cgi-bin/material/add_material") == 0


async def test_news_material_legacy_add_update_get(wx: Both, media: Path) -> None:
    thumb = await add_thumb(wx, media)
    added = await wx(wx.client.material.add_news, [article(thumb), article(thumb, title="第二篇")])
    news = await wx(wx.client.material.get_material, added.media_id)
    assert isinstance(news, NewsMaterial)
    assert [a.title for a in news.articles] == ["春天的第一篇", "第二篇"]
    assert news.articles[0].author == "小明"

    await wx(wx.client.material.update_news, added.media_id, 1, article(thumb, title="改过的"))
    news = await wx(wx.client.material.get_material, added.media_id)
    assert [a.title for a in news.articles] == ["春天的第一篇", "改过的"]


async def test_retired_news_apis_point_to_the_draft_box(wx: Both, media: Path) -> None:
    thumb = await add_thumb(wx, media)
    await wx(wx.admin.set_news_api, "retired")
    with pytest.raises(RetiredAPIError) as caught:
        await wx(wx.client.material.add_news, [article(thumb)])
    assert caught.value.errcode in (45103, 45106)
    assert "draft" in str(caught.value)
    assert "client.draft.add" in caught.value.hint
    with pytest.raises(RetiredAPIError):
        await wx(wx.client.material.update_news, "any-id", 0, article(thumb))


async def test_delete_then_get_is_not_found(wx: Both, media: Path) -> None:
    added = await wx(wx.client.material.add_material, "image", media / "image.jpg")
    await wx(wx.client.material.del_material, added.media_id)
    with pytest.raises(NotFoundError):
        await wx(wx.client.material.get_material, added.media_id)
    with pytest.raises(NotFoundError):
        await wx(wx.client.material.del_material, added.media_id)


async def test_material_count(wx: Both, media: Path) -> None:
    await wx(wx.client.material.add_material, "image", media / "image.jpg")
    await wx(wx.client.material.add_material, "image", media / "image.png")
    await wx(wx.client.material.add_material, "voice", media / "voice-2s.mp3")
    count = await wx(wx.client.material.get_material_count)
    assert isinstance(count, MaterialCount)
    assert (count.image_count, count.voice_count, count.video_count) == (2, 1, 0)


async def test_paging_reads_past_twenty_items(wx: Both, media: Path) -> None:
    image = (media / "image.png").read_bytes()
    for n in range(23):
        await wx(wx.client.material.add_material, "image", image, f"图片-{n:02d}.png")

    page = await wx(wx.client.material.batch_get_material, "image", 0, 20)
    assert page.total_count == 23
    assert page.item_count == 20
    assert len(page.items) == 20
    assert all(isinstance(item, MaterialItem) for item in page.items)
    assert page.items[0].update_time is not None

    items = await wx.collect(wx.client.material.stream_get_material("image", page_size=7))
    names = sorted(item.name for item in items)
    assert names == [f"图片-{n:02d}.png" for n in range(23)]
    assert len({item.media_id for item in items}) == 23

    tail = await wx.collect(wx.client.material.stream_get_material("image", offset=20))
    assert len(tail) == 3


async def test_news_pages_hold_their_articles(wx: Both, media: Path) -> None:
    thumb = await add_thumb(wx, media)
    await wx(wx.client.material.add_news, [article(thumb)])
    page = await wx(wx.client.material.batch_get_material, "news")
    assert page.total_count == 1
    item = page.items[0]
    assert isinstance(item, NewsItem)
    assert item.content.articles[0].title == "春天的第一篇"
    streamed = await wx.collect(wx.client.material.stream_get_material("news"))
    assert [i.media_id for i in streamed] == [item.media_id]


async def test_an_empty_list_streams_nothing(wx: Both) -> None:
    assert await wx.collect(wx.client.material.stream_get_material("video")) == []


async def test_jssdk_voice(wx: Both, media: Path) -> None:
    data = (media / "voice-2s.amr").read_bytes()
    media_id = await wx(wx.admin.add_jssdk_voice, wx.client.appid, data)
    got = await wx(wx.client.material.get_jssdk_media, media_id)
    assert isinstance(got, MediaFile)
    assert got.content == data
    with pytest.raises(NotFoundError):
        await wx(wx.client.material.get_jssdk_media, "not-a-jssdk-id")


async def test_non_ascii_and_nameless_uploads_keep_a_proper_name(wx: Both, media: Path) -> None:
    png = (media / "image.png").read_bytes()
    await wx(wx.client.material.add_material, "image", png, "封面 图片.png")
    await wx(wx.client.material.add_material, "image", png)
    await wx(wx.client.material.add_material, "image", media / "image.jpg", "upload.tmp")
    page = await wx(wx.client.material.batch_get_material, "image")
    assert sorted(i.name for i in page.items) == ["media.png", "upload.jpg", "封面 图片.png"]


async def test_invalid_files_are_refused_before_anything_is_sent(
    wx: Both, media: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes((media / "image.jpg").read_bytes() + bytes(10 * MB))
    cases = [
        ("image", big),
        ("image", media / "not-media.txt"),
        ("voice", media / "voice-61s.mp3"),
        ("thumb", media / "image.png"),
    ]
    for kind, path in cases:
        with pytest.raises(MediaValidationError) as caught:
            await wx(wx.client.material.add_material, kind, path)
        assert str(path) in str(caught.value)
    with pytest.raises(MediaValidationError, match="BMP"):
        await wx(wx.client.material.upload_media, "image", media / "image.bmp")
    with pytest.raises(MediaValidationError, match="GIF"):
        await wx(wx.client.material.upload_image, media / "image.gif")
    assert await wx.api_calls() == 0


async def test_bad_arguments_are_refused_before_anything_is_sent(wx: Both, media: Path) -> None:
    with pytest.raises(ValidationError, match="count must be 1 to 20"):
        await wx(wx.client.material.batch_get_material, "image", 0, 21)
    with pytest.raises(ValidationError, match="type must be one of"):
        await wx(wx.client.material.batch_get_material, "thumb")
    with pytest.raises(ValidationError, match="type must be one of"):
        await wx(wx.client.material.add_material, "gif", media / "image.gif")
    with pytest.raises(ValidationError, match="media_id"):
        await wx(wx.client.material.get_material, "")
    with pytest.raises(ValidationError, match=r"count must be 1 to 20"):
        wx.client.material.stream_get_material("image", page_size=0)
    with pytest.raises(ArticleValidationError) as caught:
        await wx(
            wx.client.material.upload_news,
            [article("t"), {"title": "无正文", "thumb_media_id": "t"}],
        )
    assert (caught.value.field, caught.value.index) == ("content", 1)
    with pytest.raises(ArticleValidationError, match="title") as caught:
        await wx(wx.client.material.add_news, [article("t", title="长" * 65)])
    assert caught.value.field == "title"
    with pytest.raises(ArticleValidationError, match="1 to 8"):
        await wx(wx.client.material.add_news, [article("t")] * 9)
    assert await wx.api_calls() == 0


async def test_timestamps_are_aware_datetimes(wx: Both, media: Path) -> None:
    uploaded = await wx(wx.client.material.upload_media, "image", media / "image.jpg")
    now = await wx(wx.admin.now)
    assert abs(uploaded.created_at - datetime.fromtimestamp(now, UTC)) < timedelta(seconds=5)


async def test_the_counts_by_type_follow_what_the_account_holds(wx: Both, media: Path) -> None:
    before = (await wx(wx.client.material.get_material_count)).by_type()
    await wx(wx.client.material.add_material, "image", media / "thumb.jpg")
    await wx(wx.client.material.add_material, "voice", media / "voice-2s.wma")
    after = (await wx(wx.client.material.get_material_count)).by_type()
    assert list(after) == ["image", "voice", "video", "news"]
    assert after == {**before, "image": before["image"] + 1, "voice": before["voice"] + 1}
