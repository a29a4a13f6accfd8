"""What the sandbox holds, read for people rather than for the API: the console's views.

Read-only queries over the storage, answering plain dataclasses: each
account's standing, counts, live tokens and quota use; the material library
(permanent and temporary, with what the API never lists: names, sizes, time
left); every article set (news material, drafts, published articles) and the
ledger of which article uses which media id or image URL. Nothing here
changes state, and no token value leaves unmasked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.blobs import StoredFile
from wechat_material.sandbox.state.links import ARTICLE_PAGE, DRAFT_PAGE, FILE, NEWS_PAGE
from wechat_material.sandbox.state.quotas import china_day
from wechat_material.tokens.base import mask

# Kinds of article set, named as their page links are.
ARTICLE_KINDS = (DRAFT_PAGE, ARTICLE_PAGE, NEWS_PAGE)
_IMG_SRC = re.compile(
    r"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE
)


@dataclass(frozen=True)
class TokenView:
    masked: str
    kind: str
    seconds_left: int


@dataclass(frozen=True)
class QuotaView:
    path: str
    used: int
    daily_limit: int

    @property
    def left(self) -> int:
        return max(self.daily_limit - self.used, 0)


@dataclass(frozen=True)
class CapView:
    types: str
    held: int
    cap: int


@dataclass(frozen=True)
class AccountView:
    appid: str
    status: dict[str, Any]
    caps: list[CapView]
    temporary: int
    drafts: int
    tokens: list[TokenView]
    quotas: list[QuotaView]


@dataclass(frozen=True)
class MediaView:
    """One item of the material library."""

    media_id: str
    appid: str
    type: str
    permanent: bool
    name: str
    created_at: float
    updated_at: float
    size: int | None
    format: str | None
    link: str | None
    """The /mmbiz/ path the API hands out for it, if any."""
    title: str = ""
    expires_in: int | None = None
    """Seconds left for temporary media."""
    has_file: bool = True


@dataclass
class ArticleSet:
    """The articles of one news material, draft or published message."""

    kind: str
    owner: str
    appid: str
    updated_at: float
    articles: list[dict[str, Any]]
    deleted: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class Use:
    """One place an article refers to a media id or an image URL."""

    reference: str
    how: str
    """``cover``, ``image`` (of a picture article) or ``inline`` (an <img> in the content)."""
    kind: str
    owner: str
    idx: int
    title: str


def account_ids(backend: SandboxBackend) -> list[str]:
    return [
        row["appid"] for row in backend.storage.rows("SELECT appid FROM accounts ORDER BY appid")
    ]


def account_view(backend: SandboxBackend, appid: str) -> AccountView:
    account = backend.accounts.require(appid)
    storage, now = backend.storage, backend.clock.now()
    held = {
        row["type"]: row["n"]
        for row in storage.rows(
            "SELECT type, count(*) AS n FROM materials WHERE appid = ? GROUP BY type", (appid,)
        )
    }
    caps = [
        CapView(
            "/".join(sorted(t.value for t in group)), sum(held.get(t.value, 0) for t in group), cap
        )
        for group, cap in backend.config.permanent_caps.items()
    ]
    temporary = storage.row(
        "SELECT count(*) AS n FROM temp_media WHERE appid = ? AND expires_at > ?", (appid, now)
    )
    drafts = storage.row("SELECT count(*) AS n FROM drafts WHERE appid = ?", (appid,))
    tokens = [
        TokenView(mask(row["value"]), row["kind"], int(min(row["expires_at"], row["end"]) - now))
        for row in storage.rows(
            "SELECT value, kind, expires_at, coalesce(ended_at, expires_at) AS end FROM tokens "
            "WHERE appid = ? AND expires_at > ? AND coalesce(ended_at, expires_at) > ? "
            "ORDER BY issued_at DESC",
            (appid, now, now),
        )
    ]
    quotas = [
        QuotaView(
            row["cgi_path"], int(row["used"]), backend.quotas.limits(appid, row["cgi_path"])[0]
        )
        for row in storage.rows(
            "SELECT cgi_path, used FROM quota_usage WHERE appid = ? AND day = ? ORDER BY cgi_path",
            (appid, china_day(now)),
        )
    ]
    return AccountView(
        appid=appid,
        status=account.status.to_json(),
        caps=caps,
        temporary=temporary["n"] if temporary else 0,
        drafts=drafts["n"] if drafts else 0,
        tokens=tokens,
        quotas=quotas,
    )


def _file_links(backend: SandboxBackend, owners: Iterable[str]) -> dict[str, str]:
    owners = list(owners)
    if not owners:
        return {}
    marks = ",".join("?" * len(owners))
    rows = backend.storage.rows(
        f"SELECT owner, key FROM links WHERE kind = ? AND owner IN ({marks})",  # noqa: S608 - placeholders only
        (FILE, *owners),
    )
    return {row["owner"]: "/mmbiz/" + row["key"] for row in rows}


def library(backend: SandboxBackend, appid: str | None = None) -> list[MediaView]:
    """Every permanent and live temporary item (of one account, or all), newest first."""
    storage, now = backend.storage, backend.clock.now()
    where, params = ("WHERE appid = ?", (appid,)) if appid else ("", ())
    permanent = storage.rows(
        f"SELECT * FROM materials {where} ORDER BY update_time DESC, seq DESC",  # noqa: S608 - fixed text
        params,
    )
    temporary = storage.rows(
        f"SELECT * FROM temp_media WHERE expires_at > ? {where.replace('WHERE', 'AND')} "  # noqa: S608 - fixed text
        "ORDER BY created_at DESC",
        (now, *params),
    )
    links = _file_links(backend, [r["media_id"] for r in [*permanent, *temporary]])
    items = [_permanent(row, links) for row in permanent]
    items += [_temporary(row, links, now) for row in temporary]
    items.sort(key=lambda item: item.updated_at, reverse=True)
    return items


def _permanent(row: Any, links: dict[str, str]) -> MediaView:
    title = ""
    if row["type"] == "video" and row["body"]:
        title = str(json.loads(row["body"]).get("title", ""))
    elif row["type"] == "news":
        articles = json.loads(row["body"])
        title = str(articles[0].get("title", "")) if articles else ""
    return MediaView(
        media_id=row["media_id"],
        appid=row["appid"],
        type=row["type"],
        permanent=True,
        name=row["name"] or "",
        created_at=row["created_at"],
        updated_at=row["update_time"],
        size=row["size"],
        format=row["format"],
        link=links.get(row["media_id"]),
        title=title,
        has_file=row["sha"] is not None,
    )


def _temporary(row: Any, links: dict[str, str], now: float) -> MediaView:
    title = ""
    body = json.loads(row["body"]) if row["body"] else None
    if isinstance(body, dict):
        title = str(body.get("title", ""))
    elif isinstance(body, list) and body:
        title = str(body[0].get("title", ""))
    return MediaView(
        media_id=row["media_id"],
        appid=row["appid"],
        type=row["type"],
        permanent=False,
        name=row["kind"],
        created_at=row["created_at"],
        updated_at=row["created_at"],
        size=row["size"],
        format=row["format"],
        link=links.get(row["media_id"]),
        title=title,
        expires_in=int(row["expires_at"] - now),
        has_file=row["sha"] is not None,
    )


def find_media(backend: SandboxBackend, media_id: str) -> MediaView | None:
    return next((item for item in library(backend) if item.media_id == media_id), None)


def article_sets(backend: SandboxBackend, appid: str | None = None) -> list[ArticleSet]:
    """Drafts, published messages (once published) and news material, newest first."""
    storage, now = backend.storage, backend.clock.now()
    where, params = ("AND appid = ?", (appid,)) if appid else ("", ())
    sets: list[ArticleSet] = []
    for row in storage.rows(f"SELECT * FROM drafts WHERE 1 {where} ORDER BY seq DESC", params):  # noqa: S608 - fixed text
        sets.append(
            ArticleSet(
                DRAFT_PAGE,
                row["media_id"],
                row["appid"],
                row["update_time"],
                json.loads(row["articles"]),
            )
        )
    for row in storage.rows(
        f"SELECT * FROM publishes WHERE done_at <= ? {where} ORDER BY seq DESC",  # noqa: S608 - fixed text
        (now, *params),
    ):
        articles = json.loads(row["articles"])
        sets.append(
            ArticleSet(
                ARTICLE_PAGE,
                row["article_id"],
                row["appid"],
                row["done_at"],
                articles,
                [bool(a.get("is_deleted")) for a in articles],
            )
        )
    for row in storage.rows(
        f"SELECT * FROM materials WHERE type = 'news' {where} ORDER BY seq DESC",  # noqa: S608 - fixed text
        params,
    ):
        sets.append(
            ArticleSet(
                NEWS_PAGE,
                row["media_id"],
                row["appid"],
                row["update_time"],
                json.loads(row["body"]),
            )
        )
    # A stable sort: at the same time (a frozen clock), the later one of a table first.
    sets.sort(key=lambda s: s.updated_at, reverse=True)
    return sets


def find_article_set(backend: SandboxBackend, kind: str, owner: str) -> ArticleSet | None:
    return next((s for s in article_sets(backend) if s.kind == kind and s.owner == owner), None)


def image_sources(html: str) -> list[str]:
    """The ``src`` of every ``<img>`` in ``html``, in order."""
    return [next(g for g in m.groups() if g is not None) for m in _IMG_SRC.finditer(html)]


def _references(article: dict[str, Any]) -> list[tuple[str, str]]:
    """(media id or image URL, how it is used) for one article."""
    found = []
    if article.get("thumb_media_id"):
        found.append((str(article["thumb_media_id"]), "cover"))
    for image in (article.get("image_info") or {}).get("image_list") or []:
        if isinstance(image, dict) and image.get("image_media_id"):
            found.append((str(image["image_media_id"]), "image"))
    found += [(src, "inline") for src in image_sources(str(article.get("content", "")))]
    return found


def ledger(sets: Iterable[ArticleSet]) -> list[Use]:
    """Every media id and image URL the articles use, and where."""
    uses = [
        Use(reference, how, s.kind, s.owner, idx, str(article.get("title", "")))
        for s in sets
        for idx, article in enumerate(s.articles)
        for reference, how in _references(article)
    ]
    uses.sort(key=lambda u: (u.reference, u.kind, u.owner, u.idx))
    return uses


def stored_file(backend: SandboxBackend, media_id: str) -> StoredFile | None:
    """The file of a permanent or live temporary item, whoever's it is."""
    for sql in (
        "SELECT media_id, sha, size, format FROM materials WHERE media_id = ?",
        "SELECT media_id, sha, size, format FROM temp_media WHERE media_id = ? AND expires_at > ?",
    ):
        params = (media_id,) if "expires_at" not in sql else (media_id, backend.clock.now())
        row = backend.storage.row(sql, params)
        if row is not None and row["sha"] is not None:
            return StoredFile(row["media_id"], row["sha"], row["size"], row["format"])
    return None
