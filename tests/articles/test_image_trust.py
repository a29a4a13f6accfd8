"""A post's images come only from where they should: its folder, --assets, safe URLs, data:.

Each refusal happens before the file is opened (an audit hook watches every
``open``) or before any connection is made (a transport that fails the test
if it is called), and names the post, the line and the reference as written.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from wechat_material import WeChatClient
from wechat_material.articles import PostError, PublishOptions, load_post, publish_post
from wechat_material.articles.images import ImageRules
from wechat_material.articles.publisher import read_post_images
from wechat_material.errors import URLRefusedError

from .conftest import MEDIA, WebServer

UPLOADIMG = "/cgi-bin/media/uploadimg"
IMAGE_LINE = 5
OUTSIDE_HINT = "is outside the post's folder (use --assets DIR to allow another folder)"

_watching: list[list[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _watching and isinstance(args[0], str | bytes | os.PathLike):
        _watching[-1].append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # for the whole run; it records only while a test watches


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every path this process opens while the test runs."""
    seen: list[str] = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.remove(seen)


def never_connect(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"a connection was attempted to {request.url}")


@pytest.fixture
def no_network() -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(never_connect)) as client:
        yield client


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the blog holding a real PNG: readable, so only the rules keep it out."""
    folder = tmp_path / "private"
    folder.mkdir()
    shutil.copy(MEDIA / "image.png", folder / "secret.png")
    return folder


@pytest.fixture
def blog(tmp_path: Path, outside: Path) -> Path:
    folder = tmp_path / "blog"
    (folder / "images").mkdir(parents=True)
    shutil.copy(MEDIA / "image.jpg", folder / "images" / "ok.jpg")
    (folder / "images" / "link.png").symlink_to(outside / "secret.png")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    return folder


def write_post(folder: Path, image: str) -> Path:
    """``post.md`` in ``folder`` with ``image`` on line :data:`IMAGE_LINE`."""
    path = folder / "post.md"
    path.write_text(f"---\ntitle: 标题\n---\n\n![图]({image})\n\n正文。\n", "utf-8")
    return path


def outside_refs(outside: Path) -> dict[str, str]:
    secret = outside / "secret.png"
    return {
        "parent": "../private/secret.png",
        "absolute": str(secret),
        "home": "~/secret.png",
        "symlink inside": "images/link.png",
        "symlinked folder": "linked/secret.png",
        "up and down": "images/../../private/secret.png",
        "percent-encoded": quote("../private/secret.png", safe=""),
    }


CASES = ["parent", "absolute", "home", "symlink inside", "symlinked folder", "up and down"]


@pytest.mark.parametrize("case", [*CASES, "percent-encoded"])
def test_an_image_outside_the_post_s_folder_is_refused_unread(
    case: str,
    blog: Path,
    outside: Path,
    opened: list[str],
    no_network: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(outside))  # '~' expanded would land on the secret
    ref = outside_refs(outside)[case]
    post = load_post(write_post(blog, ref))

    with pytest.raises(PostError) as caught:
        read_post_images(post, no_network)

    shown = ref if case != "percent-encoded" else "../private/secret.png"
    assert str(caught.value) == f"post.md:{IMAGE_LINE}: {shown} {OUTSIDE_HINT}"
    assert not [p for p in opened if "secret" in p or p.startswith(str(outside))]


@pytest.mark.parametrize("case", CASES)
def test_the_preview_embeds_nothing_from_outside(
    case: str, wxm: Any, blog: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(outside))
    post = write_post(blog, outside_refs(outside)[case])
    secret = base64.b64encode((outside / "secret.png").read_bytes()).decode()

    result = wxm("publish", str(post), "--preview")

    assert result.exit_code == 3, result.output
    assert OUTSIDE_HINT in result.stderr
    assert not (blog / "post.preview.html").exists()
    assert secret[:40] not in result.output


def test_assets_allows_a_folder_the_command_line_names(wxm: Any, blog: Path, outside: Path) -> None:
    post = write_post(blog, "../private/secret.png")
    secret = base64.b64encode((outside / "secret.png").read_bytes()).decode()

    result = wxm("publish", str(post), "--preview", "--assets", str(outside))

    assert result.exit_code == 0, result.output
    assert secret in (blog / "post.preview.html").read_text("utf-8")


def test_assets_in_front_matter_does_not_widen_anything(
    blog: Path, outside: Path, no_network: httpx.Client
) -> None:
    path = blog / "post.md"
    path.write_text(f"---\ntitle: t\nassets: {outside}\n---\n![x](../private/secret.png)\n")
    post = load_post(path)

    with pytest.raises(PostError, match="outside the post's folder"):
        read_post_images(post, no_network)
    assert any("'assets' is ignored" in warning for warning in post.warnings)


def test_a_text_file_named_jpg_is_refused_by_name_without_a_repr(
    blog: Path, opened: list[str], no_network: httpx.Client
) -> None:
    (blog / "notes.jpg").write_text("just some text\n" * 1000)
    post = load_post(write_post(blog, "notes.jpg"))

    with pytest.raises(PostError) as caught:
        read_post_images(post, no_network)

    message = str(caught.value)
    assert message.startswith(f"post.md:{IMAGE_LINE}: notes.jpg is not a JPEG, PNG, GIF, BMP or")
    assert "object at 0x" not in message
    assert "<" not in message


def test_a_cover_outside_is_refused_with_its_front_matter_line(
    blog: Path, no_network: httpx.Client
) -> None:
    path = blog / "post.md"
    path.write_text("---\ntitle: t\ncover: /etc/passwd\n---\n![x](images/ok.jpg)\n")
    post = load_post(path)

    with pytest.raises(PostError) as caught:
        read_post_images(post, no_network)

    assert str(caught.value) == f"post.md:3: /etc/passwd {OUTSIDE_HINT}"


def test_a_missing_file_is_named_as_written(blog: Path, no_network: httpx.Client) -> None:
    post = load_post(write_post(blog, "images/nope.png"))

    with pytest.raises(PostError, match=rf"^post\.md:{IMAGE_LINE}: images/nope\.png"):
        read_post_images(post, no_network)


# schemes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "file:///etc/hostname",
        "FILE:///etc/passwd",
        "javascript:alert(1)",
        "ftp://example.com/a.png",
        "//example.com/a.png",
    ],
)
def test_other_schemes_are_refused_when_the_post_is_loaded(ref: str, blog: Path) -> None:
    with pytest.raises(PostError) as caught:
        load_post(write_post(blog, ref))

    message = str(caught.value)
    assert message.startswith(f"post.md:{IMAGE_LINE}: {ref}: ")
    assert "cannot be published" in message


def test_a_file_url_is_never_published_as_text(wxm: Any, blog: Path, sandbox: Any) -> None:
    result = wxm("publish", str(write_post(blog, "file:///etc/hostname")))

    assert result.exit_code == 3
    assert f"post.md:{IMAGE_LINE}: file:///etc/hostname" in result.stderr
    assert sandbox.admin.counters() == {}


def _png_data_uris() -> list[str]:
    data = (MEDIA / "image.png").read_bytes()
    return [
        "data:image/png;base64," + base64.b64encode(data).decode(),
        "data:image/png," + quote(data, safe=""),
    ]


@pytest.mark.parametrize("uri", _png_data_uris(), ids=["base64", "percent-encoded"])
def test_data_images_are_decoded_and_uploaded(
    uri: str, client: WeChatClient, sandbox: Any, blog: Path
) -> None:
    path = write_post(blog, uri)

    outcome = publish_post(client, path)

    stored = client.draft.get(outcome.draft_id).articles[0].content
    assert sandbox.admin.counters()[UPLOADIMG] == 1
    assert "data:" not in stored
    assert f"{sandbox.base_url}/mmbiz/" in stored


def test_a_data_uri_that_is_not_an_image_is_refused(blog: Path, no_network: httpx.Client) -> None:
    uri = "data:image/png;base64," + base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    post = load_post(write_post(blog, uri))

    with pytest.raises(PostError) as caught:
        read_post_images(post, no_network)

    message = str(caught.value)
    assert message.startswith(f"post.md:{IMAGE_LINE}: data:image/png;base64,")
    assert "is not a JPEG, PNG, GIF, BMP or WebP image" in message
    assert "No such file" not in message


# remote images ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/a.png",
        "http://[::1]/a.png",
        "http://[fe80::1]/a.png",
        "http://127.0.0.1:9/a.png",
        "http://10.0.0.1/a.png",
        "http://0.0.0.0/a.png",
        "http://224.0.0.1/a.png",
    ],
)
def test_private_addresses_are_refused_without_a_connection(
    url: str, blog: Path, no_network: httpx.Client
) -> None:
    post = load_post(write_post(blog, url))

    with pytest.raises(PostError) as caught:
        read_post_images(post, no_network)

    message = str(caught.value)
    assert message.startswith(f"post.md:{IMAGE_LINE}: ")
    assert "--allow-private-hosts" in message


@pytest.fixture
def recorded(web: WebServer) -> WebServer:
    """A server holding a picture, and a redirector on it that sends there."""
    web.files["/photo.png"] = (MEDIA / "image.png").read_bytes()
    web.redirects["/jump"] = web.url("/photo.png", host="localhost")
    return web


@pytest.mark.parametrize("path", ["/photo.png", "/jump"])
def test_by_default_no_request_reaches_a_loopback_server(
    path: str, recorded: WebServer, client: WeChatClient, sandbox: Any, blog: Path
) -> None:
    # "localhost" is not the API's own host (the sandbox is 127.0.0.1), so it is not trusted.
    post = write_post(blog, recorded.url(path, host="localhost"))

    with pytest.raises(PostError, match="--allow-private-hosts"):
        publish_post(client, post)

    assert recorded.hits == []
    assert sandbox.admin.counters() == {}


def test_a_redirect_to_a_private_address_is_refused(
    recorded: WebServer, client: WeChatClient, blog: Path
) -> None:
    # The first hop is a trusted service; the hop it redirects to is checked again.
    post = write_post(blog, recorded.url("/jump"))
    service = recorded.url("").removeprefix("http://")
    options = PublishOptions(images=ImageRules(trusted_hosts=frozenset({service})))

    with pytest.raises(PostError, match="--allow-private-hosts"):
        publish_post(client, post, options)

    assert recorded.hits == ["/jump"]


def test_another_port_of_the_api_host_is_not_fetched_from(
    recorded: WebServer, client: WeChatClient, blog: Path
) -> None:
    # The sandbox listens on 127.0.0.1 too, on another port: that does not make
    # every service of 127.0.0.1 a picture host.
    post = write_post(blog, recorded.url("/photo.png"))

    with pytest.raises(PostError, match="is not trusted"):
        publish_post(client, post)

    assert recorded.hits == []


@pytest.mark.parametrize("path", ["/photo.png", "/jump"])
def test_allow_private_hosts_lets_the_request_through(
    path: str, recorded: WebServer, client: WeChatClient, sandbox: Any, blog: Path
) -> None:
    post = write_post(blog, recorded.url(path, host="localhost"))
    options = PublishOptions(images=ImageRules(allow_private_hosts=True))

    publish_post(client, post, options)

    assert recorded.hits[-1] == "/photo.png"
    assert sandbox.admin.counters()[UPLOADIMG] == 1


def test_the_cli_flag_allows_private_hosts(
    wxm: Any, recorded: WebServer, sandbox: Any, blog: Path
) -> None:
    post = write_post(blog, recorded.url("/jump", host="localhost"))

    refused = wxm("publish", str(post))
    allowed = wxm("publish", str(post), "--allow-private-hosts")

    assert refused.exit_code == 3
    assert "--allow-private-hosts" in refused.stderr
    assert allowed.exit_code == 0, allowed.output
    assert recorded.hits == ["/jump", "/photo.png"]


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "javascript://mp.weixin.qq.com/%0aalert(1)", "file:///etc/x"]
)
def test_links_with_other_schemes_stay_text(link: str, blog: Path) -> None:
    path = blog / "post.md"
    path.write_text(f"---\ntitle: t\n---\n\n[点这里]({link})\n")

    html = load_post(path).rendered.html

    assert "点这里" in html
    assert "href" not in html
    assert link.split(":")[0] + ":" not in html


def test_a_tampered_upload_cache_is_not_trusted(
    client: WeChatClient, sandbox: Any, blog: Path
) -> None:
    from wechat_material.articles import AccountCache

    post = write_post(blog, "images/ok.jpg")
    publish_post(client, post)
    cache_file = AccountCache.for_account(client.base_url, client.appid).path
    cached = json.loads(cache_file.read_text("utf-8"))
    for sha in cached["images"]:
        cached["images"][sha] = 'javascript:alert(1)" onerror="x'
    for sha in cached["covers"]:
        cached["covers"][sha] = "../../etc/passwd"
    cache_file.write_text(json.dumps(cached), "utf-8")
    sandbox.admin.reset_counters()

    outcome = publish_post(client, post)

    content = client.draft.get(outcome.draft_id).articles[0].content
    assert "javascript" not in content
    assert outcome.uploads.images == 1  # uploaded again rather than taken from the cache
    assert outcome.uploads.covers == 1


@pytest.mark.parametrize(
    ("markdown", "line", "ref"),
    [
        ('text\n<img src="../private/secret.png">\n', 6, "../private/secret.png"),
        ('<p>\n<img alt="a"\n src="/etc/passwd">\n</p>\n', 6, "/etc/passwd"),  # the tag's line
        ("<div><img src='file:///etc/hostname'></div>\n", 5, "file:///etc/hostname"),
    ],
    ids=["inline", "block", "file scheme"],
)
def test_images_in_raw_html_follow_the_same_rules(
    markdown: str, line: int, ref: str, blog: Path, opened: list[str], no_network: httpx.Client
) -> None:
    path = blog / "post.md"
    path.write_text(f"---\ntitle: t\n---\n\n{markdown}", "utf-8")

    with pytest.raises(PostError) as caught:
        read_post_images(load_post(path), no_network)

    assert str(caught.value).startswith(f"post.md:{line}: {ref}")
    assert not [p for p in opened if "secret" in p or p == "/etc/passwd"]


def test_a_remote_image_over_10_mb_is_cut_off(
    recorded: WebServer, client: WeChatClient, sandbox: Any, blog: Path
) -> None:
    png = (MEDIA / "image.png").read_bytes()
    recorded.files["/huge.png"] = png + b"\0" * (10 * 1024 * 1024)
    post = write_post(blog, recorded.url("/huge.png", host="localhost"))
    options = PublishOptions(images=ImageRules(allow_private_hosts=True))

    with pytest.raises(PostError, match=rf"^post\.md:{IMAGE_LINE}: .*huge\.png"):
        publish_post(client, post, options)

    assert sandbox.admin.counters() == {}


def test_a_dry_run_names_a_data_image_without_its_whole_payload(wxm: Any, blog: Path) -> None:
    uri = _png_data_uris()[0]

    result = wxm("publish", str(write_post(blog, uri)), "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["images"] == [uri[:60] + "…"]
    assert uri not in result.output


def test_assets_must_name_a_folder(wxm: Any, blog: Path) -> None:
    post = write_post(blog, "images/ok.jpg")

    result = wxm("publish", str(post), "--dry-run", "--assets", str(blog / "nowhere"))

    assert result.exit_code == 2
    assert "--assets" in result.stderr
    assert "not a folder" in result.stderr


def test_the_api_in_use_is_trusted_on_its_own_port_only() -> None:
    policy = ImageRules().trusting("http://127.0.0.1:8123/").policy()

    assert policy.allows("http://127.0.0.1:8123/_sandbox/pictures/1.png")
    # Another port of the sandbox's machine is another service (a database, an admin page).
    with pytest.raises(URLRefusedError, match=r"port 6379 of 127\.0\.0\.1 is not trusted"):
        policy.check_url("http://127.0.0.1:6379/x.png")
    assert ImageRules().trusting(None) == ImageRules()
