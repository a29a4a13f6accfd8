"""Options shared by many commands, and the examples shown under each command's help."""

from __future__ import annotations

from typing import Annotated

import typer

JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print the result as one JSON document on stdout (messages go to stderr).",
    ),
]

YesFlag = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

OutputOption = Annotated[
    str | None, typer.Option("--output", "-o", help="Save to this file or directory.")
]


def examples(*lines: str) -> str:
    """An epilog listing example command lines (kept as separate lines in the help)."""
    body = "\n\n".join(f"  [bold]$[/bold] {line}" for line in lines)
    return f"[bold]Examples[/bold]\n\n{body}"
