"""Keep secrets out of anything ``wxm`` prints.

A :class:`Redactor` knows the app secret and every access token sent during
the run. Messages, errors and tracebacks go through it whole: the known
values are hidden, and so is any ``access_token=...`` or ``secret=...``
parameter, since URLs end up in error texts. Results are the user's own data
(an article may well link to ``...?access_token=abc``), so only the exact
known values are hidden there: :meth:`Redactor.known`.
"""

from __future__ import annotations

import re

_TOKEN_PARAM = re.compile(r"(access_token=)[^&\s\"'<>]+")
_SECRET_PARAM = re.compile(r"(secret=)[^&\s\"'<>]+")
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
        text = _TOKEN_PARAM.sub(rf"\g<1>{HIDDEN}", self.known(text))
        return _SECRET_PARAM.sub(rf"\g<1>{HIDDEN}", text)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
