"""Front matter the writer did not expect to be hard: nested values, YAML errors, odd line ends.

What a writer sees: the fields read (and the line of each), the message of a
YAML error, and the bytes of the post after the draft id is written back.
"""

from __future__ import annotations

import pytest

from wechat_material.articles import PostError, frontmatter


def _fields(text: str) -> frontmatter.Fields:
    return frontmatter.parse(frontmatter.split(text).lines, "post.md")


def test_keys_after_nested_values_of_unknown_keys_are_read_on_their_lines() -> None:
    text = (
        "---\n"
        "extra:\n"
        "  a: [1, {b: 2}]\n"
        "  c: {d: [e, [f, {g: h}]]}\n"
        "title: 真的标题\n"
        "more: [[x], {y: [z]}]\n"
        "author: 小王\n"
        "---\n"
        "正文\n"
    )

    fields = _fields(text)

    assert fields.values == {"title": "真的标题", "author": "小王"}
    assert fields.lines == {"title": 5, "author": 7}
    assert fields.warnings == [
        "post.md: front matter keys not used by WeChat, ignored: extra, more "
        "(known: author, comments, cover, digest, media_id, source_url, title)"
    ]


QUOTE_IT = "quote a value that holds ':', '[', '{' or '#' (title: \"a: b\")"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # inside a construct: where it started is named too
            '---\ntitle: "unclosed\nauthor: x\n---\n',
            "post.md:4:1: the front matter is not valid YAML: found unexpected end of stream "
            "(while scanning a quoted scalar that starts at line 2, column 8); ",
        ),
        (
            "---\ntitle: a: b\n---\n",
            "post.md:2:9: the front matter is not valid YAML: mapping values are not allowed "
            "in this context; ",
        ),
    ],
)
def test_a_yaml_error_names_its_line_and_column_and_how_to_quote(text: str, message: str) -> None:
    with pytest.raises(PostError) as caught:
        _fields(text)

    assert str(caught.value) == message + QUOTE_IT


@pytest.mark.parametrize("end", ["\u2028", "\x85"])
def test_a_last_line_ended_by_a_unicode_line_break_is_kept_whole(end: str) -> None:
    text = f"---\ntitle: 标题{end}---\nbody\n"

    updated = frontmatter.with_draft_id(text, "DRAFT1")

    assert updated == f"---\ntitle: 标题{end}\nmedia_id: DRAFT1\n---\nbody\n"


@pytest.mark.parametrize(
    "line", ["media_id : OLD\n", "media_id:\tOLD  # from: the first run\n", "media_id:  OLD\n"]
)
def test_the_media_id_line_is_replaced_however_it_is_spaced(line: str) -> None:
    text = f"---\ntitle: x\n{line}author: y\n---\nbody\n"

    updated = frontmatter.with_draft_id(text, "NEW")

    assert updated == "---\ntitle: x\nmedia_id: NEW\nauthor: y\n---\nbody\n"


def test_a_post_without_front_matter_gets_no_draft_id() -> None:
    with pytest.raises(PostError) as caught:
        frontmatter.with_draft_id("just text\n", "NEW")

    assert str(caught.value) == "the post has no front matter to write the draft id into"


def test_a_draft_id_that_would_read_back_otherwise_is_left_to_the_writer() -> None:
    text = "---\ntitle: x\n---\nbody\n"

    with pytest.raises(PostError) as caught:
        frontmatter.with_draft_id(text, "x #y")  # YAML would read "x": a comment follows

    assert str(caught.value) == (
        "the draft id could not be written into the front matter; "
        "add 'media_id: x #y' to it yourself"
    )


def _checked(text: str) -> frontmatter.FrontMatter:
    fields = _fields(text)
    return frontmatter.check(fields.values, name="post.md", lines=fields.lines)


@pytest.mark.parametrize(("key", "limit"), [("title", 32), ("author", 16), ("digest", 128)])
def test_a_field_of_exactly_its_limit_passes_and_one_more_is_refused_by_its_line(
    key: str, limit: int
) -> None:
    head = "---\n" + ("" if key == "title" else "title: T\n")
    at_limit = _checked(f"{head}{key}: {'猫' * limit}\n---\n")
    assert getattr(at_limit, key) == "猫" * limit

    with pytest.raises(PostError) as caught:
        _checked(f"{head}{key}: {'猫' * (limit + 1)}\n---\n")

    line = 2 if key == "title" else 3
    assert str(caught.value) == (
        f"post.md:{line}: front matter '{key}' has {limit + 1} characters; "
        f"WeChat allows at most {limit}"
    )
    assert caught.value.field == key


def test_a_source_url_is_measured_in_bytes_up_to_one_kilobyte() -> None:
    base = "https://example.com/"
    fits = base + "猫" * ((1024 - len(base)) // 3) + "a" * ((1024 - len(base)) % 3)
    assert len(fits.encode()) == 1024
    assert _checked(f"---\ntitle: T\nsource_url: {fits}\n---\n").source_url == fits

    with pytest.raises(PostError) as caught:
        _checked(f"---\ntitle: T\nsource_url: {fits}a\n---\n")

    assert str(caught.value) == (
        "post.md:3: front matter 'source_url' is 1025 bytes; WeChat allows at most 1024"
    )
    assert caught.value.field == "source_url"


def test_values_are_trimmed_before_they_are_measured() -> None:
    # A folded block value ends in a line break: it does not count against the limit.
    meta = _checked("---\ntitle: >\n  " + "猫" * 32 + "\n---\n")

    assert meta.title == "猫" * 32


def test_a_last_line_ended_by_a_carriage_return_gets_no_extra_line_break() -> None:
    text = "---\ntitle: 标题\r---\nbody\n"

    updated = frontmatter.with_draft_id(text, "DRAFT1")

    assert updated == "---\ntitle: 标题\rmedia_id: DRAFT1\n---\nbody\n"
