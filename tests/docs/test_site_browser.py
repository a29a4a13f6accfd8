"""The built site in a real browser, served by a plain static server on 127.0.0.1.

The page may ask nothing of any other host: every request the browser makes is
recorded, and one to anywhere but the local server fails the test (the site must
work where Google Fonts and CDNs do not load, and with no network at all).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.console.conftest import browser  # noqa: F401 - the console tests' chromium

# The first test here builds the site (about 20 s on an idle machine, both languages).
pytestmark = pytest.mark.timeout(300)

SHOTS = Path(os.environ.get("WXM_DOCS_SCREENSHOTS", "/tmp/wxm-docs-screenshots"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def tab(browser: Any, served: str) -> Iterator[tuple[Any, list[str], list[str]]]:  # noqa: F811
    """A tab on the site; every URL it requests and every console error are collected."""
    context = browser.new_context(base_url=served, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if console_error(m) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/sitemap.xml")
            else None
        ),
    )
    try:
        yield page, requested, errors
    finally:
        context.close()
    outside = [url for url in requested if not url.startswith((served, "data:", "blob:"))]
    assert outside == [], f"the site asked other hosts for {outside}"
    assert errors == [], f"the browser's console showed errors: {errors}"


def console_error(message: Any) -> bool:
    """An error in the browser's console, other than a failed load: those are checked by
    their responses, where the theme's probe for a sitemap.xml beside each page (a
    site built without a site_url has one at its root only) is let through."""
    return bool(message.type == "error" and "Failed to load resource" not in message.text)


def search(page: Any, path: str, query: str) -> list[str]:
    """Open ``path`` and search it for ``query``; the addresses of the results."""
    open_search(page, path)
    found = ask(page, query)
    page.keyboard.press("Escape")
    return found


def open_search(page: Any, path: str) -> None:
    """Open ``path`` and its search field, once the theme's search worker is ready.

    The theme runs a query on a key release in the search field (or on focus), once its
    search worker has loaded the index: this waits for the worker to say it is ready.
    """
    page.goto(path)
    page.locator("input.md-search__input").click()
    page.wait_for_function(
        "ready => document.querySelector('.md-search-result__meta').textContent.trim() === ready",
        arg=placeholder(page),
        timeout=45_000,
    )


def placeholder(page: Any) -> str:
    """What the results say while the search field is empty, in the page's language."""
    return str(
        page.evaluate(
            "JSON.parse(document.getElementById('__config').textContent)"
            ".translations['search.result.placeholder']"
        )
    )


def ask(page: Any, query: str) -> list[str]:
    """Type ``query`` into the open search field; the addresses of the results, best first.

    The field is emptied first and the results' line waits to say so: the answer read
    afterwards is then the one to this query, not the one before it. A query that finds
    nothing gives an empty list.
    """
    field = page.locator("input.md-search__input")
    empty = placeholder(page)
    meta = "document.querySelector('.md-search-result__meta').textContent.trim()"
    field.fill("")
    field.press("End")
    page.wait_for_function(f"empty => {meta} === empty", arg=empty)
    field.fill(query)
    field.press("End")
    page.wait_for_function(f"empty => {meta} !== empty", arg=empty)
    links = page.locator(".md-search-result__link")
    return [links.nth(i).evaluate("a => a.href") for i in range(links.count())]


def test_switch_language_search_and_follow_a_reference_link(
    tab: tuple[Any, list[str], list[str]],
) -> None:
    page, _, _ = tab
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh"
    assert "素材" in page.locator("article").inner_text()

    # The Chinese search finds Chinese words.
    chinese = search(page, "/", "素材")
    assert chinese, "searching 素材 found nothing"
    # Each language searches its own pages only.
    assert [url for url in chinese if "/en/" in url] == []

    # Switch to English with the language menu in the header.
    page.locator(".md-header__option .md-select").hover()
    page.locator(".md-select__link", has_text="English").click()
    page.wait_for_url("**/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    english = search(page, "/en/", "upload")
    assert english, "searching upload found nothing"
    assert [url for url in english if "/en/" not in url] == []

    # From the SDK guide, a cross-reference lands on the class in the API reference.
    page.goto("/en/sdk/")
    page.locator("article a[href$='#wechat_material.WeChatClient']").first.click()
    page.wait_for_url("**/en/reference/api/wechat_material/#wechat_material.WeChatClient")
    heading = page.locator("[id='wechat_material.WeChatClient']")
    assert heading.is_visible()
    assert "WeChatClient" in heading.inner_text()

    # And back to Chinese on the same page.
    page.locator(".md-header__option .md-select").hover()
    page.locator(".md-select__link", has_text="简体中文").click()
    page.wait_for_url("**/reference/api/wechat_material/")
    assert page.locator("html").get_attribute("lang") == "zh"


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_home_page_screenshots(
    tab: tuple[Any, list[str], list[str]], language: str, width: int
) -> None:
    page, _, _ = tab
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/" if language == "zh" else "/en/")
    page.locator("article h1").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"home-{language}-{width}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# Names as a reader types them: whole, in lower case, dotted. Each must find the section
# of the API reference it names (for a module, its page).
API_QUERIES = [
    ("FileTokenStore", "reference/api/tokens/#wechat_material.tokens.FileTokenStore"),
    ("filetokenstore", "reference/api/tokens/#wechat_material.tokens.FileTokenStore"),
    ("WeChatClient", "reference/api/wechat_material/#wechat_material.WeChatClient"),
    ("AsyncWeChatClient", "reference/api/wechat_material/#wechat_material.AsyncWeChatClient"),
    ("wechat_material.tokens", "reference/api/tokens/"),
]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_search_finds_api_names_in_the_reference(
    tab: tuple[Any, list[str], list[str]], language: str
) -> None:
    page, _, _ = tab
    root = "/" if language == "zh" else "/en/"
    open_search(page, root)
    for query, section in API_QUERIES:
        found = [section_of(url, root) for url in ask(page, query)]
        assert found, f"searching {query!r} ({language}) found nothing"
        assert section in found, f"searching {query!r} ({language}) missed {section}: {found}"
        if "." in query:
            # A module's name puts its own page first.
            assert found[0] == section, found


def section_of(url: str, root: str) -> str:
    """A result's page and anchor below the language's root, without the ?h= the theme
    adds to highlight the query's terms on the page."""
    parts = urlsplit(url)
    return parts.path.removeprefix(root) + (f"#{parts.fragment}" if parts.fragment else "")
