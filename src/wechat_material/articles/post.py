"""A post read from disk: its checked front matter, rendered body, images and cover.

:func:`load_post` does everything that needs no network and no account, so a
post that cannot be published fails here, before anything is uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wechat_material.articles import frontmatter
from wechat_material.articles.frontmatter import FrontMatter, PostError
from wechat_material.articles.images import ImageRef, image_references, refuse_scheme
from wechat_material.articles.rendering import Rendered, markdown_parser, render
from wechat_material.articles.size import SizeReport, size_report
from wechat_material.articles.themes import DEFAULT_THEME
from wechat_material.checks import article_problem
from wechat_material.limits import DIGEST_DEFAULT_CHARS
from wechat_material.models import Article

# An uploadimg URL is about this long; used to check the content's size before uploading.
URL_ALLOWANCE = "http://mmbiz.qpic.cn/mmbiz_png/" + "x" * 100 + "/0?wx_fmt=png"


@dataclass(frozen=True)
class Post:
    """A Markdown post ready to upload: nothing in it breaks WeChat's rules."""

    path: Path
    text: str
    meta: FrontMatter
    rendered: Rendered
    warnings: tuple[str, ...]
    image_refs: tuple[ImageRef, ...] = ()
    """Every body image with the line it is written on, in order."""

    @property
    def base_dir(self) -> Path:
        """The folder that relative image paths start from."""
        return self.path.parent

    @property
    def cover_source(self) -> str:
        """``cover`` of the front matter, else the first image of the body."""
        return self.cover_ref.source

    @property
    def cover_ref(self) -> ImageRef:
        """The cover image and where the post names it."""
        if self.meta.cover:
            line = self.meta.line_of("cover")
            return ImageRef(self.meta.cover, f"{self.path.name}:{line}" if line else self.path.name)
        if not self.image_refs:
            raise PostError(
                f"{self.path.name} has no cover: add 'cover: path/to/image.jpg' to its front "
                "matter, or put an image in the post (the first one becomes the cover)",
                field="cover",
            )
        return self.image_refs[0]

    @property
    def digest(self) -> str:
        """``digest`` of the front matter, else the start of the first paragraph."""
        return self.meta.digest or self.rendered.first_paragraph[:DIGEST_DEFAULT_CHARS]

    @property
    def size(self) -> SizeReport:
        """The content's size against WeChat's limit, with its images' URLs counted."""
        allowance = dict.fromkeys(self.rendered.images, URL_ALLOWANCE)
        return size_report(self.rendered.with_image_urls(allowance), self.rendered.blocks)

    def article(self, content: str, thumb_media_id: str) -> Article:
        """The article to send, with ``content`` (images uploaded) and the cover's id."""
        meta = self.meta
        return Article(
            title=meta.title,
            content=content,
            thumb_media_id=thumb_media_id,
            author=meta.author,
            digest=self.digest or None,
            content_source_url=meta.source_url,
            **meta.comment_flags(),
        )


def _check_article(post: Post) -> None:
    size = post.size
    too_big = size.problem()
    if too_big is not None:
        raise PostError(f"{post.path.name}: {too_big}", field="content")
    sized = post.rendered.with_image_urls(dict.fromkeys(post.rendered.images, URL_ALLOWANCE))
    wire = post.article(sized, "cover").model_dump(exclude_none=True)
    problem = article_problem(wire, draft=True)
    if problem is not None:
        field = {"content_source_url": "source_url"}.get(problem.field or "", problem.field)
        message = problem.message.removeprefix("article 1: ")
        line = post.meta.line_of(field or "")  # a front matter field: its line
        where = f"{post.path.name}:{line}" if line else post.path.name
        raise PostError(f"{where}: {message}", field=field)


def read_text(path: Path) -> str:
    """The post's text exactly as stored: line endings are kept for writing it back."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PostError(f"{path.name} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise PostError(
            f"{path.name} cannot be read: {exc.strerror or 'input/output error'}"
        ) from None


def _image_refs(text: str, rendered: Rendered, name: str) -> tuple[ImageRef, ...]:
    """Each body image once, with the first line it is on."""
    refs: dict[str, ImageRef] = {}
    for ref in image_references(markdown_parser().parse(text), name):
        refs.setdefault(ref.source, ref)
    for source in rendered.images:  # written by a theme or a render rule, not the writer
        refs.setdefault(source, ImageRef(source, name))
    return tuple(refs.values())


def load_post(path: Path, *, theme: str = DEFAULT_THEME, css: str | None = None) -> Post:
    """Read, check and render the post at ``path``; :class:`PostError` names what to fix."""
    text = read_text(path)
    parts = frontmatter.split(text, path.name)
    fields = frontmatter.parse(parts.lines, path.name)
    meta = frontmatter.check(fields.values, name=path.name, lines=fields.lines)
    rendered = render(text, theme=theme, css=css)
    refs = _image_refs(text, rendered, path.name)
    post = Post(path, text, meta, rendered, (*fields.warnings, *rendered.warnings), refs)
    for ref in (*refs, *([post.cover_ref] if meta.cover else [])):
        refuse_scheme(ref)  # before anything is read, for a dry run and a preview too
    _check_article(post)
    return post
