"""The exceptions this library raises, all under :class:`WeChatError`.

::

    WeChatError
    ├── ValidationError            bad local input (arguments, settings, files); nothing was sent
    │   ├── MediaValidationError   a file of the wrong kind, too big or too long
    │   ├── ArticleValidationError an article field missing or out of bounds
    │   ├── FileTargetError        a place to save to that cannot take a file
    │   │   └── TargetExistsError  a file is there and replacing it was not allowed
    │   ├── OutsideRootError       a path that leads out of the folder it must stay in
    │   └── URLRefusedError        a URL that may not be fetched, or a fetch cut short
    ├── TransportError             the request did not get a reply (wraps httpx)
    ├── UnexpectedReplyError       a reply that is not what the endpoint gives
    │   └── NotAFileError          a download of something that is not a file (news)
    ├── TokenStoreError            the token store failed (Redis down, file unwritable)
    ├── PublishTimeoutError        publish.wait() gave up while WeChat was still publishing
    └── APIError                   WeChat answered with an errcode
        ├── TokenError             40001 40014 42001 41001
        ├── AuthenticationError    40002 40013 40125 40164 40243 41002 41004 50004 50007
        ├── QuotaError             45009 48006
        ├── RateLimitError         45011
        ├── InvalidMediaError      40004 40005 40006 40009-40012 41005 44001 45001
        ├── NotFoundError          40007 53600
        ├── RetiredAPIError        45103 45106
        ├── ContentLimitError      45002 45003 45004 45110
        ├── PermissionDeniedError  48001 48005 50001 50002
        ├── SystemBusyError        -1
        ├── RejectedError          53404 53405 53406
        └── BadRequestError        everything else

Every :class:`APIError` carries ``errcode``, ``errmsg``, ``rid`` and ``hint``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from wechat_material.errcodes import ErrorKind, hint_for, lookup, whitelisted_ip

_RID = re.compile(r"\s*(?:rid|hint):\s*\[?([0-9A-Za-z-]+)\]?\s*$")


class WeChatError(Exception):
    """Base class of every error this library raises."""


class ValidationError(WeChatError, ValueError):
    """Local input that cannot be used (an argument, a setting, a file); nothing was sent."""


class MediaValidationError(ValidationError):
    """A file that breaks WeChat's limits for its type (see :mod:`wechat_material.limits`)."""

    def __init__(self, message: str, *, file: str | Path | None = None, limit: Any = None) -> None:
        super().__init__(message)
        self.file = str(file) if file is not None else None
        self.limit = limit


class ArticleValidationError(ValidationError):
    """An article field that is missing or out of bounds."""

    def __init__(self, message: str, *, field: str | None = None, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


class FileTargetError(ValidationError):
    """A place to save a file that cannot take one (a device, a FIFO, a dangling link...).

    ``path`` is the path as given. Nothing was written, nothing replaced.
    """

    def __init__(self, message: str, *, path: str | Path) -> None:
        super().__init__(message)
        self.path = str(path)


class TargetExistsError(FileTargetError):
    """A file exists where the download would go, and replacing it was not asked for."""


class OutsideRootError(ValidationError):
    """A path read from a post, a manifest or a tool call that leads out of its folder.

    ``path`` is the path as given, ``roots`` the folders it had to stay in
    (symlinks resolved). Nothing was opened or read.
    """

    def __init__(self, message: str, *, path: str | Path, roots: tuple[str, ...]) -> None:
        super().__init__(message)
        self.path = str(path)
        self.roots = roots


class URLRefusedError(ValidationError):
    """A URL found in content that may not be fetched, or whose fetch was cut short.

    A scheme other than http(s), a host outside the allowed ones, an address
    that is loopback, private, link-local or reserved, too many redirects, too
    many bytes or too slow. ``url`` is the URL as given.
    """

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class TransportError(WeChatError):
    """No usable reply: connection refused or dropped, timeout, HTTP 5xx.

    ``host`` is the server that was asked (None when unknown); ``timeout`` the
    seconds that ran out when the call timed out, else None.
    """

    def __init__(
        self, message: str, *, host: str | None = None, timeout: float | None = None
    ) -> None:
        super().__init__(message)
        self.host = host
        self.timeout = timeout


class UnexpectedReplyError(WeChatError):
    """A reply that this endpoint never gives: an HTML page, a cut-off body,
    JSON where a file was expected or a file where JSON was expected."""


class NotAFileError(UnexpectedReplyError):
    """A download of an id that holds no file (a news material).

    ``media_id`` is the id asked for; ``news`` the articles WeChat answered
    (a :class:`~wechat_material.models.NewsMaterial`) when it is a news
    material, so they need not be asked for again.
    """

    def __init__(self, message: str, *, media_id: str, news: Any = None) -> None:
        super().__init__(message)
        self.media_id = media_id
        self.news = news


class TokenStoreError(WeChatError):
    """The token store failed: Redis unreachable, its lock never came free,
    the token file could not be written. The original error is ``__cause__``.
    """


class PublishTimeoutError(WeChatError, TimeoutError):
    """A publish was still in progress when ``publish.wait()`` gave up.

    ``result`` is its last state (a :class:`~wechat_material.models.PublishResult`).
    """

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


class APIError(WeChatError):
    """WeChat answered with an ``errcode`` other than 0."""

    def __init__(
        self, errcode: int, errmsg: str, *, endpoint: str | None = None, hint: str | None = None
    ) -> None:
        match = _RID.search(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg
        self.rid = match.group(1) if match else None
        self.hint = hint_for(errcode, errmsg, specific=hint)
        self.endpoint = endpoint
        text = f"[{errcode}] {errmsg}"
        if endpoint:
            text = f"{endpoint}: {text}"
        if self.hint:
            text += f" (hint: {self.hint})"
        super().__init__(text)

    def __reduce__(self) -> Any:
        return (_rebuild_api_error, (self.errcode, self.errmsg, self.endpoint, self.hint))


def _rebuild_api_error(
    errcode: int, errmsg: str, endpoint: str | None, hint: str | None = None
) -> APIError:
    return api_error(errcode, errmsg, endpoint=endpoint, hint=hint)


class TokenError(APIError):
    """The access token is invalid, expired or missing."""


class AuthenticationError(APIError):
    """The appid/secret pair, the caller's IP or the account is refused."""

    @property
    def ip(self) -> str | None:
        """For 40164, the IP WeChat saw (add it to the whitelist)."""
        return whitelisted_ip(self.errmsg)


class QuotaError(APIError):
    """A daily quota is spent (45009); see ``clear_quota``."""


class RateLimitError(APIError):
    """Too many calls this minute (45011)."""


class InvalidMediaError(APIError):
    """WeChat refused the file: type, format or size."""


class NotFoundError(APIError):
    """Unknown, deleted or expired id (40007)."""


class RetiredAPIError(APIError):
    """The API was switched off (add_news, update_news): use the draft box."""


class ContentLimitError(APIError):
    """An article's title, content, digest or author is too long."""


class PermissionDeniedError(APIError):
    """The account may not do this (unverified, limited, or material in use)."""


class SystemBusyError(APIError):
    """``-1 system error``: WeChat is busy; safe to retry later."""


class RejectedError(APIError):
    """A draft or account was rejected by WeChat's review (53404-53406)."""


class BadRequestError(APIError):
    """A malformed call, or a code this library does not know."""


ERROR_CLASSES: dict[ErrorKind, type[APIError]] = {
    ErrorKind.SYSTEM_BUSY: SystemBusyError,
    ErrorKind.TOKEN: TokenError,
    ErrorKind.AUTHENTICATION: AuthenticationError,
    ErrorKind.QUOTA: QuotaError,
    ErrorKind.RATE_LIMIT: RateLimitError,
    ErrorKind.INVALID_MEDIA: InvalidMediaError,
    ErrorKind.NOT_FOUND: NotFoundError,
    ErrorKind.RETIRED_API: RetiredAPIError,
    ErrorKind.CONTENT_LIMIT: ContentLimitError,
    ErrorKind.PERMISSION: PermissionDeniedError,
    ErrorKind.BAD_REQUEST: BadRequestError,
    ErrorKind.REJECTED: RejectedError,
}


def api_error(
    errcode: int, errmsg: str, *, endpoint: str | None = None, hint: str | None = None
) -> APIError:
    """The exception for a WeChat error reply, of the class its errcode maps to.

    ``hint``: the advice of the endpoint that answered, where it has its own for
    this code (see ``Endpoint.hints``); otherwise the code's own advice is given.
    """
    cls = ERROR_CLASSES[lookup(errcode).kind]
    return cls(errcode, errmsg, endpoint=endpoint, hint=hint)
