"""Asking before something is destroyed.

The question goes to stderr so that ``--json`` output stays one document. A
closed stdin (a script without ``--yes``) is a usage error rather than a
silent "no"; Ctrl-C stays an interruption (exit 130).
"""

from __future__ import annotations

import sys

from wechat_material.cli.errors import UsageProblem

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
