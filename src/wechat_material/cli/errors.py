"""How a failure becomes an exit code (see :mod:`~wechat_material.cli.exit_codes`) and
one or two readable lines."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wechat_material.cli.exit_codes import (
    EXIT_API,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Terminated,
)

if TYPE_CHECKING:
    from wechat_material.errors import APIError, TransportError


class CliError(Exception):
    """A failure ``wxm`` explains itself; ``hint`` says what to do next."""

    exit_code = EXIT_API

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageProblem(CliError):
    """The command line or the configuration cannot work (exit 2)."""

    exit_code = EXIT_USAGE


class LocalInputError(CliError):
    """A local file or value is unusable; nothing was sent (exit 3)."""

    exit_code = EXIT_INPUT


class SandboxBusy(LocalInputError):
    """A running sandbox holds the data directory (exit 3); the hint says what to do.

    One sandbox at a time may use a data directory (``wxm sandbox serve`` in
    another terminal, say). A command that would start a second one, or wipe the
    directory under it, stops with this error and says how to go on.
    """


def sandbox_busy(data_dir: Path, pid: int | None, hint: str) -> SandboxBusy:
    """The error for ``data_dir`` held by the sandbox process ``pid`` (if known)."""
    holder = f" (pid {pid})" if pid is not None else ""
    return SandboxBusy(
        f"the sandbox data in {data_dir} is in use by a running sandbox{holder}", hint=hint
    )


@dataclass(frozen=True)
class Failure:
    """What to tell the user about an exception, and the exit code."""

    exit_code: int
    message: str
    hint: str | None = None


def _api_failure(exc: APIError) -> Failure:
    from wechat_material.errcodes import IP_NOT_WHITELISTED, lookup, whitelisted_ip

    meaning = lookup(exc.errcode).errmsg
    message = f"{exc.endpoint + ': ' if exc.endpoint else ''}WeChat error {exc.errcode} ({meaning})"
    if exc.rid:
        message += f", rid {exc.rid}"
    hint = exc.hint or None
    if exc.errcode == IP_NOT_WHITELISTED:
        # The SDK's hint names its proxy= argument; here the flag stands for it.
        ip = whitelisted_ip(exc.errmsg) or "this machine's address"
        hint = (
            f"WeChat saw the call come from {ip}: add it to the IP whitelist (公众平台 → "
            "设置与开发 → 基本配置 → IP白名单); if the address changes (a laptop, a home "
            "line), call through a machine whose address is listed: --proxy URL, e.g. "
            "'ssh -D 1080 HOST', then --proxy socks5://127.0.0.1:1080."
        )
    return Failure(EXIT_API, message, hint)


def _transport_failure(exc: TransportError) -> Failure:
    """One line: the host, what went wrong, and the setting that changes it."""
    if exc.timeout is not None:
        return Failure(
            EXIT_API,
            f"{exc}; to wait longer, pass --timeout SECONDS, or set WECHAT_TIMEOUT or "
            "a profile's timeout",
        )
    if exc.host is not None:
        return Failure(EXIT_API, f"{exc}; check the network, --base-url or --proxy")
    return Failure(EXIT_API, f"could not reach WeChat: {exc}", "check the network or --base-url.")


def _os_failure(exc: OSError) -> Failure:
    where = f"{exc.filename}: " if exc.filename else ""
    reason = exc.strerror or str(exc)
    hint = None
    if isinstance(exc, FileNotFoundError):
        hint = "check the path."
    elif isinstance(exc, PermissionError):
        hint = "check the file's permissions."
    return Failure(EXIT_INPUT, f"{where}{reason}", hint)


def failure_for(exc: BaseException) -> Failure:
    """The exit code and message for any exception a command may raise."""
    # The SDK's errors are imported here, when there is a failure to explain: the
    # command line's start-up (``wxm --help``) does not load the SDK.
    from wechat_material.errors import (
        APIError,
        ArticleValidationError,
        FileTargetError,
        MediaValidationError,
        PublishTimeoutError,
        TargetExistsError,
        TransportError,
        UnexpectedReplyError,
        ValidationError,
        WeChatError,
    )
    from wechat_material.extras import MissingExtraError
    from wechat_material.tokens import TokenStoreError

    if isinstance(exc, CliError):
        return Failure(exc.exit_code, exc.message, exc.hint)
    if isinstance(exc, APIError):
        return _api_failure(exc)
    if isinstance(exc, MediaValidationError):
        prefix = f"{Path(exc.file).name}: " if exc.file and exc.file not in str(exc) else ""
        return Failure(EXIT_INPUT, f"{prefix}{exc}", "nothing was sent.")
    if isinstance(exc, ArticleValidationError):
        return Failure(EXIT_INPUT, str(exc), "fix the article file; nothing was sent.")
    if isinstance(exc, TargetExistsError):
        return Failure(EXIT_INPUT, str(exc), "pass --force to replace it, or give another path.")
    if isinstance(exc, FileTargetError):
        return Failure(EXIT_INPUT, str(exc), "nothing was written.")
    if isinstance(exc, ValidationError):
        return Failure(EXIT_INPUT, str(exc), "nothing was sent.")
    if isinstance(exc, TransportError):
        return _transport_failure(exc)
    if isinstance(exc, UnexpectedReplyError):
        return Failure(EXIT_API, f"unexpected reply: {exc}", "retry; if it persists, use -v.")
    if isinstance(exc, TokenStoreError):
        return Failure(
            EXIT_API,
            str(exc),
            "check the profile's token_store (wxm config show); memory always works.",
        )
    if isinstance(exc, PublishTimeoutError):
        return Failure(EXIT_API, str(exc), "check it later with 'wxm draft status PUBLISH_ID'.")
    if isinstance(exc, WeChatError):
        return Failure(EXIT_API, str(exc))
    if isinstance(exc, Terminated):
        return Failure(exc.exit_code, f"stopped by {signal.Signals(exc.signum).name}")
    if isinstance(exc, KeyboardInterrupt):
        return Failure(EXIT_INTERRUPTED, "interrupted")
    if isinstance(exc, OSError):
        return _os_failure(exc)
    if isinstance(exc, MissingExtraError):
        # A command that needs another extra (the sandbox for `wxm demo`): the
        # message already names the pip command.
        return Failure(EXIT_API, str(exc))
    return Failure(
        EXIT_API,
        f"unexpected {type(exc).__name__}: {exc}",
        "run again with -v to see the details.",
    )
