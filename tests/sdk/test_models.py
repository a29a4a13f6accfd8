"""Reply models: tolerant of what WeChat adds, strict about what it must send."""

from __future__ import annotations

from datetime import UTC, datetime

from wechat_material import (
    Article,
    NewsItem,
    Page,
    PublishResult,
    PublishStatus,
    UploadedMaterial,
    UploadedMedia,
)


def test_thumb_uploads_name_their_id_thumb_media_id() -> None:
    reply = {"type": "thumb", "thumb_media_id": "T1", "created_at": 1672500000}
    assert UploadedMedia.model_validate(reply).media_id == "T1"
    assert UploadedMaterial.model_validate({"thumb_media_id": "T2"}).media_id == "T2"


def test_success_replies_may_carry_errcode_zero_and_new_fields() -> None:
    reply = {"errcode": 0, "errmsg": "ok", "media_id": "M", "url": "http://x", "new": [1]}
    material = UploadedMaterial.model_validate(reply)
    assert material.media_id == "M"
    assert material.model_extra == {"errcode": 0, "errmsg": "ok", "new": [1]}


def test_timestamps_become_aware_datetimes() -> None:
    media = UploadedMedia.model_validate({"type": "image", "media_id": "M", "created_at": 0})
    assert media.created_at == datetime(1970, 1, 1, tzinfo=UTC)


def test_empty_lists_may_come_as_null() -> None:
    page = Page[NewsItem].model_validate({"total_count": 0, "item_count": 0, "item": None})
    assert page.items == []
    result = PublishResult.model_validate({"publish_id": 1, "publish_status": 0, "fail_idx": None})
    assert result.fail_idx == []
    assert result.publish_id == "1"  # ids sent as numbers become strings


def test_publish_status_is_an_enum_and_unknown_codes_survive() -> None:
    known = PublishResult.model_validate({"publish_id": "1", "publish_status": 4})
    assert known.publish_status is PublishStatus.REJECTED
    assert known.done
    assert not known.succeeded
    unknown = PublishResult.model_validate({"publish_id": "1", "publish_status": 9})
    assert unknown.publish_status == 9
    assert unknown.done


def test_articles_read_back_from_wechat_keep_their_reply_only_fields() -> None:
    article = Article.model_validate(
        {
            "title": "t",
            "content": "c",
            "thumb_media_id": "m",
            "url": "http://a",
            "is_deleted": False,
        }
    )
    assert article.url == "http://a"
    assert article.is_deleted is False
