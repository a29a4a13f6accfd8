"""Every WeChat errcode this project knows, in one table.

The SDK maps each code to an exception class through its :class:`ErrorKind`
(see :mod:`wechat_material.errors`); the sandbox answers with the same
``errmsg`` texts. Codes marked *assumed* in the docs are ones WeChat uses but
does not document for these endpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

IP_NOT_WHITELISTED = 40164
_SEEN_IP = re.compile(r"invalid ip ([0-9a-fA-F.:]+)")
WHITELIST_HINT = (
    "WeChat saw the call come from {ip}: add it to the IP whitelist (公众平台 → 设置与开发 → "
    "基本配置 → IP白名单); if the address changes (a laptop, a home line), call through a "
    "machine whose address is on the list: give the client proxy='socks5://127.0.0.1:1080' "
    "after 'ssh -D 1080 HOST' (wxm: --proxy)."
)


def whitelisted_ip(errmsg: str) -> str | None:
    """The address WeChat quotes in a 40164 errmsg (``invalid ip 1.2.3.4 ...``), if any."""
    match = _SEEN_IP.search(errmsg)
    return match.group(1) if match else None


class ErrorKind(StrEnum):
    """What the caller can do about an error; one exception class per kind."""

    SYSTEM_BUSY = "system_busy"
    TOKEN = "token"  # noqa: S105 - a category name, not a secret
    AUTHENTICATION = "authentication"
    QUOTA = "quota"
    RATE_LIMIT = "rate_limit"
    INVALID_MEDIA = "invalid_media"
    NOT_FOUND = "not_found"
    RETIRED_API = "retired_api"
    CONTENT_LIMIT = "content_limit"
    PERMISSION = "permission"
    BAD_REQUEST = "bad_request"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ErrorCode:
    code: int
    errmsg: str
    kind: ErrorKind
    hint: str = ""


_DRAFT_HINT = (
    "WeChat retired this API on 2022-02-28; use the draft box instead: "
    "client.draft.add(...) then client.publish.submit(...) "
    "(CLI: wxm draft add, then wxm draft publish)."
)
_MEDIA_HINT = "check the file against WeChat's limits for this type (wechat_material.limits)."

ERRCODES: dict[int, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode(-1, "system error", ErrorKind.SYSTEM_BUSY, "WeChat is busy; retry later."),
        ErrorCode(
            40001,
            "invalid credential, access_token is invalid or not latest",
            ErrorKind.TOKEN,
            "the token was replaced by a newer one (another process called /token?) or the "
            "secret is wrong; share one token store between all processes.",
        ),
        ErrorCode(40002, "invalid grant_type", ErrorKind.AUTHENTICATION),
        ErrorCode(40004, "invalid media type", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(40005, "invalid file type", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(40006, "invalid meida size", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(
            40007,
            "invalid media_id",
            ErrorKind.NOT_FOUND,
            "the id is unknown, was deleted, or is temporary media older than 3 days.",
        ),
        ErrorCode(40009, "invalid image size", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(40010, "invalid voice size", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(40011, "invalid video size", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(40012, "invalid thumb size", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(
            40013, "invalid appid", ErrorKind.AUTHENTICATION, "check the appid (it starts with wx)."
        ),
        ErrorCode(40014, "invalid access_token", ErrorKind.TOKEN),
        ErrorCode(40097, "invalid args", ErrorKind.BAD_REQUEST),
        ErrorCode(
            40125,
            "invalid appsecret",
            ErrorKind.AUTHENTICATION,
            "check the AppSecret in the WeChat console (设置与开发 → 基本配置).",
        ),
        ErrorCode(
            40164,
            "invalid ip, not in whitelist",
            ErrorKind.AUTHENTICATION,
            WHITELIST_HINT.format(ip="this machine's address"),
        ),
        ErrorCode(40243, "AppSecret is frozen", ErrorKind.AUTHENTICATION),
        ErrorCode(41001, "access_token missing", ErrorKind.TOKEN),
        ErrorCode(41002, "appid missing", ErrorKind.AUTHENTICATION),
        ErrorCode(41004, "appsecret missing", ErrorKind.AUTHENTICATION),
        ErrorCode(
            41005,
            "media data missing",
            ErrorKind.INVALID_MEDIA,
            "send the file as the multipart part 'media' with a filename that has an extension.",
        ),
        ErrorCode(41006, "media_id missing", ErrorKind.BAD_REQUEST),
        ErrorCode(42001, "access_token expired", ErrorKind.TOKEN),
        ErrorCode(43002, "require POST method", ErrorKind.BAD_REQUEST),
        ErrorCode(44001, "empty media data", ErrorKind.INVALID_MEDIA),
        ErrorCode(44002, "empty post data", ErrorKind.BAD_REQUEST),
        ErrorCode(45001, "media size out of limit", ErrorKind.INVALID_MEDIA, _MEDIA_HINT),
        ErrorCode(45002, "content size out of limit", ErrorKind.CONTENT_LIMIT),
        ErrorCode(45003, "title size out of limit", ErrorKind.CONTENT_LIMIT),
        ErrorCode(45004, "description size out of limit", ErrorKind.CONTENT_LIMIT),
        ErrorCode(
            45009,
            "reach max api daily quota limit",
            ErrorKind.QUOTA,
            "the daily quota is spent; it resets at midnight (UTC+8), or reset it with "
            "clear_quota (10 times a month).",
        ),
        ErrorCode(
            45011,
            "api minute-quota reach limit  mustslower  retry next minute",
            ErrorKind.RATE_LIMIT,
            "slow down and retry in the next minute.",
        ),
        ErrorCode(45103, "This API has been unsupported", ErrorKind.RETIRED_API, _DRAFT_HINT),
        ErrorCode(45106, "This API has been unsupported", ErrorKind.RETIRED_API, _DRAFT_HINT),
        ErrorCode(45110, "author size out of limit", ErrorKind.CONTENT_LIMIT),
        ErrorCode(47001, "data format error", ErrorKind.BAD_REQUEST),
        ErrorCode(48001, "api unauthorized", ErrorKind.PERMISSION),
        ErrorCode(
            48005,
            "forbid to delete material used by auto-reply or menu",
            ErrorKind.PERMISSION,
            "remove the material from the auto-reply rules and the menu first.",
        ),
        ErrorCode(
            48006,
            "forbid to clear quota because of reaching the limit",
            ErrorKind.QUOTA,
            "clear_quota may be called 10 times a month.",
        ),
        ErrorCode(50001, "user unauthorized", ErrorKind.PERMISSION),
        ErrorCode(50002, "user limited", ErrorKind.PERMISSION),
        ErrorCode(50004, "forbid to get access_token", ErrorKind.AUTHENTICATION),
        ErrorCode(50007, "account frozen", ErrorKind.AUTHENTICATION),
        ErrorCode(53404, "account has been punished", ErrorKind.REJECTED),
        ErrorCode(53405, "content is not allowed", ErrorKind.REJECTED),
        ErrorCode(53406, "draft is not allowed", ErrorKind.REJECTED),
        ErrorCode(53600, "invalid article_id", ErrorKind.NOT_FOUND),
    )
}


def hint_for(code: int, errmsg: str = "", *, specific: str | None = None) -> str:
    """The advice for ``code``; ``errmsg`` fills in what WeChat said (the address it
    saw, for 40164), and ``specific`` is the advice of the endpoint that answered
    (its ``hints``, see :mod:`wechat_material._endpoints`), which wins over the code's own."""
    if code == IP_NOT_WHITELISTED:
        ip = whitelisted_ip(errmsg)
        if ip is not None:
            return WHITELIST_HINT.format(ip=ip)
    if specific:
        return specific
    return lookup(code).hint


# The codes the call flow acts on: -1 is retried with backoff, 45011 may wait
# for the next minute (see wechat_material.retry.RetryPolicy).
SYSTEM_BUSY = -1
RATE_LIMITED = 45011

# The codes the checks before sending give (wechat_material.checks), as WeChat would:
# a request out of bounds is "invalid args"; content that is not a whole file of an
# accepted format is "invalid file type".
INVALID_ARGS = 40097
INVALID_FILE_TYPE = 40005

# The codes that mean "this token is no good": refresh once, replay once.
TOKEN_REFRESH_CODES = frozenset({40001, 40014, 42001})


def lookup(code: int) -> ErrorCode:
    """The table entry for a code; unknown codes get a generic entry."""
    return ERRCODES.get(code) or ErrorCode(code, "unknown error", ErrorKind.BAD_REQUEST)
