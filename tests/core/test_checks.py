"""The shared upload and article rules (what both the SDK and the sandbox apply)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from wechat_material.checks import (
    Problem,
    _size_text,
    article_problem,
    articles_problem,
    check_media,
    extension_format,
    media_problem,
    text_of,
    video_description_problem,
)
from wechat_material.limits import MB, MaterialType, MediaFormat, Target, limit_for

THUMB = limit_for(Target.PERMANENT, MaterialType.THUMB)
TEMP_VOICE = limit_for(Target.TEMPORARY, MaterialType.VOICE)


def article(**fields: Any) -> dict[str, Any]:
    return {"title": "Title", "thumb_media_id": "THUMB", "content": "<p>body</p>", **fields}


def test_media_within_limits_passes() -> None:
    assert media_problem(THUMB, MediaFormat.JPG, 1000) is None
    assert media_problem(TEMP_VOICE, MediaFormat.AMR, 5000, 59.9) is None


@pytest.mark.parametrize(
    ("limit", "fmt", "size", "seconds", "code", "words"),
    [
        (THUMB, MediaFormat.JPG, 0, None, 44001, "empty"),
        (THUMB, MediaFormat.PNG, 10, None, 40005, "PNG"),
        (THUMB, None, 10, None, 40005, "not a recognised"),
        (THUMB, MediaFormat.JPG, 64 * 1024 + 1, None, 40012, "64 KB"),
        (TEMP_VOICE, MediaFormat.WAV, 10, None, 40005, "amr/mp3"),
        (TEMP_VOICE, MediaFormat.MP3, 10, 61.2, 40010, "61.2 s"),
        (
            limit_for(Target.ARTICLE_IMAGE, MaterialType.IMAGE),
            MediaFormat.JPG,
            MB + 1,
            None,
            40009,
            "1 MB",
        ),
    ],
)
def test_media_problems_name_code_and_limit(
    limit: Any, fmt: Any, size: int, seconds: float | None, code: int, words: str
) -> None:
    problem = media_problem(limit, fmt, size, seconds)
    assert problem is not None
    assert problem.errcode == code
    assert words in problem.message


def test_extension_format() -> None:
    assert extension_format("Photo.JPEG") is MediaFormat.JPG
    assert extension_format("voice.amr") is MediaFormat.AMR
    assert extension_format("noext") is None
    assert extension_format("a.txt") is None


def test_valid_articles_pass() -> None:
    assert articles_problem([article()]) is None
    assert articles_problem([article(), article(author="作者", need_open_comment=1)]) is None


@pytest.mark.parametrize(
    ("articles", "code", "field"),
    [
        ([], 40097, "articles"),
        ([article()] * 9, 40097, "articles"),
        ("not a list", 40097, "articles"),
        ([article(title="字" * 65)], 45003, "title"),
        ([article(author="a" * 17)], 45110, "author"),
        ([article(digest="d" * 129)], 45004, "digest"),
        ([article(content="x" * 20_000)], 45002, "content"),
        ([article(content_source_url="http://x/" + "a" * 1024)], 45002, "content_source_url"),
        ([article(show_cover_pic=2)], 40097, "show_cover_pic"),
        ([article(title="")], 40097, "title"),
        ([article(thumb_media_id=None)], 40097, "thumb_media_id"),
    ],
)
def test_article_problems(articles: Any, code: int, field: str) -> None:
    problem = articles_problem(articles)
    assert problem is not None
    assert (problem.errcode, problem.field) == (code, field)


def test_draft_article_type_must_be_known() -> None:
    problem = articles_problem([article(article_type="video")], draft=True)
    assert problem is not None
    assert (problem.errcode, problem.field) == (40097, "article_type")


def test_problem_says_which_article() -> None:
    problem = articles_problem([article(), article(title="t" * 65)])
    assert problem is not None
    assert problem.index == 1
    assert "article 2" in problem.message


def test_newspic_needs_images_not_a_cover_in_the_draft_box() -> None:
    pic = {"article_type": "newspic", "title": "Pics", "content": "c"}
    images = {"image_list": [{"image_media_id": "IMG"}]}
    assert articles_problem([{**pic, "image_info": images}], draft=True) is None
    missing = articles_problem([pic], draft=True)
    assert missing is not None
    assert missing.field == "image_info"
    empty_id = articles_problem([{**pic, "image_info": {"image_list": [{}]}}], draft=True)
    assert empty_id is not None
    assert "image_media_id" in empty_id.message


def test_newspic_exists_only_in_the_draft_box() -> None:
    # add_news / uploadnews know no picture articles: the cover stays required.
    pic = {"article_type": "newspic", "title": "Pics", "content": "c"}
    pic["image_info"] = {"image_list": [{"image_media_id": "IMG"}]}
    problem = articles_problem([pic])
    assert problem is not None
    assert problem.field == "thumb_media_id"
    assert articles_problem([article(article_type="anything")]) is None  # ignored there


def test_text_of_html() -> None:
    assert text_of("<p>Hello <b>world</b></p>\n<p>again</p>") == "Hello world again"


@pytest.mark.parametrize(
    ("title", "intro", "code", "field"),
    [
        ("", "x", 40097, "title"),
        (None, "x", 40097, "title"),
        ("t", None, 40097, "introduction"),
        ("t" * 65, "x", 45003, "title"),
        ("t", "i" * 121, 45004, "introduction"),
    ],
)
def test_video_description_problems(title: Any, intro: Any, code: int, field: str) -> None:
    problem = video_description_problem(title, intro)
    assert problem is not None
    assert (problem.errcode, problem.field) == (code, field)


def test_video_description_ok() -> None:
    assert video_description_problem("视频", "") is None
    assert video_description_problem("t" * 64, "i" * 120) is None


# What each refusal says, to the letter: the index, the field, the numbers.


def _news(**fields: Any) -> dict[str, Any]:
    return {"title": "t", "thumb_media_id": "T", "content": "c", **fields}


def _pictures(count: int, image: Any = None) -> dict[str, Any]:
    entry = {"image_media_id": "I"} if image is None else image
    return _news(article_type="newspic", image_info={"image_list": [entry] * count})


@pytest.mark.parametrize(
    ("article", "problem"),
    [
        (
            _news(article_type="video"),
            Problem(
                40097,
                "article 3: 'article_type' must be 'news' or 'newspic', not 'video'",
                "article_type",
                2,
            ),
        ),
        (
            _news(need_open_comment=2),
            Problem(40097, "article 3: 'need_open_comment' must be 0 or 1", "need_open_comment", 2),
        ),
        (
            _pictures(21),
            Problem(
                40097,
                "article 3: 'image_info.image_list' must list 1 to 20 images for a newspic article",
                "image_info",
                2,
            ),
        ),
        (
            _pictures(0),
            Problem(
                40097,
                "article 3: 'image_info.image_list' must list 1 to 20 images for a newspic article",
                "image_info",
                2,
            ),
        ),
        (
            _pictures(3, image={"image_media_id": ""}),
            Problem(
                40097,
                "article 3: 'image_info.image_list': each image needs an 'image_media_id'",
                "image_info",
                2,
            ),
        ),
        (_pictures(20), None),
        (_pictures(1), None),
    ],
)
def test_a_draft_article_is_refused_in_these_words(article: dict[str, Any], problem: Any) -> None:
    assert article_problem(article, 2, draft=True) == problem


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1023, "1023 bytes"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (1024 * 1024 - 1, "1024.0 KB"),
        (1024 * 1024, "1.0 MB"),
        (3 * 1024 * 1024 // 2, "1.5 MB"),
        (100 * 1024 * 1024, "100.0 MB"),
    ],
)
def test_sizes_are_told_in_bytes_kb_or_mb(size: int, text: str) -> None:
    assert _size_text(size) == text


@pytest.mark.parametrize(
    ("article", "problem"),
    [
        (_news(title=5), Problem(40097, "article 3: 'title' must be text", "title", 2)),
        (
            _news(show_cover_pic=1, content="字" * 20_000),
            Problem(
                45002,
                "article 3: 'content' has 20000 characters; at most 19999 are allowed",
                "content",
                2,
            ),
        ),
        (
            _news(content_source_url="https://e.example/" + "a" * 1010),
            Problem(
                45002,
                "article 3: 'content_source_url' is 1.0 KB; at most 1.0 KB is allowed",
                "content_source_url",
                2,
            ),
        ),
        ("not an article", Problem(40097, "article 3 must be an object", None, 2)),
    ],
)
def test_an_article_field_is_refused_in_these_words(article: Any, problem: Problem) -> None:
    assert article_problem(article, 2) == problem


def test_an_article_is_the_first_and_a_plain_one_unless_said_otherwise() -> None:
    assert article_problem("x") == Problem(40097, "article 1 must be an object", None, 0)
    pictures = _pictures(2)
    del pictures["thumb_media_id"]
    assert article_problem(pictures, draft=True) is None
    refused = article_problem(pictures)  # outside the draft box: a plain article, no cover
    assert refused is not None
    assert refused.field == "thumb_media_id"


def test_no_list_of_articles_is_said_so() -> None:
    assert articles_problem([{}] * 9) == Problem(40097, "9 articles given; send 1 to 8", "articles")
    assert articles_problem("x") == Problem(
        40097, "no list of articles given; send 1 to 8", "articles"
    )


def test_the_extension_is_what_follows_the_last_dot() -> None:
    assert extension_format("photo.v2.jpg") is MediaFormat.JPG
    assert extension_format("jpg") is None


def test_media_refusals_in_these_words() -> None:
    limit = limit_for(Target.PERMANENT, MaterialType.THUMB)
    assert media_problem(limit, MediaFormat.JPG, 0) == Problem(44001, "the file is empty")
    assert media_problem(limit, None, 10) == Problem(
        40005, f"it is not a recognised media file; {limit.describe()}"
    )


def test_a_damaged_file_keeps_its_format_in_the_verdict(media_dir: Path) -> None:
    data = (media_dir / "image.jpg").read_bytes()[:-40]
    limit = limit_for(Target.PERMANENT, MaterialType.IMAGE)
    verdict = check_media(limit, io.BytesIO(data), len(data))
    assert verdict.format is MediaFormat.JPG
    assert verdict.problem is not None


@pytest.mark.parametrize(
    ("title", "introduction", "problem"),
    [
        (" ", "i", Problem(40097, "a video material needs a title", "title")),
        ("t", None, Problem(40097, "a video material needs an introduction", "introduction")),
        ("题" * 65, "i", Problem(45003, "the video title has 65 characters; at most 64", "title")),
        (
            "t",
            "介" * 121,
            Problem(
                45004, "the video introduction has 121 characters; at most 120", "introduction"
            ),
        ),
    ],
)
def test_a_video_description_is_refused_in_these_words(
    title: Any, introduction: Any, problem: Problem
) -> None:
    assert video_description_problem(title, introduction) == problem


def test_a_voice_of_exactly_the_limit_is_taken() -> None:
    limit = limit_for(Target.PERMANENT, MaterialType.VOICE)
    assert media_problem(limit, MediaFormat.MP3, 1000, 60.0) is None
    refused = media_problem(limit, MediaFormat.MP3, 1000, 60.05)
    assert refused == Problem(40010, f"it lasts 60.0 s, over the limit; {limit.describe()}")
