"""``checks.article_problem`` never raises, and the SDK and the sandbox agree with it.

Articles are generated field by field around each limit of ``limits.ARTICLE_FIELDS``
(one under, at, one over), with values of the wrong type, flags out of range and
picture-article image lists of any shape. The SDK must refuse exactly the
articles the check refuses, before sending; the sandbox must answer the
check's errcode, and accept what the check accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from wechat_material import ArticleValidationError, RetryPolicy, WeChatClient
from wechat_material.checks import article_problem
from wechat_material.limits import ARTICLE_FIELDS
from wechat_material.tokens import MemoryTokenStore

from .test_multipart_bodies import send

MEDIA = Path(__file__).resolve().parent.parent / "media"
ODD_VALUES = st.sampled_from([None, "", 0, 1, 2, -1, True, False, 1.5, [], {}, ["x"], " "])


def text_near(limit: int | None, *, over: bool) -> st.SearchStrategy[str]:
    """Text one over ``limit`` (``over``), or of 1, limit - 1 or limit characters."""
    if limit is None:
        return st.just("x" * 2000) if over else st.text(min_size=1, max_size=12)
    sizes = [limit + 1] if over else [1, limit - 1, limit]
    return st.builds(lambda n, ch: ch * n, st.sampled_from(sizes), st.sampled_from("a猫😀"))


@st.composite
def articles(draw: st.DrawFn, cover: str, image: str) -> dict[str, Any]:
    """Mostly valid articles, each field broken now and then, so every rule is reached."""
    article: dict[str, Any] = {}
    for spec in ARTICLE_FIELDS:
        broken = draw(st.integers(min_value=0, max_value=7)) == 0
        if spec.name == "thumb_media_id":
            choice = st.sampled_from([None, "", 7]) if broken else st.just(cover)
        elif spec.flag:
            choice = ODD_VALUES if broken else st.sampled_from([0, 1, None])
        elif broken:
            choice = text_near(spec.max_chars, over=True) | ODD_VALUES
        else:
            choice = text_near(spec.max_chars, over=False)
        value = draw(choice)
        if value is not None or draw(st.booleans()):
            article[spec.name] = value
    kind = draw(st.sampled_from([None, None, "news", "newspic", "newspic", "video", 1]))
    if kind is not None:
        article["article_type"] = kind
    if kind == "newspic" or draw(st.booleans()):
        good = st.just({"image_media_id": image})
        entry = st.one_of(good, good, good, st.sampled_from([{"image_media_id": ""}, {}, "x"]))
        images = st.lists(entry, min_size=0, max_size=22) | st.sampled_from([None, "x", {}])
        article["image_info"] = draw(
            st.sampled_from([{"image_list": draw(images)}, {"image_list": draw(images)}, [], None])
        )
    return article


ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(
    article=st.dictionaries(
        st.sampled_from([f.name for f in ARTICLE_FIELDS] + ["article_type", "image_info"]),
        ANYTHING,
    )
    | ANYTHING,
    index=st.integers(min_value=0, max_value=7),
    draft=st.booleans(),
)
def test_the_check_never_raises(article: Any, index: int, draft: bool) -> None:
    problem = article_problem(article, index, draft=draft)
    if problem is not None:
        assert isinstance(problem.errcode, int)
        assert problem.message.startswith(f"article {index + 1}")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Starlette, str, str, str]]:
    """An in-process sandbox, its token, a permanent thumb and a permanent image."""
    from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, create_app

    app = create_app(SandboxConfig(seed=11, news_api="legacy"))  # add_news too
    params = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET}
    token = send(app, "GET", "/cgi-bin/token", params=params).json()["access_token"]
    ids = []
    for kind, name in (("thumb", "thumb.jpg"), ("image", "image.jpg")):
        reply = send(
            app,
            "POST",
            "/cgi-bin/material/add_material",
            params={"access_token": token, "type": kind},
            files={"media": (name, (MEDIA / name).read_bytes(), "image/jpeg")},
        )
        ids.append(reply.json()["media_id"])
    yield app, token, ids[0], ids[1]
    app.state.sandbox.close()


@given(data=st.data(), draft=st.booleans())
def test_the_sandbox_answers_what_the_check_says(
    sandbox: tuple[Starlette, str, str, str], data: st.DataObject, draft: bool
) -> None:
    app, token, cover, image = sandbox
    article = data.draw(articles(cover, image))
    problem = article_problem(article, 0, draft=draft)
    path = "/cgi-bin/draft/add" if draft else "/cgi-bin/material/add_news"
    reply = send(
        app, "POST", path, params={"access_token": token}, json={"articles": [article]}
    ).json()
    if problem is None:
        assert reply.get("errcode", 0) == 0, (reply, article)
        assert reply["media_id"]
    else:
        assert reply["errcode"] == problem.errcode, (reply, problem)


@given(data=st.data())
def test_the_sdk_refuses_what_the_check_refuses_before_sending(data: st.DataObject) -> None:
    article = data.draw(articles("COVER", "IMAGE"))
    problem = article_problem(article, 0, draft=True)
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path == "/cgi-bin/token":
            return httpx.Response(200, json={"access_token": "T0KEN-abc", "expires_in": 7200})
        return httpx.Response(200, json={"media_id": "DRAFT"})

    with WeChatClient(
        "wx0123456789abcdef",
        "s3cret",
        base_url="http://wechat.test",
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        token_store=MemoryTokenStore(),
        retry=RetryPolicy(max_attempts=1, backoff_base=0.0),
    ) as client:
        if problem is None:
            assert client.draft.add([article]) == "DRAFT"
            return
        with pytest.raises(ArticleValidationError) as refused:
            client.draft.add([article])
    assert str(refused.value).startswith(problem.message)
    assert sent == []
