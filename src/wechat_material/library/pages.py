"""Pages to browse a backup offline: ``DIR/index.html`` and one page per article item.

Everything is derived from the manifest and the objects, so the pages are
written again after every run (atomically, one file at a time). They link to
the objects by relative paths: the directory can be moved or copied as a whole.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from wechat_material.library.articles import render_page
from wechat_material.library.manifest import ARTICLE_KINDS, ASSET, FILE_KINDS, Entry
from wechat_material.library.store import ObjectStore

PAGES = "articles"
INDEX = "index.html"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def page_path(kind: str, id_: str) -> str:
    """Where an article item's page is, relative to the backup directory."""
    return f"{PAGES}/{kind}/{_UNSAFE.sub('_', id_)}.html"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M")


def write_pages(directory: Path, entries: Iterable[Entry]) -> None:
    """(Re)write every article page and the index (blocking)."""
    store = ObjectStore(directory)
    rows = list(entries)
    assets = {
        e.id: f"../../{store.relative(e.sha256)}"
        for e in rows
        if e.kind == ASSET and store.has(e.sha256, e.size)
    }
    for entry in rows:
        if entry.kind not in ARTICLE_KINDS or not store.has(entry.sha256, entry.size):
            continue
        try:
            raw = json.loads(store.path_of(entry.sha256).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # damaged: verify says so; the page is left as it was
        if isinstance(raw, dict):
            page = render_page(raw, entry.name or entry.id, assets)
            _write(directory / page_path(entry.kind, entry.id), page)
    _write(directory / INDEX, index_page(rows, store))


def _cell(entry: Entry, store: ObjectStore) -> str:
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


def index_page(entries: list[Entry], store: ObjectStore) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="zh"><head><meta charset="utf-8"><title>WeChat material backup</title>',
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
    parts.append("</body></html>")
    return "\n".join(parts)
