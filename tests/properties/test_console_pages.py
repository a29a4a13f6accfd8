"""The sandbox console shows what callers stored as text, whatever it holds.

Article titles, authors and digests, and the names of uploaded files, come from
whoever calls the sandbox. Generated hostile strings are stored through the
WeChat API of the in-process sandbox; the console's pages (the article list,
an article's page and its phone-width frame, the gallery and a material's
page) must give them back as text, with no element, attribute or comment made
of them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, settings
from starlette.applications import Starlette

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, create_app

from .hostile import hostile_text, parse, same_markup
from .test_multipart_bodies import send

IMAGE = (Path(__file__).resolve().parent.parent / "media" / "image.jpg").read_bytes()
SETTINGS = settings(max_examples=30, deadline=None)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Starlette, str, str]]:
    app = create_app(SandboxConfig(seed=13))
    params = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
    token = send(app, "GET", "/cgi-bin/token", params=params).json()["access_token"]
    yield app, token, _upload(app, token, "cover.jpg")
    app.state.sandbox.close()


def _upload(app: Starlette, token: str, filename: str) -> str:
    reply = send(
        app,
        "POST",
        "/cgi-bin/material/add_material",
        params={"access_token": token, "type": "image"},
        files={"media": (filename, IMAGE)},
    )
    return str(reply.json()["media_id"])


def _draft(app: Starlette, token: str, cover: str, **fields: str) -> dict[str, Any]:
    article = {"title": "t", "thumb_media_id": cover, "content": "<p>正文</p>", **fields}
    reply = send(
        app,
        "POST",
        "/cgi-bin/draft/add",
        params={"access_token": token},
        content=json.dumps({"articles": [article]}, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )
    payload: dict[str, Any] = reply.json()
    return payload


def _pages(app: Starlette, media_id: str) -> dict[str, str]:
    paths = {
        "article": f"/ui/articles/draft/{media_id}/0",
        "frame": f"/ui/frame/draft/{media_id}/0",
    }
    return {name: send(app, "GET", path).text for name, path in paths.items()}


@SETTINGS
@given(
    title=hostile_text(max_size=5).map(lambda text: text[:32]),
    author=hostile_text(max_size=3).map(lambda text: text[:16]),
    digest=hostile_text(max_size=8).map(lambda text: text[:128]),
)
@example(title="</title><script>x()</script>", author="<!--", digest='"><img src=x>')
def test_an_article_s_title_author_and_digest_stay_text(
    sandbox: tuple[Starlette, str, str], title: str, author: str, digest: str
) -> None:
    app, token, cover = sandbox
    stored = _draft(app, token, cover, title=title, author=author, digest=digest)
    if "media_id" not in stored:  # refused, as WeChat refuses it: nothing is shown
        assert stored["errcode"] != 0
        event("refused")
        return
    event("stored")
    plain = _draft(app, token, cover, title="t", author="a", digest="d")
    pages, plains = _pages(app, stored["media_id"]), _pages(app, plain["media_id"])
    for name, page in pages.items():
        found = same_markup(page, plains[name])
        assert title.strip() in found.text, name
        assert author.strip() in found.text, name
    assert digest in parse(pages["article"]).text
    listing = parse(send(app, "GET", "/ui/articles").text)
    assert title in listing.text


NAMES = hostile_text(max_size=5).map(
    # No quote, backslash or control character (the client percent-encodes those;
    # control characters are tried in the article fields above), and no slash.
    lambda text: (
        "".join(ch for ch in text if ch not in '"\\/' and unicodedata.category(ch) != "Cc")[:60]
        + ".jpg"
    )
)


def _stored_name(app: Starlette, token: str, media_id: str) -> str:
    """The name the sandbox kept for a file, as its material list gives it."""
    offset = 0
    while True:
        body = {"type": "image", "offset": offset, "count": 20}
        reply = send(
            app,
            "POST",
            "/cgi-bin/material/batchget_material",
            params={"access_token": token},
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        ).json()
        assert reply["item"], f"{media_id} is not listed"
        for item in reply["item"]:
            if item["media_id"] == media_id:
                return str(item["name"])
        offset += 20


@SETTINGS
@given(name=NAMES)
@example(name="<img src=x onerror=alert(1)>.jpg")
@example(name="<!--.jpg")
def test_a_file_s_name_stays_text(sandbox: tuple[Starlette, str, str], name: str) -> None:
    app, token, _ = sandbox
    media_id = _upload(app, token, name)
    plain_id = _upload(app, token, "plain.jpg")
    page = send(app, "GET", f"/ui/media/{media_id}").text
    found = same_markup(page, send(app, "GET", f"/ui/media/{plain_id}").text)
    # The sandbox keeps a file's name as WeChat does (ends trimmed, invisible
    # characters dropped): the page shows what it kept.
    shown = _stored_name(app, token, media_id)
    assert shown
    assert shown in found.text
    gallery = parse(send(app, "GET", "/ui/gallery", params={"q": media_id}).text)
    assert shown in gallery.text
