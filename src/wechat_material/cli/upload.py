"""``wxm upload`` and ``wxm image``: many files at once, every one checked first.

Every file is checked with the SDK's own check
(:func:`wechat_material.uploads.prepare_upload`) before any is sent, so that
one bad file among twenty is reported before any of them is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wechat_material.cli.context import Session, session
from wechat_material.cli.errors import (
    CliError,
    Failure,
    LocalInputError,
    UsageProblem,
    failure_for,
)
from wechat_material.cli.exit_codes import EXIT_INPUT, EXIT_INTERRUPTED
from wechat_material.cli.output import JsonFlag, examples, table
from wechat_material.errors import MediaValidationError
from wechat_material.limits import LIMITS, MaterialType, Target
from wechat_material.mediainfo import detect_stream_format

if TYPE_CHECKING:
    # The client (and httpx under it) loads when a command sends, not for its --help.
    from wechat_material import AsyncWeChatClient
    from wechat_material.cli.metering import Advance

# checking the files --------------------------------------------------------


class UploadType(StrEnum):
    """What ``--type`` accepts: a material type, or ``auto`` (from the file's content)."""

    AUTO = "auto"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    THUMB = "thumb"


# The types ``auto`` chooses between; a JPEG is an image, never a thumb, unless asked.
_AUTO_TYPES = (MaterialType.IMAGE, MaterialType.VOICE, MaterialType.VIDEO)


@dataclass(frozen=True)
class PlannedUpload:
    """A file that passed the checks, and what it will be uploaded as."""

    path: Path
    type: MaterialType
    size: int


@dataclass(frozen=True)
class Rejected:
    """A file that would be refused, and why."""

    path: Path
    reason: str


def detect_type(path: Path, target: Target) -> MaterialType | None:
    """The material type a file's content makes it, for ``--type auto``."""
    with path.open("rb") as file:
        fmt = detect_stream_format(file)
    if fmt is None:
        return None
    for kind in _AUTO_TYPES:
        limit = LIMITS.get((target, kind))
        if limit is not None and fmt in limit.formats:
            return kind
    return None


# The flags that stand for the SDK's video arguments, for messages.
_VIDEO_FLAGS = {"title": "--title", "introduction": "--intro"}


def _check_video_text(title: str | None, intro: str | None) -> None:
    """WeChat's limits on a video's title and introduction, checked before any upload,
    in the command line's terms (the SDK's own message names its Python arguments)."""
    from wechat_material.checks import video_description_problem

    problem = video_description_problem(title, intro)
    if problem is not None:
        flag = _VIDEO_FLAGS.get(problem.field or "", "--title")
        hint = f"shorten {flag}; nothing was sent."
        raise LocalInputError(f"{flag}: {problem.message}", hint=hint)


def _check_one(path: Path, wanted: UploadType, target: Target) -> PlannedUpload | Rejected:
    if not path.exists():
        return Rejected(path, "no such file")
    if not path.is_file():
        from wechat_material._files import kind_of

        return Rejected(path, f"{path.name} is {kind_of(path.stat().st_mode)}, not a file")
    try:
        kind = MaterialType(wanted.value) if wanted is not UploadType.AUTO else None
        if kind is None:
            kind = detect_type(path, target)
            if kind is None:
                accepted = sorted(
                    {f.value for k in _AUTO_TYPES for f in LIMITS[(target, k)].formats}
                )
                return Rejected(
                    path,
                    "not a recognised image, voice or video file "
                    f"(accepted: {', '.join(accepted)})",
                )
        from wechat_material.uploads import prepare_upload

        checked = prepare_upload(path, filename=path.name, target=target, type=kind)
    except MediaValidationError as exc:
        return Rejected(path, _without_path(str(exc), path))
    except OSError as exc:
        return Rejected(path, exc.strerror or str(exc))
    size = checked.size
    checked.close()
    return PlannedUpload(path, kind, size)


def _without_path(message: str, path: Path) -> str:
    # The SDK names the file; the CLI prints the path itself in front of each reason.
    for prefix in (str(path), path.name):
        if message.startswith(prefix + " "):
            return message[len(prefix) + 1 :]
    return message


def check_files(
    paths: list[Path], wanted: UploadType, target: Target
) -> tuple[list[PlannedUpload], list[Rejected]]:
    """Every file checked: those that may be sent, and those that would be refused."""
    planned: list[PlannedUpload] = []
    rejected: list[Rejected] = []
    for path in paths:
        outcome = _check_one(path, wanted, target)
        if isinstance(outcome, Rejected):
            rejected.append(outcome)
        else:
            planned.append(outcome)
    return planned, rejected


# sending them --------------------------------------------------------------

PathsArg = Annotated[
    list[Path], typer.Argument(help="The files to upload.", metavar="PATH", show_default=False)
]
JobsOption = Annotated[
    int, typer.Option("--jobs", "-j", min=1, max=16, help="Files sent at the same time.")
]


@dataclass
class Outcome:
    """What became of one file: its id (and URL or expiry), or the failure."""

    path: Path
    type: MaterialType
    media_id: str | None = None
    url: str | None = None
    expires_at: datetime | None = None
    failure: Failure | None = None
    errcode: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": str(self.path), "type": self.type.value}
        if self.failure is None:
            data.update(media_id=self.media_id, url=self.url, expires_at=self.expires_at)
        else:
            data.update(error=self.failure.message, errcode=self.errcode)
        return data


Send = Callable[["AsyncWeChatClient", PlannedUpload], Awaitable[Outcome]]


@dataclass
class Batch:
    """What became of a batch: the files that got an answer, in the order given.

    ``interrupted``: Ctrl-C stopped it; ``unfinished`` files got no answer (an
    upload in flight may or may not have been stored by WeChat).
    """

    outcomes: list[Outcome]
    unfinished: list[Path]
    interrupted: bool = False


class UploadInterrupted(CliError):
    """Ctrl-C during a batch, after the uploads done so far were listed (exit 130)."""

    exit_code = EXIT_INTERRUPTED


def checked_files(
    current: Session, paths: list[Path], wanted: UploadType, target: Target
) -> list[PlannedUpload]:
    """The files to send; if any would be refused, each is reported and nothing is sent."""
    planned, rejected = check_files(paths, wanted, target)
    if rejected:
        for item in rejected:
            current.output.failure(Failure(EXIT_INPUT, f"{item.path}: {item.reason}"))
        noun = "file" if len(rejected) == 1 else "files"
        raise LocalInputError(
            f"{len(rejected)} of {len(paths)} {noun} cannot be uploaded", hint="nothing was sent."
        )
    return planned


async def _send_all(
    current: Session,
    planned: list[PlannedUpload],
    send: Send,
    jobs: int,
    answered: dict[int, Outcome],
) -> None:
    """Upload every file, ``jobs`` at a time, under one progress bar over all the bytes.

    Each outcome lands in ``answered`` (by the file's position) as soon as it is
    known, so those are still there when Ctrl-C cancels the rest.
    """
    import asyncio  # here: ls, count and the other commands of this group never need it

    with current.output.transfer_progress() as progress:
        task = progress.add_task(
            f"uploading {len(planned)} file(s)", total=sum(p.size for p in planned)
        )

        def on_upload(_length: int | None) -> Advance:
            return lambda n: progress.advance(task, n)

        gate = asyncio.Semaphore(jobs)
        async with current.async_client(on_upload=on_upload) as client:
            # The token first, once: one that cannot be had stops the batch with one
            # error, not the same error once per file. The uploads then reuse it.
            await client.get_access_token()

            async def one(index: int, item: PlannedUpload) -> None:
                async with gate:
                    try:
                        answered[index] = await send(client, item)
                    except Exception as exc:  # reported with its file; the others go on
                        answered[index] = Outcome(
                            item.path,
                            item.type,
                            failure=failure_for(exc),
                            errcode=getattr(exc, "errcode", None),
                        )

            await asyncio.gather(*(one(index, item) for index, item in enumerate(planned)))


def send_all(current: Session, planned: list[PlannedUpload], send: Send, jobs: int) -> Batch:
    """Run the uploads; Ctrl-C cancels those in flight and keeps those already done."""
    import asyncio

    current.base_url()  # an embedded sandbox starts here, not inside the event loop
    answered: dict[int, Outcome] = {}
    interrupted = False
    try:
        asyncio.run(_send_all(current, planned, send, jobs, answered))
    except KeyboardInterrupt:
        interrupted = True
    unfinished = [item.path for index, item in enumerate(planned) if index not in answered]
    return Batch([answered[i] for i in sorted(answered)], unfinished, interrupted)


def report_failures(current: Session, outcomes: list[Outcome]) -> int:
    """Print each failed file; the exit code of the first failure (0: none failed)."""
    failed = [o for o in outcomes if o.failure is not None]
    for outcome in failed:
        assert outcome.failure is not None
        failure = outcome.failure
        current.output.failure(
            Failure(failure.exit_code, f"{outcome.path}: {failure.message}", failure.hint)
        )
    if failed:
        current.output.err.print(f"{len(failed)} of {len(outcomes)} uploads failed")
    return failed[0].failure.exit_code if failed and failed[0].failure else 0


def _result_json(batch: Batch, key: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: [o.as_json() for o in batch.outcomes if o.failure is None],
        "failed": [o.as_json() for o in batch.outcomes if o.failure is not None],
    }
    if batch.interrupted:
        data.update(interrupted=True, unfinished=[str(path) for path in batch.unfinished])
    return data


def finish(current: Session, batch: Batch, key: str, *views: Any) -> None:
    """Print the batch's result (even a partial one), then exit with its code."""
    exit_code = report_failures(current, batch.outcomes)
    current.output.result(_result_json(batch, key), *views)
    if batch.interrupted:
        done = sum(1 for o in batch.outcomes if o.failure is None)
        total = len(batch.outcomes) + len(batch.unfinished)
        raise UploadInterrupted(
            f"interrupted: {done} of {total} uploads done"
            + (" (listed above)" if done and not current.output.json_mode else ""),
            hint=(
                f"{len(batch.unfinished)} file(s) unfinished; one in flight may still have "
                "been stored: check with 'wxm ls'."
                if batch.unfinished
                else None
            ),
        )
    if exit_code:
        raise typer.Exit(exit_code)


def upload(
    ctx: typer.Context,
    paths: PathsArg,
    type: Annotated[
        UploadType,
        typer.Option("--type", "-t", help="What the files are; auto: detected from content."),
    ] = UploadType.AUTO,
    temporary: Annotated[
        bool,
        typer.Option("--temporary", help="Upload as temporary media (kept 3 days by WeChat)."),
    ] = False,
    title: Annotated[
        str | None, typer.Option(help="A permanent video's title (required for videos).")
    ] = None,
    intro: Annotated[
        str | None, typer.Option(help="A permanent video's introduction (required for videos).")
    ] = None,
    jobs: JobsOption = 4,
    json_out: JsonFlag = False,
) -> None:
    """Upload images, voice, video or thumbs; every file is checked before any is sent."""
    current = session(ctx, json_out)
    target = Target.TEMPORARY if temporary else Target.PERMANENT
    planned = checked_files(current, paths, type, target)
    videos = [p for p in planned if p.type is MaterialType.VIDEO]
    if videos and not temporary and not (title and intro):
        raise UsageProblem(
            f"a permanent video needs --title and --intro ({videos[0].path})",
            hint="give both, or upload it with --temporary.",
        )
    if videos and not temporary:
        _check_video_text(title, intro)

    async def send(client: AsyncWeChatClient, item: PlannedUpload) -> Outcome:
        if temporary:
            media = await client.material.upload_media(item.type, item.path)
            return Outcome(item.path, item.type, media.media_id, expires_at=media.expires_at)
        if item.type is MaterialType.VIDEO:
            assert title is not None
            assert intro is not None
            material = await client.material.add_video_material(item.path, title, intro)
        else:
            material = await client.material.add_material(item.type, item.path)
        return Outcome(item.path, item.type, material.media_id, url=material.url)

    batch = send_all(current, planned, send, jobs)
    done = [o for o in batch.outcomes if o.failure is None]
    last = "expires" if temporary else "url"
    rows = [(o.path, o.type.value, o.media_id, o.expires_at if temporary else o.url) for o in done]
    views = [table(None, ("file", "type", "media id", last), rows)] if done else []
    finish(current, batch, "uploaded", *views)


def upload_article_images(
    ctx: typer.Context, paths: PathsArg, jobs: JobsOption = 4, json_out: JsonFlag = False
) -> None:
    """Upload images for article HTML (JPG/PNG under 1 MB); prints their URLs, one a line."""
    current = session(ctx, json_out)
    planned = checked_files(current, paths, UploadType.IMAGE, Target.ARTICLE_IMAGE)

    async def send(client: AsyncWeChatClient, item: PlannedUpload) -> Outcome:
        image = await client.material.upload_image(item.path)
        return Outcome(item.path, item.type, url=image.url)

    batch = send_all(current, planned, send, jobs)
    urls = "\n".join(o.url or "" for o in batch.outcomes if o.failure is None)
    finish(current, batch, "images", *([urls] if urls else []))


def register(app: typer.Typer) -> None:
    app.command(
        "upload",
        epilog=examples(
            "wxm upload photo.jpg voice.mp3",
            "wxm upload *.png --jobs 8 --json",
            "wxm upload clip.mp4 --title 'Launch' --intro 'Our launch video'",
            "wxm upload cover.jpg --type thumb",
            "wxm upload photo.jpg --temporary",
        ),
    )(upload)
    app.command(
        "image",
        epilog=examples(
            "wxm image figure1.png figure2.jpg",
            "wxm image chart.png --json | jq -r '.images[0].url'",
        ),
    )(upload_article_images)
