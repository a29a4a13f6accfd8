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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console, RenderableType
from rich.markup import escape
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
from rich.table import Table

from wechat_material._redact import hide_secret_params
from wechat_material.cli.errors import Failure, UsageProblem

# Wide enough that media ids and URLs stay on one line when output goes to a file or a pipe.
_PIPE_WIDTH = 200

# options many commands share ------------------------------------------------

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
        return hide_secret_params(self.known(text), lambda _value: HIDDEN)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


# results and messages -------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Plain JSON data from models, dates, paths and enums."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
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
        if self.json_mode:
            text = json.dumps(_hidden(to_jsonable(data), hide), ensure_ascii=False, indent=2)
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
            return
        for item in renderables:
            if isinstance(item, str):
                # Ids, paths and URLs: printed as they are, never wrapped or read as markup.
                self.out.print(hide(item), markup=False, soft_wrap=True)
            else:
                self.out.print(item)

    def plain(self, text: str) -> None:
        """One line of raw text on stdout, untouched (e.g. a token for ``$(...)``)."""
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    # messages (stderr) ---------------------------------------------------

    def note(self, message: str) -> None:
        """A progress note for people (stderr)."""
        self.err.print(escape(self.redact(message)), style="dim")

    def success(self, message: str) -> None:
        self.err.print(escape(self.redact(message)), style="green")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {escape(self.redact(message))}")

    def failure(self, failure: Failure) -> None:
        """The one or two lines that explain an error."""
        self.err.print(f"[bold red]error:[/bold red] {escape(self.redact(failure.message))}")
        if failure.hint:
            self.err.print(f"[cyan]hint:[/cyan] {escape(self.redact(failure.hint))}")

    def traceback(self, exc: BaseException) -> None:
        """The full traceback (``-v``), with secrets hidden."""
        text = "".join(traceback.format_exception(exc))
        self.err.print(escape(self.redact(text)), style="dim")

    # progress (stderr) ----------------------------------------------------

    @contextmanager
    def transfer_progress(self) -> Iterator[Progress]:
        """A progress display for uploads and downloads; silent when stderr is not a terminal."""
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


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A table that keeps every character: on a narrow terminal long ids and URLs fold
    onto a second line rather than being cut, and no column shrinks below its header."""
    view = Table(title=title, title_justify="left", show_lines=False)
    for name in columns:
        view.add_column(name, overflow="fold", min_width=len(name))
    for row in rows:
        view.add_row(*(escape(_cell(value)) for value in row))
    return view


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


# asking ---------------------------------------------------------------------

_YES = frozenset({"y", "yes"})


def confirm(question: str) -> bool:
    """True when the user answers yes; anything else is no."""
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
        raise UsageProblem(
            "no answer to the confirmation (stdin is closed)",
            hint="pass --yes to go ahead without asking.",
        )
    return answer.strip().lower() in _YES
