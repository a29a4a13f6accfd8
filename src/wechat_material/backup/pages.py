"""Pages to browse a backup offline: ``DIR/index.html`` and one page per article item.

Everything is derived from the manifest and the objects, so the pages are
written again after every run (atomically, one file at a time). They link to
the objects by relative paths: the directory can be moved or copied as a whole.

The account's HTML is not trusted in a page opened from disk: it is cleaned
with the sandbox's own cleaner (:mod:`wechat_material.article_html`), and
every page carries a Content-Security-Policy that lets nothing run or load
but the backup's own files (:data:`CSP`).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

from wechat_material.backup.articles import picture_urls, render_page
from wechat_material.backup.manifest import ARTICLE_KINDS, ASSET, FILE_KINDS, Entry
from wechat_material.backup.store import (
    DamagedObject,
    ObjectStore,
    create_file,
    real_folder,
    valid_digest,
)
from wechat_material.extras import MissingExtraError, install_hint

PAGES = "articles"
INDEX = "index.html"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
"""What a page may load: the backup's pictures and inline styles; no script, frame or fetch."""
INDEX_CSP = f"{CSP}; media-src 'self'"
"""The index plays the backup's own voice and video files too."""


def csp_meta(policy: str = CSP) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


def page_path(kind: str, id_: str) -> str:
    """Where an article item's page is, relative to the backup directory."""
    return f"{PAGES}/{kind}/{_UNSAFE.sub('_', id_)}.html"


def require_cleaner() -> None:
    """The pages need the article cleaner's library (nh3, brought by the ``cli`` extra).

    Called before a run touches anything: without it, a run stops at once,
    not after its downloads.
    """
    if find_spec("nh3") is None:
        raise MissingExtraError(
            f"the offline pages of a backup need nh3: {install_hint('cli')} (or pip install nh3)",
            name="nh3",
        )


def prepare_pages(directory: Path, kinds: Iterable[str]) -> None:
    """Make (or check) the folders the pages go to before a run writes anything."""
    pages = real_folder(directory / PAGES)
    for kind in kinds:
        if kind in ARTICLE_KINDS:
            real_folder(pages / kind)


def _write(path: Path, text: str) -> None:
    """Write a page beside its final name, then move it there (owner-only, never via a link)."""
    part = path.with_name(f".{path.name}.part")
    part.unlink(missing_ok=True)  # a stale one (or a link planted there) goes, unfollowed
    try:
        with create_file(part) as file:
            file.write(text.encode("utf-8"))
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M")


def write_pages(directory: Path, entries: Iterable[Entry]) -> None:
    """(Re)write every article page and the index (blocking).

    A folder of the pages that is a link is an :class:`~.store.UnsafeFolderError`.
    """
    store = ObjectStore(directory)
    rows = list(entries)
    assets = {
        e.id: f"../../{store.relative(e.sha256)}"
        for e in rows
        if e.kind == ASSET and e.intact and store.present(e.sha256, e.size)
    }
    linked: dict[str, None] = {}
    for entry in rows:
        if entry.kind not in ARTICLE_KINDS or not entry.intact:
            continue
        try:
            raw = json.loads(store.read_object(entry.sha256, entry.size).decode("utf-8"))
        except (DamagedObject, OSError, ValueError):
            continue  # damaged: verify says so; the page is left as it was
        if isinstance(raw, dict):
            page = render_page(raw, entry.name or entry.id, assets, head=csp_meta())
            folder = real_folder(real_folder(directory / PAGES) / entry.kind)
            _write(folder / Path(page_path(entry.kind, entry.id)).name, page)
            linked.update((url, None) for url in picture_urls(raw) if url not in assets)
    _write(directory / INDEX, index_page(rows, store, list(linked)))


def _cell(entry: Entry, store: ObjectStore) -> str:
    if entry.kind in ARTICLE_KINDS:
        return f'<a href="{html.escape(page_path(entry.kind, entry.id))}">read</a>'
    if not valid_digest(entry.sha256):
        return "damaged"
    src = html.escape(store.relative(entry.sha256))
    content_type = str(entry.extra.get("content_type") or "")
    if entry.kind == "image":
        return f'<a href="{src}"><img loading="lazy" src="{src}" alt=""></a>'
    if entry.kind == "voice":
        return f'<audio controls preload="none" src="{src}"></audio>'
    if entry.kind == "video":
        kind = f' type="{html.escape(content_type)}"' if content_type.startswith("video/") else ""
        return f'<video controls preload="none" width="240"><source src="{src}"{kind}></video>'
    return f'<a href="{html.escape(page_path(entry.kind, entry.id))}">read</a>'


_HEADINGS = {
    "image": "Images and thumbnails",
    "voice": "Voice",
    "video": "Video",
    "news": "News material (legacy)",
    "draft": "Drafts",
    "published": "Published articles",
}


def index_page(entries: list[Entry], store: ObjectStore, linked: list[str] | None = None) -> str:
    """The index; ``linked``: pictures of the articles that are not in the backup."""
    parts = [
        "<!doctype html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        csp_meta(INDEX_CSP),
        "<title>WeChat material backup</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
        "img{max-width:160px;max-height:120px}.gone{color:#999}</style>",
        "</head><body><h1>WeChat material backup</h1>",
    ]
    for kind in (*FILE_KINDS, *ARTICLE_KINDS):
        rows = [e for e in entries if e.kind == kind]
        parts.append(f"<h2>{_HEADINGS[kind]} ({len(rows)})</h2>")
        if not rows:
            continue
        parts.append("<table><tr><th></th><th>name</th><th>updated</th><th>id</th></tr>")
        for entry in sorted(rows, key=lambda e: -(e.update_time or 0)):
            gone = ' class="gone" title="deleted upstream"' if entry.gone_at else ""
            parts.append(
                f"<tr{gone}><td>{_cell(entry, store)}</td><td>{html.escape(entry.name)}</td>"
                f"<td>{_when(entry.update_time)}</td><td><code>{html.escape(entry.id)}</code></td>"
                "</tr>"
            )
        parts.append("</table>")
    if linked:
        parts.append(f"<h2>Pictures kept as links, not in the backup ({len(linked)})</h2>")
        parts.append(
            "<p>Articles use these pictures from other sites; a backup downloads pictures "
            "from WeChat only, so these are kept as their addresses.</p><ul>"
        )
        parts.extend(f"<li><code>{html.escape(url)}</code></li>" for url in linked)
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
