"""The tools of ``wxm mcp``: the SDK's calls, each with typed arguments and a typed result.

Every tool is a plain blocking method of :class:`Tools` (the SDK's sync client
does the I/O); the server runs them on a worker thread, one at a time. Paths
given by the client are confined to the server's roots before anything is
opened (:func:`~wechat_material._files.confine`), and the tools that delete or
publish refuse unless the server was started with ``--allow delete`` /
``--allow publish``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field

from wechat_material import MaterialItem, NewsItem, WeChatClient
from wechat_material._files import confine, open_confined
from wechat_material._redact import redact
from wechat_material.errors import ValidationError
from wechat_material.limits import ARTICLE_FIELDS, PAGE_MAX, MaterialType
from wechat_material.mcp_server import results as r
from wechat_material.media_file import MediaFile
from wechat_material.models import (
    Article,
    NewsContent,
    NewsMaterial,
    VideoMaterial,
    publish_status_name,
)

Permission = Literal["delete", "publish"]
PERMISSIONS: tuple[Permission, ...] = ("delete", "publish")

ListType = Literal["image", "voice", "video", "news"]
UploadType = Literal["image", "voice", "video", "thumb"]
ThemeName = Literal["default", "ink", "ocean"]

MediaId = Annotated[
    str, Field(min_length=1, max_length=128, description="A media_id from list_material.")
]
BackupDir = Annotated[str, Field(min_length=1, description="A backup folder in the roots.")]
Offset = Annotated[int, Field(ge=0, description="How many items to skip.")]
Count = Annotated[int, Field(ge=1, le=PAGE_MAX, description=f"How many items (1 to {PAGE_MAX}).")]
PathArg = Annotated[
    str,
    Field(
        min_length=1,
        description="A file path inside the server's root folders (relative: to the first root).",
    ),
]

FIND_LIMIT = 100
"""The most matches :meth:`Tools.find_material` lists."""

MAX_POST_BYTES = 4 * 1024 * 1024
"""The largest Markdown file read: an article's content may hold 1 MB."""

_CONTENT = next(f for f in ARTICLE_FIELDS if f.name == "content")

Log = Callable[[str], None]


@dataclass
class Workspace:
    """What the tools work with: the account's client, the roots, and what is allowed."""

    client: WeChatClient
    roots: tuple[Path, ...]
    allow: frozenset[str] = frozenset()
    log: Log = field(default=lambda message: print(message, file=sys.stderr, flush=True))
    """Where refusals and destructive calls are written (stdout carries the protocol)."""
    cache: Callable[[], Any] | None = None
    """Gives the publisher's upload cache for this account (``articles.AccountCache``),
    asked for when a post is first published; None: the publisher's own choice."""
    hide: Callable[[str], str] = field(default=redact)

    def confined(self, path: str) -> Path:
        return confine(path, self.roots)


def _entry(item: MaterialItem | NewsItem) -> r.MaterialEntry:
    if isinstance(item, NewsItem):
        titles = [a.title for a in item.content.articles]
        return r.MaterialEntry(media_id=item.media_id, titles=titles, update_time=item.update_time)
    return r.MaterialEntry(
        media_id=item.media_id, name=item.name, url=item.url, update_time=item.update_time
    )


def _titles(news: NewsContent) -> list[str]:
    return [article.title for article in news.articles]


def wechat_would_drop(html: str) -> list[str]:
    """What WeChat takes out of ``html`` when it stores an article.

    The one place the tools ask this, so that a better report can replace it.
    """
    from wechat_material.article_html import clean_article_html

    return list(clean_article_html(html).removed)


def size_report(html: str) -> r.SizeReport:
    """``html`` measured against WeChat's limits for an article's content."""
    from wechat_material.articles import size_report as measure

    measured = measure(html)
    return r.SizeReport(
        characters=measured.characters,
        bytes=measured.bytes,
        max_characters=_CONTENT.max_chars or 0,
        max_bytes=_CONTENT.max_bytes or 0,
        within_limit=measured.fits,
    )


class Tools:
    """The tools, bound to one :class:`Workspace`."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.client = workspace.client

    # permissions ------------------------------------------------------------

    def _permit(self, permission: Permission, tool: str, **arguments: object) -> None:
        """Refuse unless ``--allow permission``; log every attempt with its arguments."""
        shown = ", ".join(f"{name}={self.ws.hide(str(value))}" for name, value in arguments.items())
        if permission not in self.ws.allow:
            self.ws.log(f"refused {tool}({shown}): the server runs without --allow {permission}")
            raise r.ToolRefused(
                f"{tool} is turned off on this server",
                hint=f"restart 'wxm mcp' with --allow {permission} to let an assistant do this.",
            )
        self.ws.log(f"{tool}({shown}) (allowed by --allow {permission})")

    # material -----------------------------------------------------------------

    def material_counts(self) -> r.Counts:
        """How many images, voice files, videos and news articles the account holds."""
        return r.Counts(**self.client.material.get_material_count().by_type())

    def list_material(
        self, type: ListType = "image", offset: Offset = 0, count: Count = PAGE_MAX
    ) -> r.MaterialPage:
        """One page of the account's permanent material of one type, newest first."""
        page = self.client.material.batch_get_material(type, offset, count)
        items = [_entry(item) for item in page.items]
        return r.MaterialPage(type=type, offset=offset, total_count=page.total_count, items=items)

    def find_material(
        self,
        name_contains: Annotated[
            str, Field(min_length=1, max_length=200, description="Part of the name or title.")
        ],
        type: ListType = "image",
    ) -> r.FoundMaterial:
        """Material whose file name (news: an article's title) contains the text, any case."""
        wanted = name_contains.casefold()
        found: list[r.MaterialEntry] = []
        searched = 0
        truncated = False
        for item in self.client.material.stream_get_material(type):
            searched += 1
            entry = _entry(item)
            if any(wanted in text.casefold() for text in [entry.name, *entry.titles]):
                if len(found) == FIND_LIMIT:
                    truncated = True
                    continue
                found.append(entry)
        return r.FoundMaterial(
            type=type,
            name_contains=name_contains,
            searched=searched,
            items=found,
            truncated=truncated,
        )

    def upload_material(
        self,
        path: PathArg,
        type: UploadType = "image",
        title: Annotated[str | None, Field(description="A video's title (required).")] = None,
        introduction: Annotated[
            str | None, Field(description="A video's introduction (required).")
        ] = None,
    ) -> r.Uploaded:
        """Upload a file from the root folders as permanent material, checked as wxm checks."""
        with open_confined(path, self.ws.roots) as stream:
            name = Path(path).name
            uploaded = self.client.material.add_material(
                type, stream, name, title=title, introduction=introduction
            )
        return r.Uploaded(media_id=uploaded.media_id, type=type, file=path, url=uploaded.url)

    def download_material(
        self,
        media_id: MediaId,
        to_dir: Annotated[
            str, Field(min_length=1, description="A folder inside the roots (default: the first).")
        ] = ".",
    ) -> r.Downloaded:
        """Save permanent material into a folder of the roots, under WeChat's file name."""
        directory = self.ws.confined(to_dir)
        if not directory.is_dir():
            raise ValidationError(f"{to_dir} is not a folder: give an existing folder")
        saved = self.client.material.download_material(media_id, directory, overwrite=False)
        saved = self.ws.confined(str(saved))  # a name from WeChat must not lead out either
        digest = hashlib.sha256()
        size = 0
        with open_confined(saved, self.ws.roots) as written:
            for chunk in iter(lambda: written.read(1 << 16), b""):
                digest.update(chunk)
                size += len(chunk)
        return r.Downloaded(
            media_id=media_id, path=str(saved), size=size, sha256=digest.hexdigest()
        )

    def describe_material(self, media_id: MediaId) -> r.Described:
        """What a permanent media_id is: its type, name and size; a video's title and intro."""
        material = self.client.material.get_material(media_id)
        if isinstance(material, NewsMaterial):
            return r.Described(media_id=media_id, type="news", titles=_titles(material))
        if isinstance(material, VideoMaterial):
            return r.Described(
                media_id=media_id,
                type="video",
                title=material.title,
                introduction=material.description,
            )
        assert isinstance(material, MediaFile)
        kind = "voice" if material.content_type.startswith("audio/") else "image"
        return r.Described(
            media_id=media_id,
            type=kind,
            name=material.filename,
            content_type=material.content_type,
            size=material.size,
        )

    # articles -------------------------------------------------------------------

    def _articles(self) -> Any:
        import wechat_material.articles as articles

        return articles

    def _local_images(self, base_dir: Path, sources: Iterable[str]) -> None:
        """Every local image must lie in the roots, as the publisher will read it."""
        for source in sources:
            if urlsplit(source).scheme:
                continue  # the publisher's fetching and scheme rules judge URLs
            confine(base_dir / unquote(source), self.ws.roots)

    def _read_post(self, path: str) -> str:
        """The text of the post at ``path`` (in the roots), read once."""
        with open_confined(path, self.ws.roots) as stream:
            data = stream.read(MAX_POST_BYTES + 1)
        if len(data) > MAX_POST_BYTES:
            raise ValidationError(
                f"{path} is over {MAX_POST_BYTES // (1024 * 1024)} MB: no article is that long"
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{path} is not UTF-8 text (byte {exc.start})") from None

    def _load(self, path: str, theme: str) -> Any:
        post = self._articles().load_post(self.ws.confined(path), theme=theme)
        self._local_images(post.base_dir, post.rendered.images)
        return post

    def render_markdown(
        self,
        path: Annotated[
            str | None, Field(description="A Markdown post in the roots (or give markdown).")
        ] = None,
        markdown: Annotated[str | None, Field(description="Markdown text (or give path).")] = None,
        theme: ThemeName = "default",
    ) -> r.Rendered:
        """The HTML WeChat would receive for a post, its size against the limit, what it drops."""
        if (path is None) == (markdown is None):
            raise ValidationError("give either path or markdown, not both and not neither")
        articles = self._articles()
        if path is not None:
            rendered = articles.render(self._read_post(path), theme=theme)
            warnings = list(rendered.warnings)
            folder = self.ws.confined(path).parent
            for source in rendered.images:
                try:
                    self._local_images(folder, [source])
                except ValidationError as exc:
                    warnings.append(f"{exc}: publishing would refuse it")
        else:
            rendered = articles.render(markdown, theme=theme)
            warnings = list(rendered.warnings)
        # Measured as sent: each image's path replaced by a URL as long as WeChat's.
        from wechat_material.articles.post import URL_ALLOWANCE

        sized = rendered.with_image_urls(dict.fromkeys(rendered.images, URL_ALLOWANCE))
        return r.Rendered(
            theme=theme,
            html=rendered.html,
            size=size_report(sized),
            dropped=wechat_would_drop(sized),
            warnings=warnings,
            images=list(rendered.images),
        )

    def publish_markdown(
        self,
        path: PathArg,
        theme: ThemeName = "default",
        draft_only: Annotated[
            bool, Field(description="false: also submit it for publishing (--allow publish).")
        ] = True,
    ) -> r.Published:
        """Publish a Markdown post as a draft (updated on every run) and read it back."""
        if not draft_only:
            self._permit("publish", "publish_markdown", path=path, theme=theme)
        articles = self._articles()
        post = self._load(path, theme)
        cover = post.cover_source
        self._local_images(post.base_dir, [cover])
        # The publisher itself keeps every image inside the roots as it reads it.
        rules = articles.ImageRules(assets=tuple(self.ws.roots))
        options = articles.PublishOptions(theme=theme, write_back=False, images=rules)
        notes: list[str] = []
        outcome = articles.publish_post(
            self.client,
            post,
            options,
            cache=self.ws.cache() if self.ws.cache is not None else None,
            notify=notes.append,
        )
        publish_id = None
        if not draft_only:
            publish_id = self.client.publish.submit(outcome.draft_id).publish_id
        return r.Published(
            draft_id=outcome.draft_id,
            created=outcome.created,
            images_uploaded=outcome.uploads.images,
            images_reused=outcome.uploads.reused,
            covers_uploaded=outcome.uploads.covers,
            changes=[str(change) for change in outcome.changes],
            notes=list(outcome.notes),
            publish_id=publish_id,
        )

    def list_drafts(self, offset: Offset = 0, count: Count = PAGE_MAX) -> r.DraftPage:
        """One page of the draft box, newest first."""
        page = self.client.draft.batch_get(offset, count, no_content=True)
        items = [
            r.DraftEntry(
                media_id=item.media_id,
                titles=_titles(item.content),
                update_time=item.update_time,
            )
            for item in page.items
        ]
        return r.DraftPage(offset=offset, total_count=page.total_count, items=items)

    def publication_status(
        self,
        publish_id: Annotated[
            str, Field(min_length=1, max_length=64, description="From submit_publication.")
        ],
    ) -> r.Publication:
        """Where a submitted publication stands, and its articles' URLs once published."""
        result = self.client.publish.get(publish_id)
        detail = result.article_detail
        return r.Publication(
            publish_id=publish_id,
            status=publish_status_name(result.publish_status),
            status_code=int(result.publish_status),
            article_id=result.article_id,
            article_urls=[link.article_url for link in detail.item] if detail else [],
            failed_articles=list(result.fail_idx),
        )

    # backups (read only) -------------------------------------------------------------

    def backup_status(self, dir: BackupDir) -> r.BackupStatus:
        """What a backup folder holds: items and sizes by kind, and its runs."""
        from wechat_material.backup import describe_backup

        described = describe_backup(self.ws.confined(dir))
        return r.BackupStatus(
            directory=str(described.directory),
            appid=described.appid,
            format_version=described.format_version,
            kinds=[
                r.BackupKind(kind=k.kind, items=k.items, gone_upstream=k.gone, bytes=k.bytes)
                for k in described.kinds
            ],
            stored_bytes=described.stored_bytes,
            runs=list(described.runs),
        )

    def verify_backup(self, dir: BackupDir) -> r.BackupVerification:
        """Re-hash every file of a backup against its manifest; changes nothing."""
        from wechat_material.backup import verify_backup

        report = verify_backup(self.ws.confined(dir))
        return r.BackupVerification(
            directory=str(report.directory),
            ok=report.ok,
            checked_items=report.checked_rows,
            checked_files=report.checked_files,
            checked_bytes=report.checked_bytes,
            damaged=[r.Damage(kind=d.kind, id=d.id, problem=d.problem) for d in report.damaged],
            unreferenced_files=len(report.unreferenced),
        )

    # the ledger ---------------------------------------------------------------------

    def find_unused_images(self) -> r.UnusedImages:
        """Images no draft, publication or news article uses (as cover, picture or inline)."""
        from wechat_material.articles.readback import image_key
        from wechat_material.sandbox.state.inventory import ArticleSet, ledger

        def article_set(kind: str, owner: str, articles: list[Article]) -> ArticleSet:
            return ArticleSet(kind, owner, "", 0.0, [a.model_dump() for a in articles])

        sets = [
            article_set("draft", d.media_id, d.content.articles) for d in self.client.draft.stream()
        ]
        sets += [
            article_set("article", p.article_id, p.content.articles)
            for p in self.client.publish.stream()
        ]
        sets += [
            article_set("news", n.media_id, n.content.articles)
            for n in self.client.material.stream_get_material(MaterialType.NEWS)
        ]
        used = {use.reference for use in ledger(sets)}
        used_keys = {image_key(reference) for reference in used}
        images = list(self.client.material.stream_get_material(MaterialType.IMAGE))
        unused = [
            r.UnusedImage(media_id=image.media_id, name=image.name, url=image.url)
            for image in images
            if image.media_id not in used
            and (not image.url or image_key(image.url) not in used_keys)
        ]
        return r.UnusedImages(
            images=len(images),
            articles_read=sum(len(s.articles) for s in sets),
            unused=unused,
        )

    # destructive and public -----------------------------------------------------------

    def delete_material(self, media_id: MediaId) -> r.Done:
        """Delete permanent material for good (needs --allow delete)."""
        self._permit("delete", "delete_material", media_id=media_id)
        self.client.material.del_material(media_id)
        return r.Done(action="deleted material", id=media_id)

    def delete_draft(self, media_id: MediaId) -> r.Done:
        """Delete a draft for good (needs --allow delete)."""
        self._permit("delete", "delete_draft", media_id=media_id)
        self.client.draft.delete(media_id)
        return r.Done(action="deleted draft", id=media_id)

    def submit_publication(
        self, draft_id: Annotated[str, Field(min_length=1, max_length=128)]
    ) -> r.Submitted:
        """Submit a draft for publishing to the account's readers (needs --allow publish)."""
        self._permit("publish", "submit_publication", draft_id=draft_id)
        publish_id = self.client.publish.submit(draft_id).publish_id
        return r.Submitted(draft_id=draft_id, publish_id=publish_id)


READ_ONLY = (
    "material_counts",
    "list_material",
    "find_material",
    "describe_material",
    "render_markdown",
    "list_drafts",
    "publication_status",
    "backup_status",
    "verify_backup",
    "find_unused_images",
)
WRITING = ("upload_material", "download_material", "publish_markdown")
DESTRUCTIVE = ("delete_material", "delete_draft", "submit_publication")
