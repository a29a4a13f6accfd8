"""The sandbox console: web pages that show what calls did to the sandbox's accounts.

Served by the sandbox itself: ``/`` (the accounts), ``/ui/gallery`` (the
material library), ``/ui/articles`` (articles at phone width and the ledger),
``/ui/journal`` (every API call, live), ``/ui/controls`` (clock, faults,
tokens, reset). Pages are rendered on the server from the state
(:mod:`wechat_material.sandbox.state.inventory`); one small hand-written
script (``static/console.js``) keeps them live from the event stream
(``/ui/events``) and sends the controls to the admin API as JSON. There is no
build step.

Deep links: ``/ui/latest`` (the newest article), ``/ui/media/{media_id}``,
``/ui/articles/{kind}/{owner}/{idx}``, ``/ui/journal/{seq}``. Elements that
tests look for carry ``data-testid`` attributes.

Reading pages changes nothing; every change goes through the admin API.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from wechat_material.sandbox.http import routes as api_routes
from wechat_material.sandbox.http.console import accounts, articles, controls, events, gallery
from wechat_material.sandbox.http.console import journal as journal_page
from wechat_material.sandbox.http.console.layout import page
from wechat_material.sandbox.http.console_headers import FILE_POLICY
from wechat_material.sandbox.http.numbers import MalformedNumber, number_in
from wechat_material.sandbox.http.wire import backend_of, file_reply
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.inventory import (
    ARTICLE_KINDS,
    ArticleSet,
    article_sets,
    find_article_set,
    find_media,
    ledger,
    stored_file,
)

CONSOLE_PREFIX = "/ui/"
STATIC = {
    "console.js": "text/javascript",
    "console.css": "text/css",
    "favicon.svg": "image/svg+xml",
}
# Pages are built from live state: never cached. The headers every console reply gets
# (no framing, no sniffing, the content policy) are added by the layer in console_headers.
HEADERS = {"cache-control": "no-store"}


def _html(
    backend: SandboxBackend, title: str, active: str, body: str, status: int = 200
) -> Response:
    shown = page(title, active, body, now=backend.clock.now(), last_seq=backend.journal.last_seq)
    return HTMLResponse(shown, status, HEADERS)


def _missing(backend: SandboxBackend, what: str) -> Response:
    body = f'<p data-testid="not-found">{what}</p>'
    return _html(backend, "Not found", "", body, 404)


def _malformed(backend: SandboxBackend, what: str) -> Response:
    body = f'<p data-testid="bad-request">{what}</p>'
    return _html(backend, "Bad request", "", body, 400)


async def home(request: Request) -> Response:
    backend = backend_of(request)
    return _html(backend, "Accounts", "accounts", accounts.accounts_body(backend))


async def gallery_page(request: Request) -> Response:
    backend = backend_of(request)
    filters = gallery.Filters.from_query(request.query_params)
    return _html(backend, "Material", "gallery", gallery.gallery_body(backend, filters))


async def media_page(request: Request) -> Response:
    backend = backend_of(request)
    media_id = request.path_params["media_id"]
    item = find_media(backend, media_id)
    if item is None:
        return _missing(backend, "No media with this id (deleted, expired or never uploaded).")
    uses = [use for use in ledger(article_sets(backend)) if use.reference == media_id]
    return _html(
        backend, item.name or item.title or media_id, "gallery", gallery.media_body(item, uses)
    )


async def media_file(request: Request) -> Response:
    backend = backend_of(request)
    stored = stored_file(backend, request.path_params["media_id"])
    if stored is None:
        return Response("no such file", 404, media_type="text/plain")
    try:
        # attachment: a navigation saves the file, never shows it as a page; <img>,
        # <audio> and <video> still play it.
        reply = file_reply(backend, stored, attachment=True)
    except SandboxError:
        return Response("the file is missing from the store", 404, media_type="text/plain")
    reply.headers["content-security-policy"] = FILE_POLICY
    return reply


async def articles_page(request: Request) -> Response:
    backend = backend_of(request)
    body = articles.articles_body(backend, request.query_params.get("appid", ""))
    return _html(backend, "Articles", "articles", body)


BAD_INDEX = "An article's position is a whole number: 0 for the first."


def _article(request: Request) -> tuple[ArticleSet, int] | None:
    """The article the path names; None when there is none (``MalformedNumber`` when
    its position is not a number)."""
    kind, owner = request.path_params["kind"], request.path_params["owner"]
    idx = number_in(request.path_params["idx"])
    if kind not in ARTICLE_KINDS or idx is None:
        return None
    found = find_article_set(backend_of(request), kind, owner)
    return (found, idx) if found is not None and idx < len(found.articles) else None


async def article_page(request: Request) -> Response:
    backend = backend_of(request)
    try:
        found = _article(request)
    except MalformedNumber:
        return _malformed(backend, BAD_INDEX)
    if found is None:
        return _missing(backend, "No such article (deleted, or not published yet).")
    article_set, idx = found
    title = str(article_set.articles[idx].get("title") or "Article")
    return _html(backend, title, "articles", articles.article_body(backend, article_set, idx))


async def article_frame(request: Request) -> Response:
    backend = backend_of(request)
    try:
        found = _article(request)
    except MalformedNumber:
        return Response(BAD_INDEX, 400, media_type="text/plain")
    if found is None:
        return Response("no such article", 404, media_type="text/plain")
    # Framed by the console's own article page, and by nothing else.
    headers = {
        **HEADERS,
        "x-frame-options": "SAMEORIGIN",
        "content-security-policy": articles.FRAME_POLICY,
    }
    return HTMLResponse(articles.frame_page(backend, *found), headers=headers)


async def latest(request: Request) -> Response:
    backend = backend_of(request)
    sets = article_sets(backend)
    if not sets:
        return _missing(backend, "No article yet.")
    return RedirectResponse(articles.article_url(sets[0].kind, sets[0].owner, 0), 303)


async def journal(request: Request) -> Response:
    backend = backend_of(request)
    body = journal_page.journal_body(backend, request.query_params)
    return _html(backend, "Journal", "journal", body)


async def journal_entry(request: Request) -> Response:
    backend = backend_of(request)
    try:
        seq = number_in(request.path_params["seq"])
    except MalformedNumber:
        return _malformed(backend, "A call's number is a whole number, as the journal lists it.")
    entry = None if seq is None else backend.journal.get(seq)
    if entry is None:
        return _missing(backend, "This call is no longer in the journal (it keeps the latest).")
    return _html(backend, f"Call {entry.seq}", "journal", journal_page.entry_body(entry))


async def event_stream(request: Request) -> Response:
    try:
        return events.stream(request, backend_of(request).journal)
    except MalformedNumber as error:
        return Response(f"{error}\n", 400, media_type="text/plain")


async def controls_page(request: Request) -> Response:
    backend = backend_of(request)
    paths = sorted(endpoint.path for endpoint in api_routes.api.served)
    return _html(backend, "Controls", "controls", controls.controls_body(backend, paths))


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        return Response("not found", 404, media_type="text/plain")
    text = resources.files(__package__).joinpath("static", name).read_text("utf-8")
    return Response(text, media_type=STATIC[name], headers={"cache-control": "no-cache"})


ROUTES: list[Route] = [
    Route("/", home, methods=["GET", "HEAD"]),
    Route("/ui/accounts", home, methods=["GET", "HEAD"]),
    Route("/ui/gallery", gallery_page, methods=["GET", "HEAD"]),
    Route("/ui/media/{media_id}", media_page, methods=["GET", "HEAD"]),
    Route("/ui/file/{media_id}", media_file, methods=["GET", "HEAD"]),
    Route("/ui/articles", articles_page, methods=["GET", "HEAD"]),
    Route("/ui/articles/{kind}/{owner}/{idx}", article_page, methods=["GET", "HEAD"]),
    Route("/ui/frame/{kind}/{owner}/{idx}", article_frame, methods=["GET", "HEAD"]),
    Route("/ui/latest", latest, methods=["GET", "HEAD"]),
    Route("/ui/journal", journal, methods=["GET", "HEAD"]),
    Route("/ui/journal/{seq}", journal_entry, methods=["GET", "HEAD"]),
    Route("/ui/events", event_stream, methods=["GET"]),
    Route("/ui/controls", controls_page, methods=["GET", "HEAD"]),
    Route("/ui/static/{name}", static, methods=["GET", "HEAD"]),
]
