"""Finding and replacing the pictures of article HTML as WeChat writes it."""

from __future__ import annotations

from wechat_material.backup.articles import content_images, picture_urls, replace_images

HTML = (
    '<p>a</p><img data-src="https://mmbiz.qpic.cn/x/1?wx_fmt=png&amp;from=appmsg" class="i">'
    "<img src='https://mmbiz.qpic.cn/x/2'><img src=\"data:image/png;base64,AAAA\">"
    '<a href="https://mmbiz.qpic.cn/x/3">not a picture</a>'
    '<IMG SRC="https://mmbiz.qpic.cn/x/2">'
)


def test_content_images_are_unescaped_in_order_and_once() -> None:
    assert content_images(HTML) == [
        "https://mmbiz.qpic.cn/x/1?wx_fmt=png&from=appmsg",
        "https://mmbiz.qpic.cn/x/2",
    ]


def test_covers_count_as_pictures_of_an_item() -> None:
    item = {"content": {"news_item": [{"content": HTML, "thumb_url": "https://mmbiz.qpic.cn/c"}]}}

    assert picture_urls(item)[-1] == "https://mmbiz.qpic.cn/c"
    assert len(picture_urls(item)) == 3


def test_replacing_changes_only_the_pictures_named() -> None:
    new = replace_images(
        HTML,
        {
            "https://mmbiz.qpic.cn/x/1?wx_fmt=png&from=appmsg": "../o/1?a=1&b=2",
            "https://mmbiz.qpic.cn/x/2": "../o/2",
        },
    )

    assert 'data-src="../o/1?a=1&amp;b=2" class="i"' in new
    assert new.lower().count('src="../o/2"') == 2
    assert '<a href="https://mmbiz.qpic.cn/x/3">' in new  # links are not pictures
    assert "data:image/png;base64,AAAA" in new
    assert new.startswith("<p>a</p>")
