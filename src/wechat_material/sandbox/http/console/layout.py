"""The console's page shell and the small pieces every page uses.

Pages are plain Python strings. Every value that comes from state (names,
titles, ids, errmsgs) goes through :func:`e` (``html.escape`` with quotes),
so no stored text can become markup; article HTML is shown only inside a
sandboxed frame (:mod:`.articles`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import escape
from urllib.parse import quote

CHINA_TIME = timezone(timedelta(hours=8))

NAV = (
    ("accounts", "/", "Accounts"),
    ("gallery", "/ui/gallery", "Material"),
    ("articles", "/ui/articles", "Articles"),
    ("journal", "/ui/journal", "Journal"),
    ("controls", "/ui/controls", "Controls"),
)


def e(value: object) -> str:
    """Text made safe for HTML content and quoted attribute values."""
    return escape(str(value), quote=True)


def q(value: str) -> str:
    """A path segment made safe for a URL."""
    return quote(value, safe="")


def when(ts: float) -> str:
    """Epoch seconds as China time, the time WeChat's days follow."""
    return datetime.fromtimestamp(ts, CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float) -> str:
    """``2d 23h 59m``, ``1h 05m``, ``42s``."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def copy_button(media_id: str) -> str:
    return (
        f'<button type="button" class="copy" data-copy="{e(media_id)}" '
        f'data-testid="copy-media-id" title="Copy the media id">copy</button>'
    )


def page(title: str, active: str, body: str, *, now: float, last_seq: int) -> str:
    """A whole page: head, navigation, the body, the clock.

    ``last_seq`` is the journal's latest call when the page was made: the live
    stream starts after it, so no call made meanwhile goes unseen.
    """
    links = "".join(
        f'<a href="{href}" data-testid="nav-{name}"'
        f"{' aria-current=page' if name == active else ''}>{label}</a>"
        for name, href, label in NAV
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · WeChat sandbox</title>"
        '<link rel="icon" href="/ui/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/ui/static/console.css">'
        '<script src="/ui/static/console.js" defer></script>'
        f'</head><body data-page="{e(active)}" data-last-seq="{last_seq}">'
        f"<header><strong>WeChat sandbox</strong><nav>{links}</nav>"
        f'<span class="clock" data-testid="sandbox-clock">{when(now)} (UTC+8)</span></header>'
        f"<main><h1>{e(title)}</h1>{body}</main>"
        '<p class="status" role="status" data-testid="status"></p>'
        "</body></html>"
    )
