"""``wxm publish POST.md``: a Markdown post rendered for WeChat and saved as a draft.

The work is :mod:`wechat_material.articles` (the ``publish`` extra); this
module reads the options, shows what happens, and prints one result. It
imports the extra only when the command runs, so that every other command
works without it.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wechat_material.cli.context import Session, session
from wechat_material.cli.drafts import wait_for_publication
from wechat_material.cli.errors import CliError, UsageProblem
from wechat_material.cli.output import JsonFlag, examples, table

if TYPE_CHECKING:
    from wechat_material.articles import Post, PublishOutcome
    from wechat_material.articles.images import ImageRules

THEME_HELP = "The look: default, ink or ocean."
# Stands for the embedded sandbox in the cache's key (the sandbox's data outlives its port).
EMBEDDED_SANDBOX_URL = "http://embedded-sandbox.invalid"


def _extra() -> Any:
    """The articles package; without its extra, a one-line error naming the pip command."""
    import wechat_material.articles as articles

    return articles


def _preview(
    current: Session, post: Post, rules: ImageRules, out: Path | None, open_it: bool
) -> None:
    articles = _extra()
    images = articles.read_post_images(post, with_cover=False, rules=rules)
    path = articles.write_preview(post, images, out).resolve()
    current.output.result({"preview": str(path)}, str(path))
    if open_it:
        webbrowser.open(path.as_uri())


def _size(current: Session, post: Post) -> None:
    """``content: 6,180 of 20,000 characters``; a warning instead when close to the limit."""
    warning = post.size.warning()
    if warning is not None:
        current.output.warn(warning)
    else:
        current.output.note(post.size.line())


def _dry_run(current: Session, post: Post, rules: ImageRules) -> None:
    from wechat_material.articles.images import prepare, shown

    images = _extra().read_post_images(post, rules=rules)
    for source in post.rendered.images:
        note = prepare(images[source]).note
        if note:
            current.output.note(note)
    cover = prepare(images[post.cover_source], cover=True)
    if cover.note:
        current.output.note(cover.note)
    data = {
        "dry_run": True,
        "title": post.meta.title,
        "digest": post.digest,
        "cover": shown(post.cover_source),
        "images": [shown(source) for source in post.rendered.images],
        "references": list(post.rendered.references),
        "content_characters": post.size.characters,
        "content_size": post.size.as_dict(),
        "warnings": list(post.warnings),
    }
    rows = [
        ("title", post.meta.title),
        ("digest", post.digest),
        ("cover", shown(post.cover_source)),
        ("images", len(post.rendered.images)),
        ("references", len(post.rendered.references)),
        ("content", post.size.line().removeprefix("content: ")),
    ]
    current.output.note("dry run: rendered and checked; nothing was sent")
    current.output.result(data, table(None, ("", ""), rows))


def _submit(
    current: Session, outcome: PublishOutcome, wait: bool, max_wait: float
) -> dict[str, Any]:
    from wechat_material.models import publish_status_name

    client = current.client()
    publish_id = client.publish.submit(outcome.draft_id).publish_id
    current.output.note(f"submitted for publishing: publish id {publish_id}")
    if not wait:
        return {"publish_id": publish_id, "status": "publishing"}
    result = wait_for_publication(current.output, client, publish_id, max_wait)
    status = publish_status_name(result.publish_status)
    found = {
        "publish_id": publish_id,
        "status": status,
        "article_id": result.article_id,
        "article_urls": result.article_urls,
    }
    if result.done and not result.succeeded:
        raise CliError(
            f"publishing {publish_id} ended as {status}",
            hint=f"the draft {outcome.draft_id} is kept; check it in the WeChat console.",
        )
    return found


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cache(current: Session) -> Any:
    """The account's upload cache; the embedded sandbox's port changes every run, its data not."""
    articles = _extra()
    connection = current.connection()
    client = current.client()
    if connection.sandbox == "embedded":
        return articles.AccountCache.for_account(EMBEDDED_SANDBOX_URL, connection.appid)
    return articles.AccountCache.for_account(client.base_url, client.appid)


def _report(current: Session, outcome: PublishOutcome, published: dict[str, Any]) -> None:
    out = current.output
    verb = "created" if outcome.created else "updated"
    uploads = outcome.uploads
    out.success(f"{verb} draft {outcome.draft_id}")
    out.note(
        f"uploaded {_count(uploads.images, 'image')} and {_count(uploads.covers, 'cover')}; "
        f"{_count(uploads.reused, 'image')} already uploaded"
    )
    for change in outcome.changes:
        out.warn(f"WeChat changed the article: {change}")
    data = {
        "draft_id": outcome.draft_id,
        "created": outcome.created,
        "uploads": {
            "images": uploads.images,
            "reused": uploads.reused,
            "covers": uploads.covers,
        },
        "changes": [str(change) for change in outcome.changes],
        "notes": outcome.notes,
        **published,
    }
    rows: list[tuple[str, Any]] = [("draft", outcome.draft_id)]
    rows += [(key, value) for key, value in published.items() if key != "article_urls"]
    rows += [(f"article {i + 1}", url) for i, url in enumerate(published.get("article_urls", []))]
    out.result(data, table(None, ("", ""), rows))


def _assets_folder(folder: Path) -> Path:
    if not folder.is_dir():
        raise UsageProblem(
            f"--assets {folder}: not a folder",
            hint="name a folder that holds the post's images.",
        )
    return folder.resolve()


def publish_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="The Markdown post.", metavar="POST.md", show_default=False),
    ],
    theme: Annotated[str, typer.Option("--theme", "-t", help=THEME_HELP)] = "default",
    css: Annotated[
        Path | None, typer.Option("--css", help="A CSS file applied after the theme.")
    ] = None,
    write_back: Annotated[
        bool,
        typer.Option(
            "--write-back/--no-write-back",
            help="Write the draft's media_id into the post's front matter "
            "(--no-write-back: keep the post untouched, remember it in the cache).",
        ),
    ] = True,
    submit: Annotated[
        bool, typer.Option("--submit", help="Submit the draft for publishing.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Submit and wait until WeChat has published it.")
    ] = False,
    max_wait: Annotated[
        float, typer.Option(min=0, help="Give up waiting after this many seconds.")
    ] = 300.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and check everything; send nothing.")
    ] = False,
    preview: Annotated[
        bool,
        typer.Option("--preview", help="Write an HTML preview at phone width; send nothing."),
    ] = False,
    preview_out: Annotated[
        Path | None, typer.Option("--preview-out", help="Where to write the preview.")
    ] = None,
    open_it: Annotated[bool, typer.Option("--open", help="Open the preview in a browser.")] = False,
    assets: Annotated[
        list[Path] | None,
        typer.Option(
            "--assets",
            help="Also take local images from this folder (repeatable; by default only "
            "the post's folder).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    allow_private_hosts: Annotated[
        bool,
        typer.Option(
            "--allow-private-hosts",
            help="Fetch remote images from loopback, private and link-local addresses too.",
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Publish a Markdown post as a draft: render, upload new images, save, read back.

    Publishing again updates the same draft and uploads only new images.
    """
    current = session(ctx, json_out)
    articles = _extra()
    from wechat_material.articles.images import ImageRules

    extra_css = css.read_text("utf-8") if css is not None else None
    rules = ImageRules(
        assets=tuple(_assets_folder(folder) for folder in assets or ()),
        allow_private_hosts=allow_private_hosts,
    )
    post = articles.load_post(file, theme=theme, css=extra_css)
    for warning in post.warnings:
        current.output.warn(warning)
    _size(current, post)
    if preview or open_it or preview_out is not None:
        _preview(current, post, rules, preview_out, open_it)
        return
    if dry_run:
        _dry_run(current, post, rules)
        return
    options = articles.PublishOptions(
        theme=theme, css=extra_css, write_back=write_back, images=rules
    )
    outcome = articles.publish_post(
        current.client(), post, options, cache=_cache(current), notify=current.output.note
    )
    published = _submit(current, outcome, wait, max_wait) if submit or wait else {}
    _report(current, outcome, published)


def register(app: typer.Typer) -> None:
    app.command(
        "publish",
        epilog=examples(
            "wxm publish post.md",
            "wxm publish post.md --theme ink --preview --open",
            "wxm publish post.md --dry-run",
            "wxm publish post.md --assets ../shared-images",
            "wxm publish post.md --submit --wait",
        ),
    )(publish_command)
