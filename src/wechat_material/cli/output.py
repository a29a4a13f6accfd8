"""What ``wxm`` prints and asks: rich tables for people, one JSON document for scripts.

Results go to stdout: a table (or a few lines) normally, exactly one JSON
document with ``--json``. Everything else (progress bars, notes, warnings,
errors, prompts) goes to stderr, so ``wxm ls --json | jq`` always works.

Secrets never reach either stream: a :class:`Redactor` knows the app secret
and every access token sent during the run. Messages, errors and tracebacks go
through it whole: the known values are hidden, and so is any
``access_token=...`` or ``secret=...`` parameter, since URLs end up in error
texts. Results are the user's own data (an article may well link to
``...?access_token=abc``), so only the exact known values are hidden there:
:meth:`Redactor.known`.

A question before something is destroyed goes to stderr too, so that
``--json`` output stays one document. A closed stdin (a script without
``--yes``) is a usage error rather than a silent "no"; Ctrl-C stays an
interruption (exit 130).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from wechat_material.cli.errors import UsageProblem

if TYPE_CHECKING:
    from rich.progress import Progress

    from wechat_material.cli.errors import Failure

# Wide enough that media ids and URLs stay on one line when output goes to a file or a pipe.
_PIPE_WIDTH = 200

# options many commands share ------------------------------------------------

# The bound of --limit: more than any account holds, small enough to count with.
MAX_ITEMS = 1_000_000

JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print the result as one JSON document on stdout (messages go to stderr).",
    ),
]

YesFlag = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Save to this file or directory; '-' prints it."),
]

ForceFlag = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace the file given with -o if it exists (without it, an existing file "
        "is never replaced).",
    ),
]

STDOUT = "-"
"""``-o -``: the output goes to stdout."""


def examples(*lines: str) -> str:
    """An epilog listing example command lines (kept as separate lines in the help)."""
    body = "\n\n".join(f"  [bold]$[/bold] {line}" for line in lines)
    return f"[bold]Examples[/bold]\n\n{body}"


# hiding secrets -------------------------------------------------------------

HIDDEN = "***"


class Redactor:
    """Replaces known secrets in text with ``***``."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Remember a secret to hide (short strings are ignored: they would hide ordinary text)."""
        if secret and len(secret) >= 6:
            self._secrets.add(secret)

    def known(self, text: str) -> str:
        """``text`` with the exact secret values it was told about hidden, nothing else."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, HIDDEN)
        return text

    def __call__(self, text: str) -> str:
        """``text`` with the known secrets and any token or secret parameter hidden."""
        # Imported here: it loads httpx, which `wxm --help` has no use for.
        from wechat_material._redact import hide_secret_params

        return hide_secret_params(self.known(text), lambda _value: HIDDEN)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


# text from elsewhere ------------------------------------------------------

# Joiners shape emoji and scripts; every other format character (bidi overrides,
# invisible marks) and every control character can disguise or rewrite what a
# terminal shows, so they are shown as escapes instead.
_JOINERS = frozenset("\u200c\u200d")
_LINE_BREAKS = frozenset("\n\t")


def printable(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to show on a terminal: control and bidi/format characters appear
    as escapes (``\\x1b``, ``\\u202e``); ``multiline`` keeps newlines and tabs.

    Everything shown to people (tables, plain results, messages) goes through here;
    ``--json`` documents do not need it, JSON escapes control characters itself.
    """
    if text.isprintable():
        return text
    return "".join(_shown_char(ch, multiline) for ch in text)


def _shown_char(ch: str, multiline: bool) -> str:
    if multiline and ch in _LINE_BREAKS:
        return ch
    category = unicodedata.category(ch)
    if category == "Cc" or (category == "Cf" and ch not in _JOINERS):
        return ch.encode("unicode_escape").decode("ascii")
    return ch


# results and messages -------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Plain JSON data from models, dates, paths and enums."""
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # a pydantic model (pydantic itself is not imported for this)
        return model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def _keep(text: str) -> str:
    return text


def _hidden(data: Any, hide: Callable[[str], str]) -> Any:
    """JSON data with ``hide`` applied to every string value (keys are wxm's own)."""
    if isinstance(data, str):
        return hide(data)
    if isinstance(data, dict):
        return {key: _hidden(value, hide) for key, value in data.items()}
    if isinstance(data, list):
        return [_hidden(value, hide) for value in data]
    return data


def console_for(file: Any, *, stderr: bool = False) -> Console:
    """A rich console on ``file``; wide when it is a file or a pipe, so ids stay whole.

    Messages on stderr are never wrapped by rich (the terminal wraps them), so a long
    path or URL in an error stays one piece for grep and copy-paste.
    """
    console = Console(file=file, stderr=stderr, highlight=False, soft_wrap=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = _PIPE_WIDTH
    return console


class Output:
    """The two streams of one command run, and whether results are JSON."""

    def __init__(self, *, json_mode: bool = False, verbose: bool = False) -> None:
        self.json_mode = json_mode
        self.verbose = verbose
        self.redact = Redactor()
        # The base URL of a sandbox that stops with this run (the embedded one), if any.
        self.ephemeral_url: str | None = None
        # stdout holds one JSON document: once a result is out, an error gets no second one.
        self._stdout_used = False
        # Bound to the streams current at construction time, i.e. those of this run.
        self.out = console_for(sys.stdout, stderr=False)
        self.err = console_for(sys.stderr, stderr=True)

    # results (stdout) ---------------------------------------------------

    def result(self, data: Any, *renderables: RenderableType | str, raw: bool = False) -> None:
        """Print a result: ``data`` as JSON with ``--json``, else the renderables.

        A result is the user's data, printed as it is, except that the app secret
        and the run's access tokens are hidden should they appear in it; ``raw``
        prints even those (a secret the user asked for: ``wxm token --raw``).
        """
        hide = _keep if raw else self.redact.known
        self._warn_ephemeral(data)
        if self.json_mode:
            text = json.dumps(_hidden(to_jsonable(data), hide), ensure_ascii=False, indent=2)
            self._stdout_used = True
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
            return
        for item in renderables:
            if isinstance(item, str):
                # Ids, paths and URLs: printed as they are, never wrapped or read as markup.
                self.out.print(printable(hide(item), multiline=True), markup=False, soft_wrap=True)
            else:
                # Not cropped: a table shown --wide, or a row of ids too long for the
                # terminal, is written out whole for the terminal to wrap.
                self.out.print(item, crop=False)

    def _warn_ephemeral(self, data: Any) -> None:
        """Say so when a result links to the embedded sandbox: those links die with the run."""
        base = self.ephemeral_url
        if base is None or base not in json.dumps(to_jsonable(data), ensure_ascii=False):
            return
        self.warn(
            f"the URLs on {base} point at the embedded sandbox, which stops with this command; "
            "to open them, run 'wxm sandbox serve' and use 'wxm --sandbox --base-url URL ...'."
        )

    def plain(self, text: str) -> None:
        """One line of raw text on stdout, untouched (e.g. a token for ``$(...)``)."""
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    # messages (stderr) ---------------------------------------------------

    def note(self, message: str) -> None:
        """A progress note for people (stderr)."""
        self.err.print(self._message(message), style="dim")

    def success(self, message: str) -> None:
        self.err.print(self._message(message), style="green")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {self._message(message)}")

    def failure(self, failure: Failure) -> None:
        """The one or two lines that explain an error."""
        self.err.print(f"[bold red]error:[/bold red] {self._message(failure.message)}")
        if failure.hint:
            self.err.print(f"[cyan]hint:[/cyan] {self._message(failure.hint)}")

    def error_document(self, failure: Failure, errcode: int | None, errmsg: str | None) -> None:
        """With ``--json``, the failure as one JSON document on stdout, for scripts.

        ``errcode`` and ``errmsg`` are WeChat's when WeChat refused the call;
        otherwise ``errcode`` is null and ``errmsg`` is wxm's message. Nothing is
        printed when the result already was (Ctrl-C while the run closes).
        """
        if not self.json_mode or self._stdout_used:
            return
        error = {
            "errcode": errcode,
            "errmsg": self.redact(errmsg if errmsg is not None else failure.message),
            "hint": self.redact(failure.hint) if failure.hint else None,
            "exit_code": failure.exit_code,
        }
        sys.stdout.write(json.dumps({"error": error}, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()

    def _message(self, text: str) -> str:
        return escape(printable(self.redact(text), multiline=True))

    def traceback(self, exc: BaseException) -> None:
        """The full traceback (``-v``), with secrets hidden."""
        text = "".join(traceback.format_exception(exc))
        self.err.print(self._message(text), style="dim")

    # progress (stderr) ----------------------------------------------------

    @contextmanager
    def transfer_progress(self) -> Iterator[Progress]:
        """A progress display for uploads and downloads; silent when stderr is not a terminal."""
        # Imported here: only transfers show one, and rich.progress is slow to import.
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=True,
            disable=not self.err.is_terminal,
        )
        with progress:
            yield progress

    @contextmanager
    def status(self, message: str) -> Iterator[Callable[[str], None]]:
        """Something being waited for: a spinner on a terminal, plain lines otherwise.

        Yields a function that changes the message; off a terminal each new
        message is one more line on stderr (a log reads as a history).
        """
        if self.err.is_terminal:
            with self.err.status(self._message(message)) as spinner:
                yield lambda text: spinner.update(self._message(text))
            return
        shown = [message]
        self.note(message)

        def update(text: str) -> None:
            if text != shown[-1]:
                shown.append(text)
                self.note(text)

        yield update


def is_id_column(name: str) -> bool:
    """Columns of ids ("media id", "draft id", "appid") are never wrapped or cut."""
    return name.endswith("id")


def is_link_column(name: str) -> bool:
    """Columns of URLs ("url", "article 1 url") are never wrapped or cut either."""
    return name == "url" or name.endswith(" url")


_LINK = ("http://", "https://")


# Below this, a column of names would fold into a tower of short lines.
_MIN_FOLDED = 8

# How results are shown, for this run (set by the root options, and by ``ls --wide``).
_view = {"wide": False, "utc": False}


def show_wide(wide: bool) -> None:
    """``--wide``: every column of a table, even when the terminal must wrap its lines."""
    _view["wide"] = wide


def show_utc(utc: bool) -> None:
    """``--utc``: times in UTC rather than in the local zone."""
    _view["utc"] = utc


WideFlag = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Show every column, even when the lines are wider than the terminal.",
    ),
]


def table(
    title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> RenderableType:
    """A table that keeps ids and URLs whole, on one line, so they can be copied.

    Names and other text fold onto more lines when needed. When the rows do not
    fit the terminal, columns are left out, ids and the first text column kept,
    and a line under the table says which and how to see them (``--wide``,
    ``--json``); when even those do not fit, each row becomes a block of
    ``column: value`` lines, none of them cut. A table whose columns have no
    names has no header row.
    """
    shown_title = printable(title) if title is not None else None
    cells = [[printable(_cell(value)) for value in row] for row in rows]
    return _Listing(shown_title, list(columns), cells)


class _Listing:
    """A table sized to the console it is printed on (see :func:`table`)."""

    def __init__(self, title: str | None, columns: list[str], cells: list[list[str]]) -> None:
        self._title = title
        self._columns = columns
        self._cells = cells

    def _is_link(self, index: int) -> bool:
        """A column of URLs: by its name, or by what it holds (tables without names)."""
        return is_link_column(self._columns[index]) or any(
            row[index].startswith(_LINK) for row in self._cells if index < len(row)
        )

    def _whole(self, index: int) -> bool:
        return is_id_column(self._columns[index]) or self._is_link(index)

    def _widest(self, index: int) -> int:
        return max((cell_len(row[index]) for row in self._cells if index < len(row)), default=0)

    def _needed(self, kept: list[int]) -> int:
        """The width of a table of the ``kept`` columns, text columns folded as far as they go."""
        total = 1
        for index in kept:
            name = self._columns[index]
            widest = self._widest(index)
            if self._whole(index):
                total += max(widest, cell_len(name)) + 3
            else:
                total += max(cell_len(name), min(widest, _MIN_FOLDED)) + 3
        return total

    def _view(self, kept: list[int]) -> Table:
        headers = any(self._columns[index] for index in kept)
        view = Table(
            title=escape(self._title) if self._title is not None else None,
            title_justify="left",
            show_lines=False,
            show_header=headers,
        )
        for index in kept:
            name = self._columns[index]
            if self._whole(index):
                width = max(self._widest(index), cell_len(name))
                view.add_column(name, no_wrap=True, overflow="ignore", min_width=width)
            else:
                view.add_column(name, overflow="fold", min_width=cell_len(name))
        for row in self._cells:
            view.add_row(*(escape(row[index]) if index < len(row) else "" for index in kept))
        return view

    def _dropped_in_turn(self) -> list[int]:
        """The columns that may be left out, in the order they go: URLs first, then from
        the right; never an id, nor the first text column (the name), nor a column
        without a name (it could not be named in the line that says what is left out)."""
        texts = [i for i in range(len(self._columns)) if not self._whole(i)]
        named = [i for i in texts if any(w in self._columns[i] for w in ("name", "title", "file"))]
        first = named or texts
        name_column = first[0] if first else None
        links = [i for i in range(len(self._columns)) if self._is_link(i)]
        rest = [
            i
            for i in reversed(range(len(self._columns)))
            if i not in links and i != name_column and not is_id_column(self._columns[i])
        ]
        return [i for i in (*links, *rest) if self._columns[i]]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        everything = list(range(len(self._columns)))
        if _view["wide"]:
            # Every column at full width: the terminal wraps the lines, nothing is cut.
            width = max(self._needed(everything), options.max_width)
            view = self._view(everything)
            view.width = None
            yield from console.render(view, options.update(width=width, max_width=width))
            return
        kept = everything
        for index in [None, *self._dropped_in_turn()]:
            if index is not None:
                kept = [i for i in kept if i != index]
            if self._needed(kept) <= options.max_width:
                break
        else:
            yield from self._blocks()
            return
        yield self._view(kept)
        left_out = [self._columns[i] for i in everything if i not in kept]
        if left_out:
            yield Text(
                f"(left out to fit {options.max_width} columns: {', '.join(left_out)}; "
                "--wide shows every column, --json everything)",
                style="dim",
            )

    def _blocks(self) -> RenderResult:
        if self._title:
            yield Text(self._title, style="bold")
        for number, row in enumerate(self._cells):
            if number:
                yield Text("")
            for name, cell in zip(self._columns, row, strict=False):
                # One line each, however long: the terminal wraps it, nothing breaks it.
                yield Text(f"{name}: {cell}" if name else cell, no_wrap=True, overflow="ignore")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return shown_time(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def shown_time(value: datetime) -> str:
    """A time as the sandbox console shows it, in the local zone (or UTC) and saying which:
    ``2026-12-08 08:30:00 (UTC+8)``."""
    when = value.astimezone(UTC) if _view["utc"] else value.astimezone()
    return f"{when.strftime('%Y-%m-%d %H:%M:%S')} ({_zone_name(when)})"


def _zone_name(when: datetime) -> str:
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# asking ---------------------------------------------------------------------

_YES = frozenset({"y", "yes"})


def confirm(question: str) -> bool:
    """True when the user answers yes; anything else is no."""
    sys.stderr.write(f"{printable(question)} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
        raise UsageProblem(
            "no answer to the confirmation (stdin is closed)",
            hint="pass --yes to go ahead without asking.",
        )
    return answer.strip().lower() in _YES
