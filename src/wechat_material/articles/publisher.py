"""Publishing a post as a draft: upload what is new, update the same draft, read it back.

    >>> outcome = publish_post(client, Path("post.md"))
    >>> outcome.draft_id, outcome.uploads, [str(c) for c in outcome.changes]

Body images go through ``uploadimg`` (not counted against the 100,000 items
of the library) and the cover becomes permanent image material; both are
remembered per account (:class:`~wechat_material.articles.cache.AccountCache`)
so that publishing again uploads nothing already there. The draft's id is
written into the post's front matter (or, with ``write_back=False``, into the
cache), and the next run updates that draft instead of adding another. If
it was published or deleted meanwhile, a new draft is made and a note says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from wechat_material._files import AtomicFile
from wechat_material.articles import frontmatter
from wechat_material.articles.cache import AccountCache
from wechat_material.articles.frontmatter import PostError
from wechat_material.articles.images import ImageData, ImageRules, prepare, read_images
from wechat_material.articles.post import Post, load_post, read_text
from wechat_material.articles.readback import Change, compare
from wechat_material.articles.themes import DEFAULT_THEME
from wechat_material.client import WeChatClient
from wechat_material.errors import NotFoundError
from wechat_material.fetching import FetchPolicy
from wechat_material.models import Article, PublishResult

Notify = Callable[[str], None]
# A media_id as WeChat writes them: letters, digits, '-' and '_'.
_MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class PublishOptions:
    """How to publish: the look, where the draft id goes, and whether to submit."""

    theme: str = DEFAULT_THEME
    css: str | None = None
    write_back: bool = True
    """Write ``media_id`` into the post's front matter (else keep it in the cache)."""
    submit: bool = False
    wait: bool = False
    max_wait: float = 300.0
    images: ImageRules = field(default_factory=ImageRules)
    """Where images may be read from (``--assets``, ``--allow-private-hosts``)."""


@dataclass
class Uploads:
    """What one run sent: ``uploadimg`` calls, body images found in the cache, covers."""

    images: int = 0
    reused: int = 0
    covers: int = 0


@dataclass
class PublishOutcome:
    """The draft a post went to, and what happened on the way."""

    draft_id: str
    created: bool
    uploads: Uploads
    notes: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    publish_id: str | None = None
    result: PublishResult | None = None


def read_post_images(
    post: Post,
    http: httpx.Client | None = None,
    *,
    with_cover: bool = True,
    rules: ImageRules | None = None,
) -> dict[str, ImageData]:
    """The body images and the cover of ``post``, read (or downloaded) before any upload.

    ``with_cover``: the cover is required (a post without any image fails here).
    ``rules``: where images may come from (default: the post's folder, public hosts).
    """
    refs = [*post.image_refs, *([post.cover_ref] if with_cover else [])]
    if http is not None:
        return read_images(refs, post.base_dir, http, rules)
    with httpx.Client() as own:
        return read_images(refs, post.base_dir, own, rules)


class _Run:
    """One publish of one post: the state its steps share."""

    def __init__(self, client: WeChatClient, post: Post, cache: AccountCache, notify: Notify):
        self.client = client
        self.post = post
        self.cache = cache
        self.uploads = Uploads()
        self.notes: list[str] = []
        self._notify = notify
        # Where an uploadimg URL may point: WeChat's picture hosts, or the API's own
        # (the sandbox). The cache is a file on disk: what it says is checked first.
        self._picture_urls = FetchPolicy.wechat_pictures(client.base_url)

    def note(self, message: str) -> None:
        self.notes.append(message)
        self._notify(message)

    def body_url(self, image: ImageData) -> str:
        cached = self.cache.image_url(image.sha256)
        if cached is not None and self._picture_urls.allows(cached):
            self.uploads.reused += 1
            return cached
        prepared = prepare(image)
        if prepared.note:
            self.note(prepared.note)
        url = self.client.material.upload_image(prepared.data, prepared.filename).url
        self.uploads.images += 1
        self.cache.remember_image(image.sha256, url)
        return url

    def cover_id(self, image: ImageData) -> str:
        cached = self.cache.cover_id(image.sha256)
        if cached is not None and _MEDIA_ID.fullmatch(cached):
            return cached
        prepared = prepare(image, cover=True)
        if prepared.note:
            self.note(prepared.note)
        media_id = self.client.material.add_material("image", prepared.data, prepared.filename)
        self.uploads.covers += 1
        self.cache.remember_cover(image.sha256, media_id.media_id)
        return media_id.media_id

    def save(self, draft_id: str | None, article: Article) -> tuple[str, bool]:
        """Update ``draft_id`` or add a draft; returns the id and whether it is new."""
        if draft_id is not None:
            try:
                self.client.draft.update(draft_id, 0, article)
                return draft_id, False
            except NotFoundError:
                if self._draft_exists(draft_id):
                    raise  # the draft is there: the id WeChat refused is the cover's
                self.note(f"draft {draft_id} was published or deleted: making a new draft")
        return self.client.draft.add([article]), True

    def _draft_exists(self, draft_id: str) -> bool:
        try:
            self.client.draft.get(draft_id)
        except NotFoundError:
            return False
        return True


def _write_back(post: Post, draft_id: str, notify: Notify) -> None:
    """Put ``media_id: draft_id`` into the post, unless it changed since it was read."""
    if post.meta.media_id == draft_id:
        return
    current = read_text(post.path)
    if current != post.text:
        notify(
            f"{post.path.name} changed while publishing; add 'media_id: {draft_id}' "
            "to its front matter yourself"
        )
        return
    try:
        updated = frontmatter.with_draft_id(current, draft_id)
    except PostError as exc:  # the draft is saved: say what to do, do not fail the run
        notify(f"{post.path.name}: {exc}")
        return
    with AtomicFile(post.path.parent) as part:  # the post is whole, old or new, at any moment
        part.file.write(updated.encode("utf-8"))
        part.commit(post.path)


def publish_post(
    client: WeChatClient,
    path: Path | str | Post,
    options: PublishOptions | None = None,
    *,
    cache: AccountCache | None = None,
    notify: Notify | None = None,
    http: httpx.Client | None = None,
) -> PublishOutcome:
    """Publish the Markdown post at ``path`` (or a :class:`Post` loaded) as a draft.

    With ``options.submit`` / ``options.wait`` it is also submitted for publishing.

    Everything is checked and every image read before the first upload;
    :class:`~wechat_material.articles.PostError` names what to fix. ``notify``
    receives notes for the writer as they happen (conversions, a new draft);
    ``http`` downloads remote images (default: a client of its own).
    """
    options = options or PublishOptions()
    notify = notify or (lambda message: None)
    if isinstance(path, Post):
        post = path  # loaded (and its warnings shown) by the caller
        warnings: tuple[str, ...] = ()
    else:
        post = load_post(Path(path), theme=options.theme, css=options.css)
        warnings = post.warnings
    post_path = post.path
    images = read_post_images(post, http, rules=options.images.trusting(client.base_url))
    cache = cache or AccountCache.for_account(client.base_url, client.appid)
    run = _Run(client, post, cache, notify)
    for warning in warnings:
        run.note(warning)

    urls = {source: run.body_url(images[source]) for source in post.rendered.images}
    content = post.rendered.with_image_urls(urls)
    cover = images[post.cover_source]
    article = post.article(content, run.cover_id(cover))
    known = post.meta.media_id if options.write_back else cache.draft_id(post_path)
    try:
        draft_id, created = run.save(known, article)
    except NotFoundError:
        # The cached cover is gone from the library: upload it again, once.
        cache.forget_cover(cover.sha256)
        article = post.article(content, run.cover_id(cover))
        draft_id, created = run.save(known, article)
    if options.write_back:
        _write_back(post, draft_id, run.note)
    else:
        cache.remember_draft(post_path, draft_id)

    stored = client.draft.get(draft_id).articles
    changes = compare(content, stored[0].content if stored else "")
    outcome = PublishOutcome(draft_id, created, run.uploads, run.notes, changes)
    if options.submit or options.wait:
        outcome.publish_id = client.publish.submit(draft_id).publish_id
        if options.wait:
            outcome.result = client.publish.wait(outcome.publish_id, max_wait=options.max_wait)
    return outcome
