"""``wxm backup DIR``, ``wxm backup verify DIR``, ``wxm backup ls DIR`` and ``wxm restore``.

The work is done by :mod:`wechat_material.backup`; this module only reads the
options, shows progress (a live display on a terminal, a plain line every few
seconds otherwise) and prints the summary (a table, or one JSON document with
``--json``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from wechat_material.backup.pacing import DEFAULT_CONCURRENCY, AccountUnavailable
from wechat_material.cli.connection import ConnectionOptions
from wechat_material.cli.context import Session, session
from wechat_material.cli.errors import CliError, LocalInputError, UsageProblem
from wechat_material.cli.output import JsonFlag, Output, examples, table

# Light: the kinds and the default concurrency the options show. The jobs, and
# httpx and the client under them, load when a command runs, not for its --help.
from wechat_material.limits import LIST_KINDS

if TYPE_CHECKING:
    from rich.progress import Progress

    from wechat_material.backup.backup_job import BackupSummary, QuotaPlan
    from wechat_material.backup.backup_job import Progress as RunProgress
    from wechat_material.backup.restore_job import RestoreSummary

PLAIN_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal
SHOWN_FAILURES = 50  # failures listed on the terminal; --json has them all

T = TypeVar("T")


class AccountProblem(LocalInputError):
    """The account cannot get an access token (wrong secret, unreachable, IP not allowed)."""


class BackupGroup(TyperGroup):
    """``wxm backup DIR`` runs a backup; ``verify`` and ``ls`` are the other commands."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


backup_app = typer.Typer(
    cls=BackupGroup,
    help=(
        "Back up the whole library (material, news, drafts, published articles) into DIR, "
        "check a backup, or summarise it. Run it again to update: only what changed is fetched."
    ),
    epilog=examples(
        "wxm backup ~/wx-backup --concurrency 16",
        "wxm backup verify ~/wx-backup",
        "wxm backup ls ~/wx-backup",
        "wxm restore ~/wx-backup --to newaccount --dry-run",
    ),
    no_args_is_help=True,
)

DirArg = Annotated[str, typer.Argument(help="The backup directory.", metavar="DIR")]


def _kinds(text: str | None) -> tuple[str, ...]:
    if not text:
        return LIST_KINDS
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [kind for kind in chosen if kind not in LIST_KINDS]
    if unknown or not chosen:
        raise UsageProblem(
            f"unknown type(s) {', '.join(unknown) or '(none)'}",
            hint=f"choose among {','.join(LIST_KINDS)}",
        )
    return chosen


TypesOption = Annotated[
    str | None,
    typer.Option("--types", help=f"Only these, comma-separated ({','.join(LIST_KINDS)})."),
]
ConcurrencyOption = Annotated[
    int,
    typer.Option("--concurrency", "-c", min=1, max=64, help="Calls in flight at once."),
]


class Display:
    """Progress for people: a live bar on a terminal, a line every few seconds otherwise."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.live = output.err.is_terminal
        self._last_line = 0.0
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Display:
        if self.live:
            # Imported here: a run whose stderr is not a terminal shows no bar.
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} items"),
                TextColumn("{task.fields[size]}"),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=self.output.err,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("backing up", total=None, size="", rate="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def plan(self, plan: QuotaPlan) -> None:
        calls = sum(plan.calls.values())
        self.output.note(f"this run makes about {calls} API calls")
        for path in plan.short:
            self.output.warn(
                f"{path}: {plan.remain[path]} calls left today, the run may need "
                f"{plan.calls[path]}; it will stop cleanly when they run out"
            )

    def progress(self, state: RunProgress) -> None:
        size, rate = _size(state.bytes_done), f"{_size(int(state.rate))}/s"
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=state.items_done,
                total=state.items_total or None,
                size=size,
                rate=rate,
            )
            return
        now = time.monotonic()
        if now - self._last_line >= PLAIN_EVERY:
            self._last_line = now
            self.output.note(f"{state.items_done}/{state.items_total} items, {size}, {rate}")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - the loop returns


def show_summary(output: Output, summary: BackupSummary) -> None:
    rows = [
        (kind, c.new, c.changed, c.unchanged, c.repaired, c.gone, c.failed)
        for kind, c in summary.kinds.items()
    ]
    output.result(
        summary.to_dict(),
        table(
            f"backup of {summary.appid} in {summary.directory}: {summary.status}",
            ["kind", "new", "changed", "unchanged", "repaired", "gone upstream", "failed"],
            rows,
        ),
        f"{_size(summary.bytes_downloaded)} downloaded in {summary.seconds:.1f} s, "
        f"{summary.calls} calls",
    )
    for failure in summary.failures[:10]:
        output.warn(f"{failure.kind} {failure.id}: {failure.error}")
    if summary.external:
        output.note(
            f"{len(summary.external)} picture(s) kept as links, not downloaded "
            "(pictures are fetched from WeChat only; listed in index.html):"
        )
        for picture in summary.external[:10]:
            output.note(f"  - {picture.url}: {picture.reason}")
    output.note("not reachable through the API, so not in the backup:")
    for line in summary.unreachable:
        output.note(f"  - {line}")


@backup_app.command(
    "run", epilog=examples("wxm backup ~/wx-backup", "wxm --json backup ~/wx-backup -c 16")
)
def run_backup(
    ctx: typer.Context,
    directory: DirArg,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    types: TypesOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Back up the account into DIR (also: `wxm backup DIR`)."""
    current = session(ctx, json_out)
    kinds = _kinds(types)
    summary = asyncio.run(account_checked(_backup(current, directory, concurrency, kinds)))
    show_summary(current.output, summary)
    if not summary.ok:
        raise CliError(summary.message, hint="run the same command again to finish")


async def _backup(
    current: Session, directory: str, concurrency: int, kinds: tuple[str, ...]
) -> BackupSummary:
    from wechat_material.backup.backup_job import backup_library

    with Display(current.output) as display:
        async with current.async_client() as client:
            return await backup_library(
                client,
                directory,
                concurrency=concurrency,
                kinds=kinds,
                on_plan=display.plan,
                on_progress=display.progress,
            )


@backup_app.command("verify", epilog=examples("wxm backup verify ~/wx-backup"))
def verify(ctx: typer.Context, directory: DirArg, json_out: JsonFlag = False) -> None:
    """Re-hash every file of a backup against its manifest; report any damage."""
    from wechat_material.backup.verify import verify_backup

    current = session(ctx, json_out)
    report = verify_backup(directory)
    rows = [(d.kind, d.id, d.problem) for d in report.damaged]
    verdict = "intact" if report.ok else f"{len(report.damaged)} damaged item(s)"
    current.output.result(
        report.to_dict(),
        f"{report.checked_rows} items, {report.checked_files} files "
        f"({_size(report.checked_bytes)}) checked: {verdict}",
        *([table("damage", ["kind", "id", "problem"], rows)] if rows else []),
    )
    if report.unreferenced:
        current.output.note(
            f"{len(report.unreferenced)} file(s) in objects/ belong to no item "
            "(an interrupted run; harmless)"
        )
    if not report.ok:
        links = any(d.kind == "folder" for d in report.damaged)
        raise CliError(
            f"the backup in {directory} is damaged",
            hint=(
                "remove the symbolic links listed, then run `wxm backup DIR` again"
                if links
                else "run `wxm backup DIR` again: damaged items are fetched anew"
            ),
        )


@backup_app.command("ls", epilog=examples("wxm backup ls ~/wx-backup", "wxm backup ls DIR --json"))
def list_backup(ctx: typer.Context, directory: DirArg, json_out: JsonFlag = False) -> None:
    """Summarise a backup: items and sizes by kind, and its runs."""
    from wechat_material.backup.verify import describe_backup

    current = session(ctx, json_out)
    described = describe_backup(directory)
    kinds = [(k.kind, k.items, k.gone, _size(k.bytes)) for k in described.kinds]
    last = described.runs[-1] if described.runs else None
    current.output.result(
        described.to_dict(),
        table(
            f"backup of {described.appid} (format {described.format_version})",
            ["kind", "items", "gone upstream", "size"],
            kinds,
        ),
        f"{_size(described.stored_bytes)} stored; {len(described.runs)} run(s)"
        + (f", the last {last['status']}" if last else ""),
    )


# wxm restore ---------------------------------------------------------------


def target_session(current: Session, profile: str) -> Session:
    """A session for the profile restored into (sharing the run's embedded sandbox).

    The run's --timeout and --proxy hold for the target too: they say how this
    machine reaches WeChat, whichever account it speaks for.
    """
    timeout, proxy = current.options.timeout, current.options.proxy
    options = ConnectionOptions(profile=profile, timeout=timeout, proxy=proxy)
    target = Session(options, current.output)
    if target.connection().sandbox == "embedded":
        # One embedded sandbox per data directory: the target uses the run's own.
        options = replace(options, sandbox=True, base_url=current.base_url())
        target = Session(options, current.output)
    return target


def show_restore(output: Output, summary: RestoreSummary) -> None:
    if summary.dry_run:
        rows = [
            (path, need, "?" if summary.remain.get(path) is None else summary.remain[path])
            for path, need in summary.needed.items()
        ]
        output.result(
            summary.to_dict(),
            table(
                f"restoring {summary.directory} into {summary.target} would need",
                ["API", "calls", "left today"],
                rows,
            ),
        )
        return
    done = [(step, c.created, c.already, c.adopted, c.failed) for step, c in summary.steps.items()]
    output.result(
        summary.to_dict(),
        table(
            f"restore of {summary.source} into {summary.target}: {summary.status}",
            ["step", "created", "done before", "found in the target", "failed"],
            done,
        ),
        f"{summary.calls} calls in {summary.seconds:.1f} s",
    )
    for cut in summary.shortened:
        output.note(f"title shortened ({cut['id']}): {cut['title']} -> {cut['shortened']}")
    for failure in summary.failures[:SHOWN_FAILURES]:
        what = f"{failure['step']} {failure['id']}"
        if failure.get("name") and failure["name"] != failure["id"]:
            what += f" ({failure['name']})"
        kind = "cannot be restored as it is" if failure["permanent"] else "not restored"
        output.warn(f"{what} {kind}: {failure['error']}")
    if len(summary.failures) > SHOWN_FAILURES:
        output.warn(
            f"... and {len(summary.failures) - SHOWN_FAILURES} more (--json lists every one)"
        )
    if summary.journal:
        output.note(f"journal of this restore: {summary.journal}")


def restore_command(
    ctx: typer.Context,
    directory: DirArg,
    to: Annotated[str, typer.Option("--to", help="The profile of the account to restore into.")],
    types: TypesOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the plan and the quota it needs; change nothing."),
    ] = False,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    shorten_titles: Annotated[
        bool,
        typer.Option(
            "--shorten-titles",
            help="Cut titles longer than the draft box takes (legacy news) at its limit, "
            "and list each one; without it such items are reported as not restorable.",
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Restore a backup into another account: material, then articles as drafts.

    Names are kept as they were. Run it again after any interruption: a journal
    in DIR/restore/ and a look at the target's own lists make sure nothing is
    created twice. The result is `complete` (exit 0) only when every item is in
    the target; otherwise each missing item is listed with its reason (exit 1).
    """
    current = session(ctx, json_out)
    kinds = _kinds(types)
    target = target_session(current, to)
    try:
        summary = asyncio.run(
            account_checked(
                _restore(target, directory, kinds, dry_run, concurrency, shorten_titles)
            )
        )
    finally:
        target.close()
    show_restore(current.output, summary)
    if not summary.ok:
        raise CliError(summary.message, hint=summary.hint or None)


async def account_checked(work: Awaitable[T]) -> T:
    """``work``, with an account that cannot get a token told as one line (exit 3)."""
    try:
        return await work
    except AccountUnavailable as exc:
        raise AccountProblem(str(exc), hint=exc.hint) from exc


async def _restore(
    target: Session,
    directory: str,
    kinds: tuple[str, ...],
    dry_run: bool,
    concurrency: int,
    shorten_titles: bool,
) -> RestoreSummary:
    from wechat_material.backup.restore_job import restore_library

    async with target.async_client() as client:
        return await restore_library(
            client,
            directory,
            kinds=kinds,
            dry_run=dry_run,
            concurrency=concurrency,
            shorten_titles=shorten_titles,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app, name="backup")
    app.command(
        "restore",
        epilog=examples(
            "wxm restore ~/wx-backup --to newaccount --dry-run",
            "wxm restore ~/wx-backup --to newaccount --types image,video,draft",
            "wxm restore ~/wx-backup --to newaccount --shorten-titles",
        ),
    )(restore_command)
