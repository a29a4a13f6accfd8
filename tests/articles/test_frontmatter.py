"""Front matter: reading it, and writing the draft id back without touching anything else."""

from __future__ import annotations

import pytest

pytest.importorskip("markdown_it")

from wechat_material.articles import PostError, frontmatter


def fields_of(text: str) -> dict[str, str]:
    return frontmatter.parse_lines(frontmatter.split(text).lines)[0]


def test_flat_fields_quotes_comments_and_what_is_ignored() -> None:
    text = (
        "---\n"
        'title: "引号: 里的冒号"\n'
        "# a comment\n"
        "author: '小王'\n"
        "tags: [a, b]\n"
        "  indented: line\n"
        "---\n"
        "body\n"
    )
    fields, warnings = frontmatter.parse_lines(frontmatter.split(text).lines)

    assert fields == {"title": "引号: 里的冒号", "author": "小王"}
    assert warnings == [
        "front matter key 'tags' is not used by WeChat; ignored",
        "front matter line 6 is not 'key: value'; ignored",
    ]
    assert frontmatter.split(text).body == "body\n"


def test_an_unclosed_front_matter_is_an_error() -> None:
    with pytest.raises(PostError, match="never closed"):
        frontmatter.split("---\ntitle: x\nbody\n")


def test_the_draft_id_is_added_and_nothing_else_changes() -> None:
    text = "---\ntitle: T\ncover: c.jpg\n---\n# Body\n\ntext with --- inside\n"

    updated = frontmatter.with_draft_id(text, "DRAFT1")

    assert (
        updated
        == "---\ntitle: T\ncover: c.jpg\nmedia_id: DRAFT1\n---\n# Body\n\ntext with --- inside\n"
    )


def test_the_draft_id_is_replaced_in_place_keeping_crlf_and_bom() -> None:
    text = "\ufeff---\r\nmedia_id: OLD\r\ntitle: T\r\n---\r\nbody\r\n"

    updated = frontmatter.with_draft_id(text, "NEW")

    assert updated == "\ufeff---\r\nmedia_id: NEW\r\ntitle: T\r\n---\r\nbody\r\n"
    assert fields_of(updated)["media_id"] == "NEW"


def test_comment_modes_become_the_two_flags() -> None:
    flags = {
        mode: frontmatter.check({"title": "t", "comments": mode}).comment_flags()
        for mode in ("open", "fans", "off")
    }

    assert flags == {
        "open": {"need_open_comment": 1, "only_fans_can_comment": 0},
        "fans": {"need_open_comment": 1, "only_fans_can_comment": 1},
        "off": {"need_open_comment": 0, "only_fans_can_comment": 0},
    }
    assert frontmatter.check({"title": "t"}).comment_flags() == {}


def test_a_missing_title_names_the_field() -> None:
    with pytest.raises(PostError, match="no title") as caught:
        frontmatter.check({"author": "a"})

    assert caught.value.field == "title"
