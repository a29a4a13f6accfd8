"""A tour of wechat-material on an embedded sandbox: no WeChat account needed.

Run ``wxm demo`` or ``python -m wechat_material.cli.demo``. It starts a sandbox
(in memory, or in ``--data-dir``), then, with the SDK and the sandbox's demo
account: uploads the sample media shipped in ``wechat_material/samples/``,
lists and counts the material, downloads an image back and checks it is the
same bytes, creates a draft and publishes it (moving the sandbox clock on so
publishing completes), and prints what happened.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.markup import escape

from wechat_material.cli.context import session
from wechat_material.cli.errors import sandbox_busy
from wechat_material.cli.output import JsonFlag, console_for, examples, table
from wechat_material.errors import WeChatError
from wechat_material.limits import MaterialType

if TYPE_CHECKING:
    from wechat_material import WeChatClient
    from wechat_material.models import NewsItem

# (sample file, material type, permanent?) in upload order.
SAMPLES: tuple[tuple[str, MaterialType, bool], ...] = (
    ("image.jpg", MaterialType.IMAGE, True),
    ("thumb.jpg", MaterialType.THUMB, True),
    ("voice-2s.mp3", MaterialType.VOICE, True),
    ("video.mp4", MaterialType.VIDEO, True),
    ("image.png", MaterialType.IMAGE, False),
)


class DemoFailed(WeChatError):
    """A step of the demo did not give the expected result."""


@dataclass
class DemoReport:
    """What the demo did, step by step (also its ``--json`` output)."""

    base_url: str = ""
    uploads: list[dict[str, Any]] = field(default_factory=list)
    article_image_url: str = ""
    listing: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    download: dict[str, Any] = field(default_factory=dict)
    draft_id: str = ""
    publish: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "uploads": self.uploads,
            "article_image_url": self.article_image_url,
            "listing": self.listing,
            "counts": self.counts,
            "download": self.download,
            "draft_id": self.draft_id,
            "publish": self.publish,
            "seconds": round(self.seconds, 2),
        }


@contextmanager
def _samples() -> Iterator[Path]:
    with as_file(files("wechat_material").joinpath("samples")) as directory:
        yield Path(directory)


def _upload_samples(client: WeChatClient, samples: Path, report: DemoReport) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name, kind, permanent in SAMPLES:
        path = samples / name
        if not permanent:
            media = client.material.upload_media(kind, path)
            ids[name] = media.media_id
            report.uploads.append(
                {"file": name, "type": kind.value, "kept": "3 days", "media_id": media.media_id}
            )
            continue
        if kind is MaterialType.VIDEO:
            material = client.material.add_video_material(
                path, "A sample video", "Uploaded by the wechat-material demo"
            )
        else:
            material = client.material.add_material(kind, path)
        ids[name] = material.media_id
        report.uploads.append(
            {
                "file": name,
                "type": kind.value,
                "kept": "permanent",
                "media_id": material.media_id,
                "url": material.url,
            }
        )
    return ids


def _list_and_count(client: WeChatClient, report: DemoReport) -> None:
    from wechat_material.models import MaterialItem

    for kind in (MaterialType.IMAGE, MaterialType.VOICE, MaterialType.VIDEO):
        item: MaterialItem | NewsItem
        for item in client.material.stream_get_material(kind):
            name = item.name if isinstance(item, MaterialItem) else ""
            report.listing.append({"type": kind.value, "media_id": item.media_id, "name": name})
    report.counts = client.material.get_material_count().by_type()


def _download_and_compare(
    client: WeChatClient, media_id: str, original: Path, report: DemoReport
) -> None:
    with tempfile.TemporaryDirectory(prefix="wxm-demo-") as tmp:
        saved = client.material.download_material(media_id, tmp + "/")
        same = saved.read_bytes() == original.read_bytes()
        report.download = {
            "media_id": media_id,
            "file": saved.name,
            "size": saved.stat().st_size,
            "identical": same,
        }
    if not same:
        raise DemoFailed(f"the downloaded {original.name} differs from the uploaded one")


def _draft_and_publish(
    client: WeChatClient, thumb_id: str, image_url: str, advance: Any, report: DemoReport
) -> None:
    article = {
        "title": "Hello from the sandbox",
        "author": "wxm demo",
        "digest": "A draft made and published by the wechat-material demo.",
        "thumb_media_id": thumb_id,
        "content": f'<p>Published without a WeChat account.</p><p><img src="{image_url}"></p>',
        "need_open_comment": 1,
    }
    report.draft_id = client.draft.add([article])
    submission = client.publish.submit(report.draft_id)
    advance()  # the sandbox's clock moves only when told: let publishing finish
    result = client.publish.wait(submission.publish_id, interval=0.2, max_wait=10)
    report.publish = {
        "publish_id": submission.publish_id,
        "succeeded": result.succeeded,
        "article_id": result.article_id,
        "article_urls": result.article_urls,
    }
    if not result.succeeded:
        raise DemoFailed(f"publishing ended with status {result.publish_status}")


def run_demo(out: Console | None, err: Console, *, data_dir: Path | None = None) -> DemoReport:
    """Run the tour; its steps, tables and notes go to ``out``, all on stdout.

    With ``out`` None (``--json``, whose stdout is one document) the notes go to
    ``err`` and the tables nowhere.
    """
    # Imported here: ``wxm`` loads this module for its help, and the sandbox is heavy.
    from wechat_material import WeChatClient
    from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, SandboxConfig, run_in_thread

    started = time.monotonic()
    report = DemoReport()

    def show(view: RenderableType) -> None:
        if out is not None:
            out.print(view)

    def note(text: str, style: str = "dim") -> None:
        # soft_wrap: a URL stays one piece, for the terminal to wrap and the user to copy.
        (out or err).print(escape(text), style=style, soft_wrap=True)

    where = f"in {data_dir}" if data_dir else "in memory"
    note(f"starting a sandbox {where} ...")
    config = SandboxConfig(data_dir=data_dir)
    with run_in_thread(config) as sandbox, _samples() as samples:
        report.base_url = sandbox.base_url
        with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as client:
            note(f"sandbox at {sandbox.base_url}, account {DEMO_APPID}")
            ids = _upload_samples(client, samples, report)
            show(
                table(
                    "1. uploaded the samples",
                    ("file", "type", "kept", "media id"),
                    [(u["file"], u["type"], u["kept"], u["media_id"]) for u in report.uploads],
                )
            )

            report.article_image_url = client.material.upload_image(samples / "image.png").url
            note(f"2. uploaded an image for article HTML: {report.article_image_url}", "bold")

            _list_and_count(client, report)
            show(
                table(
                    "3. listed the material",
                    ("type", "media id", "name"),
                    [(i["type"], i["media_id"], i["name"]) for i in report.listing],
                )
            )
            show(table("4. counted it", tuple(report.counts), [tuple(report.counts.values())]))

            _download_and_compare(client, ids["image.jpg"], samples / "image.jpg", report)
            d = report.download
            show(
                table(
                    "5. downloaded image.jpg back",
                    ("media id", "saved as", "bytes", "same"),
                    [(d["media_id"], d["file"], d["size"], "yes" if d["identical"] else "NO")],
                )
            )

            def advance() -> None:
                sandbox.admin.advance(config.publish_seconds + 1)

            _draft_and_publish(client, ids["thumb.jpg"], report.article_image_url, advance, report)
            p = report.publish
            show(
                table(
                    "6. drafted and published an article",
                    ("draft id", "article id", "url"),
                    [(report.draft_id, p["article_id"], url) for url in p["article_urls"]],
                )
            )
    report.seconds = time.monotonic() - started
    note(f"demo finished in {report.seconds:.1f} s: every step worked.", "green")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m wechat_material.cli.demo [--data-dir DIR] [--json]``."""
    from wechat_material.sandbox import SandboxInUseError

    parser = argparse.ArgumentParser(prog="python -m wechat_material.cli.demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="keep the sandbox's state here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    err = console_for(sys.stderr, stderr=True)
    out = None if args.json else console_for(sys.stdout)
    try:
        report = run_demo(out, err, data_dir=args.data_dir)
    except (WeChatError, SandboxInUseError) as exc:
        err.print(f"[bold red]demo failed:[/bold red] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    if args.json:
        sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    return 0


# wxm demo ------------------------------------------------------------------


def demo(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the demo sandbox's state here (default: in memory)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Upload, list, count, download, draft and publish on a throw-away sandbox."""
    from wechat_material.sandbox import SandboxInUseError

    out = session(ctx, json_out).output
    try:
        report = run_demo(None if out.json_mode else out.out, out.err, data_dir=data_dir)
    except SandboxInUseError as exc:
        raise sandbox_busy(
            exc.data_dir, exc.pid, "give another --data-dir, or none to run the demo in memory."
        ) from None
    out.result(report.as_json())


def register(app: typer.Typer) -> None:
    app.command("demo", epilog=examples("wxm demo", "wxm demo --json"))(demo)


if __name__ == "__main__":
    sys.exit(main())
