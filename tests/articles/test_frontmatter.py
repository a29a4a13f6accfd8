"""Front matter: read as YAML (safe), checked, and the draft id written back keeping the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("markdown_it")

from wechat_material.articles import PostError, frontmatter, load_post


def fields_of(text: str, name: str = "post.md") -> frontmatter.Fields:
    return frontmatter.parse(frontmatter.split(text, name).lines, name)


def test_yaml_values_quotes_comments_and_what_is_ignored() -> None:
    text = (
        "---\n"
        'title: "引号: 里的冒号"\n'
        "# a comment\n"
        "author: '小王'   # trailing comment\n"
        "digest: >\n"
        "  folded over\n"
        "  two lines\n"
        "tags: [a, b]\n"
        "---\n"
        "body\n"
    )
    fields = fields_of(text)

    assert fields.values == {
        "title": "引号: 里的冒号",
        "author": "小王",
        "digest": "folded over two lines\n",
    }
    assert fields.lines["author"] == 4
    assert fields.warnings == [
        "post.md: front matter keys not used by WeChat, ignored: tags "
        "(known: author, comments, cover, digest, media_id, source_url, title)"
    ]
    assert frontmatter.split(text).body == "body\n"


def test_values_are_the_text_written_not_yaml_booleans_or_numbers() -> None:
    fields = fields_of("---\ntitle: 2024\ncomments: off\nauthor:\ndigest: ~\n---\n")

    assert fields.values == {"title": "2024", "comments": "off"}


@pytest.mark.parametrize(
    ("front", "where", "words"),
    [
        ("title: [unclosed\n", "post.md:3:1", "flow sequence that starts at line 2, column 8"),
        ("author: : :\n", "post.md:2:9", "mapping values are not allowed"),
        ("title: a\n  b: c\n", "post.md:3:4", "mapping values are not allowed"),
        ('title: "open\n', "post.md:3:1", "quoted scalar"),
    ],
)
def test_a_yaml_syntax_error_names_file_line_and_column(front: str, where: str, words: str) -> None:
    with pytest.raises(PostError) as caught:
        fields_of(f"---\n{front}---\nbody\n")

    message = str(caught.value)
    assert message.startswith(f"{where}: the front matter is not valid YAML: ")
    assert words in message
    assert "<" not in message  # no Python object's repr in it
    assert "Mark" not in message


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: [a, b]\n", "post.md:2: front matter 'title' must be text, not a list"),
        (
            "title: t\nauthor: {x: 1}\n",
            "post.md:3: front matter 'author' must be text, not a mapping",
        ),
        ("title: a\ntitle: b\n", "post.md:3: front matter 'title' is given twice (also on line 2)"),
        ("- a\n- b\n", "post.md:2: the front matter must be 'key: value' lines, not a list"),
    ],
)
def test_values_of_the_wrong_kind_name_the_key(front: str, message: str) -> None:
    with pytest.raises(PostError) as caught:
        fields_of(f"---\n{front}---\n")

    assert str(caught.value).startswith(message)


def test_unknown_keys_make_one_warning_however_many() -> None:
    keys = "".join(f"k{i}: v\n" for i in range(5000))

    fields = fields_of(f"---\ntitle: t\n{keys}---\n")

    assert len(fields.warnings) == 1
    assert "k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 and 4990 more" in fields.warnings[0]


def test_assets_in_front_matter_cannot_widen_where_images_come_from() -> None:
    fields = fields_of("---\ntitle: t\nassets: /home\n---\n")

    assert "assets" not in fields.values
    assert fields.warnings == [
        "post.md:3: front matter 'assets' is ignored: only '--assets DIR' on the command "
        "line allows images from another folder"
    ]


@pytest.mark.parametrize(
    "value",
    ["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!custom x"],
)
def test_yaml_tags_are_refused_never_built(value: str) -> None:
    with pytest.raises(PostError, match=r"^post\.md:2: front matter 'title' ") as caught:
        fields_of(f"---\ntitle: {value}\n---\n")

    assert caught.value.field == "title"


def test_an_unclosed_front_matter_is_an_error() -> None:
    with pytest.raises(PostError, match=r"^post\.md:1: .*never closed"):
        frontmatter.split("---\ntitle: x\nbody\n", "post.md")


def test_the_draft_id_is_added_and_nothing_else_changes() -> None:
    text = "---\ntitle: T   # keep me\ncover: c.jpg\n---\n# Body\n\ntext with --- inside\n"

    updated = frontmatter.with_draft_id(text, "DRAFT1")

    assert updated == (
        "---\ntitle: T   # keep me\ncover: c.jpg\nmedia_id: DRAFT1\n---\n"
        "# Body\n\ntext with --- inside\n"
    )


def test_the_draft_id_is_replaced_in_place_keeping_crlf_bom_and_comments() -> None:
    text = "\ufeff---\r\n# the draft\r\nmedia_id: OLD  # set by wxm\r\ntitle: T\r\n---\r\nbody\r\n"

    updated = frontmatter.with_draft_id(text, "NEW")

    assert updated == "\ufeff---\r\n# the draft\r\nmedia_id: NEW\r\ntitle: T\r\n---\r\nbody\r\n"
    assert fields_of(updated).values["media_id"] == "NEW"


def test_a_media_id_inside_a_block_value_is_not_mistaken_for_the_key() -> None:
    text = "---\ndigest: |\n  media_id: not this\ntitle: T\n---\n"

    updated = frontmatter.with_draft_id(text, "D1")

    assert updated == "---\ndigest: |\n  media_id: not this\ntitle: T\nmedia_id: D1\n---\n"


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


def test_a_bad_value_names_the_post_and_the_line() -> None:
    with pytest.raises(PostError) as caught:
        frontmatter.check(
            {"title": "t", "comments": "maybe"}, name="post.md", lines={"comments": 4}
        )

    assert str(caught.value) == (
        "post.md:4: front matter 'comments' must be one of open, fans, off, not 'maybe'"
    )


def test_a_media_id_that_is_not_a_plain_line_is_left_to_the_writer() -> None:
    text = '---\ntitle: T\n"media_id": OLD\n---\n'

    with pytest.raises(PostError, match="line 3 is not a plain 'media_id: …' line; set it to NEW"):
        frontmatter.with_draft_id(text, "NEW")


def test_a_control_character_in_a_field_names_its_line(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text('---\ntitle: ok\nauthor: "Ming\\x1b[31m"\n---\ntext\n', "utf-8")

    with pytest.raises(PostError) as caught:
        load_post(post)

    assert str(caught.value).startswith("post.md:3: 'author' holds a control character (U+001B)")
