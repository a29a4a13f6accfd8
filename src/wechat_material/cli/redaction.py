"""Keep secrets out of anything ``wxm`` prints.

Every message and traceback goes through a :class:`Redactor` that knows the
app secret and any token seen during the run; an ``access_token=...`` query
parameter is hidden whatever its value, since URLs end up in error texts.
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

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, HIDDEN)
        text = _TOKEN_PARAM.sub(rf"\g<1>{HIDDEN}", text)
        return _SECRET_PARAM.sub(rf"\g<1>{HIDDEN}", text)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
