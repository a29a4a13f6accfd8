"""Offline pages run nothing: the account's HTML is cleaned, and every page forbids scripts.

An account's articles may hold anything (WeChat's own cleaning is not the
backup's to rely on). Pages written from an article full of script payloads
are opened in chromium from ``file://``: no payload runs, the article's own
pictures from the backup still show.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from console.conftest import browser
from wechat_material.backup.manifest import ASSET, Entry, Manifest
from wechat_material.backup.pages import CSP, INDEX, page_path, write_pages
from wechat_material.backup.store import ObjectStore

from .conftest import png

__all__ = ["browser"]  # the console tests' chromium, launched once per module

pytestmark = pytest.mark.slow

PICTURE = "https://mmbiz.qpic.cn/mmbiz_png/kept/0"
MARK = "document.documentElement.dataset.ran"
PAYLOADS = {
    "script": f"<script>{MARK}='script'</script>",
    "onerror": f'<img src="nowhere.png" onerror="{MARK}=\'onerror\'">',
    "svg onload": f'<svg onload="{MARK}=\'svg\'"><circle r="4"></circle></svg>',
    "iframe srcdoc": (
        "<iframe srcdoc=\"<script>parent.document.documentElement.dataset.ran='srcdoc'"
        '</script>"></iframe>'
    ),
    "javascript link": f'<a id="go" href="javascript:{MARK}=\'link\'">go</a>',
    "style url": "<p style=\"background:url('javascript:alert(1)')\">styled</p>",
    "object": '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
}


def article(content: str) -> dict[str, Any]:
    return {
        "media_id": "draft-1",
        "update_time": 1_780_000_000,
        "content": {
            "news_item": [
                {
                    "title": f"<script>{MARK}='title'</script>",
                    "author": "<img src=x onerror=alert(1)>",
                    "thumb_url": PICTURE,
                    "content": content,
                }
            ]
        },
    }


def written(directory: Path, raw: dict[str, Any]) -> Path:
    """The pages of a backup holding ``raw`` as a draft and its picture, as a run writes them."""
    store = ObjectStore(directory)
    store.prepare()
    picture = store.admit_bytes(png(3))
    data = store.admit_bytes(json.dumps(raw).encode())
    entries = [
        Entry(kind=ASSET, id=PICTURE, size=picture.size, sha256=picture.sha256, url=PICTURE),
        Entry(kind="draft", id="draft-1", size=data.size, sha256=data.sha256, name="hostile"),
    ]
    with Manifest(directory) as manifest:
        for entry in entries:
            manifest.put(entry, 1.0)
        write_pages(directory, list(manifest.entries()))
    return directory / page_path("draft", "draft-1")


@pytest.fixture
def tab(browser: Any) -> Any:
    context = browser.new_context(java_script_enabled=True)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def ran(tab: Any) -> str | None:
    return tab.evaluate("() => document.documentElement.dataset.ran ?? null")  # type: ignore[no-any-return]


def test_no_payload_runs_in_an_article_page_opened_from_disk(tab: Any, tmp_path: Path) -> None:
    content = f'<p>text</p><img src="{PICTURE}">' + "".join(PAYLOADS.values())
    page = written(tmp_path, article(content))

    tab.goto(page.as_uri())
    tab.wait_for_load_state("load")
    if tab.locator("#go").count():
        tab.locator("#go").click()
    tab.wait_for_timeout(300)

    assert ran(tab) is None
    assert tab.dialogs == []
    assert tab.locator("iframe, script, object, svg[onload]").count() == 0
    assert tab.url == page.as_uri()
    # The article's own picture, kept in the backup, still shows under the policy.
    kept = tab.locator("article img:not(.cover)").first
    assert kept.evaluate("img => img.complete && img.naturalWidth > 0")
    text = page.read_text(encoding="utf-8")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in text
    assert re.search(r"<[^>]*\sonerror\s*=", text) is None  # as text (escaped) only
    assert "javascript:" not in text


def test_the_policy_alone_stops_what_the_cleaner_would_miss(tab: Any, tmp_path: Path) -> None:
    # A script that reached the page anyway (written after the policy) still cannot run.
    page = written(tmp_path, article("<p>plain</p>"))
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("<p>plain</p>", PAYLOADS["script"] + PAYLOADS["onerror"]))

    tab.goto(page.as_uri())
    tab.wait_for_load_state("load")
    tab.wait_for_timeout(300)

    assert ran(tab) is None


def test_the_index_names_nothing_that_runs(tab: Any, tmp_path: Path) -> None:
    raw = article("<p>x</p>")
    written(tmp_path, raw)
    index = tmp_path / INDEX
    with Manifest(tmp_path) as manifest:
        row = manifest.get("draft", "draft-1")
        assert row is not None
        hostile = Entry(
            kind="image",
            id="<img src=x onerror=alert(1)>",
            size=row.size,
            sha256=row.sha256,
            name=f"<script>{MARK}='name'</script>",
        )
        manifest.put(hostile, 2.0)
        write_pages(tmp_path, list(manifest.entries()))

    tab.goto(index.as_uri())
    tab.wait_for_load_state("load")
    tab.wait_for_timeout(300)

    assert ran(tab) is None
    assert tab.dialogs == []
    assert f'content="{CSP}; media-src' in index.read_text(encoding="utf-8")


def test_pages_and_their_folders_are_the_owners_only(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    backup.mkdir(mode=0o700)
    page = written(backup, article("<p>x</p>"))

    for path in (page, backup / INDEX):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (page.parent, page.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
