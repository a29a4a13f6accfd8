"""Keep access tokens and app secrets out of logs and error messages: one way for all.

WeChat wants both in the query string (``?access_token=...``, ``/token?secret=...``),
and a token server of your own may want a key there too
(``https://tokens.internal/wx1234?key=...``), so URLs are secret-bearing
strings. Everything that shows a URL or an error text goes through
:func:`redact`, which

* masks every ``access_token=`` and ``secret=`` value (:func:`mask`);
* hides the whole query of the URLs registered with :func:`hide_query_of`
  (token servers, whose parameters mean nothing to this library);
* hides the user and password part of any URL (``https://user:pass@host``).

httpx itself logs every request URL at INFO level on the ``httpx`` logger;
:func:`guard_httpx_logs` adds a filter there so that an application which turns
on INFO logging does not write secrets to its log files.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from urllib.parse import unquote_plus

import httpx

HIDDEN_QUERY = "(query hidden)"
HIDDEN_USERINFO = "***"

# The one pattern for a secret in a query string or a text quoting one: the SDK,
# the CLI and the sandbox's access log all hide values with it.
_SECRET_PARAM = re.compile(r"(?P<key>(?:access_token|secret)=)(?P<value>[^&\s\"'<>#]+)")
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_USERINFO = re.compile(r"^(?P<scheme>https?://)[^/?#@]*@", re.IGNORECASE)

# Where the query is hidden whole: (scheme, host, port, path) of token servers.
_Location = tuple[str, str, int | None, str]
_hidden_queries: set[_Location] = set()
_hidden_queries_guard = threading.Lock()


def mask(secret: str) -> str:
    """A secret shown safely: its first 4 characters and its length, never the rest."""
    if not secret:
        return "''"
    return f"{secret[:4]}…({len(secret)} chars)"


def hide_secret_params(text: str, hide: Callable[[str], str] = mask) -> str:
    """``text`` with the value of every ``access_token=`` and ``secret=`` replaced by
    ``hide(value)`` (by default :func:`mask`; the CLI and the sandbox's log hide it whole)."""
    return _SECRET_PARAM.sub(lambda m: m.group("key") + hide(m.group("value")), text)


SECRET_NAMES = frozenset({"access_token", "secret"})
"""The query parameters whose values are secrets, wherever they appear."""
_PATTERN_NAMES = ("access_token", "secret")  # what _SECRET_PARAM matches before its "="


def hide_query_secrets(
    query: str, hide: Callable[[str], str] = mask, names: frozenset[str] = SECRET_NAMES
) -> str:
    """A raw query string with its secrets hidden: first by the one pattern
    (:func:`hide_secret_params`), then every parameter named in ``names`` that only
    reading it as a server does reveals, its value replaced by ``hide(value)``.

    Names are compared once decoded, and in any case: ``%73ecret=`` and
    ``access%5Ftoken=`` are the ``secret`` and ``access_token`` a server accepts,
    so they are hidden too. Other parameters are kept as sent.
    """
    parts = []
    for part in hide_secret_params(query, hide).split("&"):
        raw_name, sep, raw_value = part.partition("=")
        if sep and not raw_name.endswith(_PATTERN_NAMES):  # else hidden by the pattern
            name = unquote_plus(raw_name) if "%" in raw_name or "+" in raw_name else raw_name
            if name.strip().lower() in names:
                part = f"{raw_name}={hide(unquote_plus(raw_value))}"
        parts.append(part)
    return "&".join(parts)


def redact(text: str) -> str:
    """``text`` with every secret in it masked or hidden (see the module's notes)."""
    text = _URL.sub(lambda found: _redact_url(found.group()), text)
    return hide_secret_params(text)


def hide_query_of(url: str) -> str:
    """From now on, show ``url`` (any query, any user part) without its query; ``url`` shown.

    For token servers, whose URL may carry a key in any parameter.
    """
    location = _location(httpx.URL(url))
    with _hidden_queries_guard:
        _hidden_queries.add(location)
    return redact(url)


def _location(url: httpx.URL) -> _Location:
    return (url.scheme, url.host, url.port, url.path)


def _redact_url(text: str) -> str:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        return text  # not a URL after all; its secret parameters are still masked
    if url.query and _location(url) in _hidden_queries:
        text = text.partition("?")[0] + "?" + HIDDEN_QUERY
    if url.userinfo:
        text = _USERINFO.sub(lambda m: m.group("scheme") + HIDDEN_USERINFO + "@", text)
    return text


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
