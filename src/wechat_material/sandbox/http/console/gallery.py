"""The material library: a gallery per type, searchable, each item with its own page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from wechat_material.sandbox.http.console.layout import (
    CHINA_TIME,
    copy_button,
    duration,
    e,
    q,
    when,
)
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.inventory import MediaView, Use, account_ids, library

TYPES = ("image", "thumb", "voice", "video", "news")


@dataclass(frozen=True)
class Filters:
    """What the gallery's form asks for (all optional)."""

    appid: str = ""
    type: str = ""
    name: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        return cls(
            appid=query.get("appid", ""),
            type=query.get("type", "") if query.get("type", "") in TYPES else "",
            name=query.get("q", "").strip(),
            since=_day(query.get("since", "")),
            until=_day(query.get("until", "")),
        )

    def keeps(self, item: MediaView) -> bool:
        day = datetime.fromtimestamp(item.created_at, CHINA_TIME).date()
        needle = self.name.casefold()
        return (
            (not self.appid or item.appid == self.appid)
            and (not self.type or item.type == self.type)
            and (not needle or needle in f"{item.name} {item.title} {item.media_id}".casefold())
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def file_url(item: MediaView) -> str:
    return f"/ui/file/{q(item.media_id)}"


def preview(item: MediaView, *, large: bool = False) -> str:
    """The item itself: a picture, a player, or what it is."""
    if not item.has_file:
        return f'<div class="placeholder">{e(item.type)}</div>'
    if item.type in ("image", "thumb"):
        size = "large" if large else "thumb"
        alt = e(item.name or item.media_id)
        return f'<img class="{size}" src="{file_url(item)}" alt="{alt}" loading="lazy">'
    if item.type == "voice":
        return f'<audio controls preload="none" src="{file_url(item)}"></audio>'
    if item.type == "video":
        return f'<video controls preload="none" src="{file_url(item)}"></video>'
    return f'<div class="placeholder">{e(item.type)}</div>'


def _card(item: MediaView) -> str:
    life = (
        '<span class="badge">permanent</span>'
        if item.permanent
        else '<span class="badge warn" data-testid="expires-in">'
        f"expires in {duration(item.expires_in or 0)}</span>"
    )
    label = (
        (item.title or item.name) if item.permanent else (item.title or f"temporary {item.type}")
    )
    return (
        f'<figure class="item" data-testid="media-item" data-type="{e(item.type)}" '
        f'data-media-id="{e(item.media_id)}">{preview(item)}<figcaption>'
        f'<a href="/ui/media/{q(item.media_id)}" data-testid="media-name">'
        f"{e(label or item.type)}</a>"
        f"<br><small>{e(item.type)} · {when(item.updated_at)}</small><br>{life}"
        f'<br><code class="id">{e(item.media_id)}</code>{copy_button(item.media_id)}'
        "</figcaption></figure>"
    )


def _form(backend: SandboxBackend, filters: Filters) -> str:
    accounts = "".join(
        f'<option value="{e(a)}"{" selected" if a == filters.appid else ""}>{e(a)}</option>'
        for a in account_ids(backend)
    )
    types = "".join(
        f"<option{' selected' if t == filters.type else ''}>{t}</option>" for t in TYPES
    )
    return (
        '<form class="filters" method="get" action="/ui/gallery" data-testid="gallery-filters">'
        f'<input type="search" name="q" value="{e(filters.name)}" placeholder="name or id" '
        'data-testid="gallery-search">'
        '<select name="type" data-testid="gallery-type"><option value="">all types</option>'
        f"{types}</select>"
        f'<select name="appid"><option value="">all accounts</option>{accounts}</select>'
        f'<label>from <input type="date" name="since" value="{filters.since or ""}"></label>'
        f'<label>to <input type="date" name="until" value="{filters.until or ""}"></label>'
        "<button>Filter</button></form>"
    )


def gallery_body(backend: SandboxBackend, filters: Filters) -> str:
    items = [item for item in library(backend) if filters.keeps(item)]
    sections = []
    for type_name in TYPES:
        shown = [item for item in items if item.type == type_name]
        if shown:
            cards = "".join(_card(item) for item in shown)
            sections.append(
                f'<section data-testid="gallery-{type_name}"><h2>{type_name} ({len(shown)})</h2>'
                f'<div class="grid">{cards}</div></section>'
            )
    found = (
        "".join(sections) or '<p class="muted" data-testid="gallery-empty">Nothing here yet.</p>'
    )
    return f'{_form(backend, filters)}<div id="live" data-live="calls">{found}</div>'


def media_body(item: MediaView, uses: list[Use]) -> str:
    rows = [
        ("media id", f"<code>{e(item.media_id)}</code>{copy_button(item.media_id)}"),
        ("account", f"<code>{e(item.appid)}</code>"),
        ("type", e(item.type)),
        (
            "kept",
            "permanent" if item.permanent else f"temporary, {duration(item.expires_in or 0)} left",
        ),
        ("name" if item.permanent else "kind", e(item.name)),
        ("title", e(item.title)),
        ("created", when(item.created_at)),
        ("updated", when(item.updated_at)),
        ("format", e(item.format or "")),
        ("size", f"{item.size} bytes" if item.size is not None else ""),
        ("URL handed out", f"<code>{e(item.link)}</code>" if item.link else ""),
    ]
    table = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows if value)
    used = (
        "".join(
            f'<li><a href="/ui/articles/{q(u.kind)}/{q(u.owner)}/{u.idx}">'
            f"{e(u.title or u.owner)}</a>"
            f" ({e(u.kind)}, {e(u.how)})</li>"
            for u in uses
        )
        or '<li class="muted">no article uses it</li>'
    )
    return (
        f'<div class="media-detail" data-testid="media-detail">{preview(item, large=True)}'
        f"<table>{table}</table></div><h2>Used by</h2><ul>{used}</ul>"
    )
