"""Publishing posts to the sandbox from code: uploads, the draft, republishing, read-back."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.articles.conftest import MEDIA, WebServer

from wechat_material import WeChatClient
from wechat_material.articles import (
    AccountCache,
    ImageRules,
    PostError,
    PublishOptions,
    frontmatter,
    publish_post,
)

UPLOADIMG = "/cgi-bin/media/uploadimg"
ADD_MATERIAL = "/cgi-bin/material/add_material"
SENDING = (UPLOADIMG, ADD_MATERIAL, "/cgi-bin/draft/add", "/cgi-bin/draft/update")
# The test's web server stands for the internet, on this machine's loopback address.
FROM_LOOPBACK = PublishOptions(images=ImageRules(allow_private_hosts=True))


def uploads(sandbox: Any) -> dict[str, int]:
    counters = sandbox.admin.counters()
    return {path: counters.get(path, 0) for path in (UPLOADIMG, ADD_MATERIAL)}


def draft_id_in(post: Path) -> str | None:
    fields = frontmatter.parse(frontmatter.split(post.read_text("utf-8")).lines).values
    return fields.get("media_id")


def test_first_publish_uploads_every_image_once_and_writes_the_draft_id_back(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    post = posts / "full.md"

    outcome = publish_post(client, post)

    draft = client.draft.get(outcome.draft_id)
    article = draft.articles[0]
    sources = re.findall(r'<img[^>]*src="([^"]+)"', article.content)
    assert outcome.created
    assert uploads(sandbox) == {UPLOADIMG: 2, ADD_MATERIAL: 1}
    assert (outcome.uploads.images, outcome.uploads.reused, outcome.uploads.covers) == (2, 0, 1)
    assert len(sources) == 2
    assert all(src.startswith(f"{sandbox.base_url}/mmbiz/mmbiz_") for src in sources)
    assert article.title == "春天来了 🌸 一篇完整的样例"
    assert article.author == "小王"
    assert article.digest
    assert article.digest.startswith("这是第一段")
    assert (article.need_open_comment, article.only_fans_can_comment) == (1, 1)
    assert draft_id_in(post) == outcome.draft_id
    # The sandbox keeps inline SVG as WeChat does (docs/publishing.en.md): the block
    # formula arrives as drawn, the inline one as text, and no change is reported.
    assert article.content.count("<svg") == 1
    assert "<i>E</i>" in article.content
    assert [str(change) for change in outcome.changes] == []


def test_publishing_again_updates_the_same_draft_and_uploads_nothing(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    post = posts / "full.md"
    first = publish_post(client, post)
    post.write_text(post.read_text("utf-8").replace("这是第一段", "这是改过的第一段"), "utf-8")
    sandbox.admin.reset_counters()

    second = publish_post(client, post)

    assert second.draft_id == first.draft_id
    assert not second.created
    assert uploads(sandbox) == {UPLOADIMG: 0, ADD_MATERIAL: 0}
    assert (second.uploads.images, second.uploads.reused, second.uploads.covers) == (0, 2, 0)
    assert client.draft.count() == 1
    assert "这是改过的第一段" in client.draft.get(first.draft_id).articles[0].content


def test_a_deleted_draft_is_replaced_and_the_writer_told(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    post = posts / "full.md"
    first = publish_post(client, post)
    client.draft.delete(first.draft_id)

    second = publish_post(client, post)

    assert second.created
    assert second.draft_id != first.draft_id
    assert any("was published or deleted" in note for note in second.notes)
    assert draft_id_in(post) == second.draft_id
    assert client.draft.count() == 1


def test_submit_and_wait(client: WeChatClient, posts: Path) -> None:
    outcome = publish_post(client, posts / "full.md", PublishOptions(submit=True, wait=True))

    assert outcome.publish_id
    assert outcome.result is not None
    assert outcome.result.succeeded
    assert outcome.result.article_urls[0].startswith("http")


def test_without_write_back_the_file_is_untouched_and_the_draft_still_reused(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    post = posts / "full.md"
    before = post.read_bytes()
    options = PublishOptions(write_back=False)

    first = publish_post(client, post, options)
    second = publish_post(client, post, options)

    assert post.read_bytes() == before
    assert second.draft_id == first.draft_id
    assert client.draft.count() == 1
    assert AccountCache.for_account(client.base_url, client.appid).draft_id(post) == first.draft_id


def test_remote_and_converted_images(
    client: WeChatClient, sandbox: Any, posts: Path, web: WebServer
) -> None:
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    big = io.BytesIO()
    noise.save(big, "PNG")
    assert big.tell() > 1024 * 1024
    web.files["/big.png"] = big.getvalue()
    post = posts / "remote.md"
    post.write_text(post.read_text("utf-8").replace("REMOTE_URL", web.url("/big.png")), "utf-8")

    outcome = publish_post(client, post, FROM_LOOPBACK)

    content = client.draft.get(outcome.draft_id).articles[0].content
    assert web.hits == ["/big.png"]
    assert uploads(sandbox) == {UPLOADIMG: 2, ADD_MATERIAL: 1}
    # The big PNG and the GIF (no transparency) both became JPEGs.
    assert content.count(f'src="{sandbox.base_url}/mmbiz/mmbiz_jpg/') == 2
    converted = " ".join(outcome.notes)
    assert "big.png: PNG of 1.4 MB converted to JPG" in converted
    assert "image.gif: GIF" in converted


def test_a_post_without_any_image_names_the_fix_and_sends_nothing(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    with pytest.raises(PostError, match=r"cover: path/to/image\.jpg") as caught:
        publish_post(client, posts / "plain.md")

    assert caught.value.field == "cover"
    assert not any(path in sandbox.admin.counters() for path in SENDING)


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("title: " + "长" * 33, "title", "33 characters; WeChat allows at most 32"),
        ("author: " + "a" * 17, "author", "at most 16"),
        ("digest: " + "d" * 129, "digest", "at most 128"),
        ("comments: everyone", "comments", "open, fans, off"),
        ("source_url: ftp://x", "source_url", "http(s)"),
    ],
)
def test_front_matter_is_checked_before_anything_is_sent(
    client: WeChatClient, sandbox: Any, posts: Path, line: str, field: str, words: str
) -> None:
    post = posts / "full.md"
    text = post.read_text("utf-8")
    key = line.split(":")[0]
    text = re.sub(rf"(?m)^{key}: .*\n", "", text).replace("---\n", f"---\n{line}\n", 1)
    post.write_text(text, "utf-8")

    with pytest.raises(PostError, match=re.escape(words)) as caught:
        publish_post(client, post)

    assert caught.value.field == field
    assert not any(path in sandbox.admin.counters() for path in SENDING)


def test_a_missing_image_fails_before_any_upload(
    client: WeChatClient, sandbox: Any, posts: Path
) -> None:
    post = posts / "full.md"
    post.write_text(post.read_text("utf-8") + "\n![gone](nowhere.png)\n", "utf-8")

    with pytest.raises(PostError, match=r"nowhere\.png"):
        publish_post(client, post)

    assert not any(path in sandbox.admin.counters() for path in SENDING)


def test_what_wechat_removed_is_reported(client: WeChatClient, posts: Path) -> None:
    post = posts / "full.md"
    post.write_text(post.read_text("utf-8") + "\n<script>alert('hi')</script>\n\n结尾。\n", "utf-8")

    outcome = publish_post(client, post)

    assert [str(change) for change in outcome.changes] == ["1 <script> element removed"]


@pytest.mark.parametrize("draft_kept", [False, True], ids=["draft-deleted", "draft-kept"])
def test_a_cover_that_left_the_library_is_uploaded_again(
    client: WeChatClient, sandbox: Any, posts: Path, draft_kept: bool
) -> None:
    post = posts / "full.md"
    first = publish_post(client, post)
    cover_id = client.draft.get(first.draft_id).articles[0].thumb_media_id
    if not draft_kept:
        client.draft.delete(first.draft_id)
    client.material.del_material(cover_id)
    sandbox.admin.reset_counters()

    second = publish_post(client, post)

    assert uploads(sandbox) == {UPLOADIMG: 0, ADD_MATERIAL: 1}
    assert client.draft.get(second.draft_id).articles[0].thumb_media_id != cover_id
    assert client.draft.count() == 1
    assert draft_id_in(post) == second.draft_id
    if draft_kept:
        # The same draft is updated with the new cover: no note that the draft was
        # gone, no draft/add sent on the way.
        assert (second.created, second.draft_id) == (False, first.draft_id)
        assert not any("published or deleted" in note for note in second.notes)
        assert "/cgi-bin/draft/add" not in sandbox.admin.counters()
    else:
        assert second.created


def test_the_cache_is_per_account_and_never_holds_the_secret(
    client: WeChatClient, posts: Path, cache_dir: Path
) -> None:
    publish_post(client, posts / "full.md")

    files = list((cache_dir / "publish").iterdir())
    assert len(files) == 1
    assert files[0].name.startswith(f"{client.appid}.u")
    from wechat_material.sandbox import DEMO_SECRET

    assert DEMO_SECRET not in files[0].name
    assert DEMO_SECRET not in files[0].read_text("utf-8")


def test_the_cover_from_the_front_matter_is_the_thumb(client: WeChatClient, posts: Path) -> None:
    outcome = publish_post(client, posts / "full.md")

    thumb_url = client.draft.get(outcome.draft_id).articles[0].thumb_url
    assert thumb_url is not None
    data = client.material.get_material(
        client.draft.get(outcome.draft_id).articles[0].thumb_media_id
    )
    assert getattr(data, "content", None) == (MEDIA / "image.jpg").read_bytes()


def test_write_back_keeps_windows_line_endings_and_the_file_mode(
    client: WeChatClient, posts: Path
) -> None:
    post = posts / "full.md"
    post.write_bytes(post.read_bytes().replace(b"\n", b"\r\n"))
    post.chmod(0o640)

    outcome = publish_post(client, post)

    data = post.read_bytes()
    assert f"media_id: {outcome.draft_id}\r\n".encode() in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert post.stat().st_mode & 0o777 == 0o640


def test_a_post_that_is_not_utf8_is_refused(client: WeChatClient, posts: Path) -> None:
    post = posts / "full.md"
    post.write_bytes("---\ntitle: 你好\n---\n".encode("gbk"))

    with pytest.raises(PostError, match="not UTF-8"):
        publish_post(client, post)


def test_a_remote_image_that_cannot_be_downloaded_fails_before_any_upload(
    client: WeChatClient, sandbox: Any, posts: Path, web: WebServer
) -> None:
    post = posts / "remote.md"
    post.write_text(post.read_text("utf-8").replace("REMOTE_URL", web.url("/gone.png")), "utf-8")

    with pytest.raises(PostError, match=r"^remote\.md:6: .*gone\.png.*404"):
        publish_post(client, post, FROM_LOOPBACK)

    assert web.hits == ["/gone.png"]
    assert not any(path in sandbox.admin.counters() for path in SENDING)


def test_a_draft_id_that_cannot_be_written_back_is_a_note_not_a_failure(
    client: WeChatClient, posts: Path
) -> None:
    post = posts / "plain.md"
    head = '---\n"media_id": GONE\ncover: media/image.jpg\n'
    text = post.read_text("utf-8").replace("---\n", head, 1)
    post.write_text(text, "utf-8")
    notes: list[str] = []

    outcome = publish_post(client, post, notify=notes.append)

    assert outcome.created
    assert post.read_text("utf-8") == text  # untouched
    assert any(f"set it to {outcome.draft_id} yourself" in note for note in notes)
