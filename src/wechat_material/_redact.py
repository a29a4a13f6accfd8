"""Keep access tokens and app secrets out of logs and error messages.

WeChat wants both in the query string (``?access_token=...``, ``/token?secret=...``),
so any URL this library builds is a secret-bearing string. Everything that
shows a URL goes through :func:`redact` first. httpx itself logs every request
URL at INFO level on the ``httpx`` logger; :func:`guard_httpx_logs` adds a
filter there so that an application which turns on INFO logging does not
write tokens to its log files.
"""

from __future__ import annotations

import logging
import re

from wechat_material.tokens.base import mask

_SECRET_PARAM = re.compile(r"(?P<key>(?:access_token|secret)=)(?P<value>[^&\s\"'#]+)")


def redact(text: str) -> str:
    """``text`` with every ``access_token=`` and ``secret=`` value masked."""
    return _SECRET_PARAM.sub(lambda m: m.group("key") + mask(m.group("value")), text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks tokens and secrets in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()


def guard_httpx_logs() -> None:
    """Install the redacting filter on httpx's logger (once per process)."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
