"""What the tools of ``wxm mcp`` return: typed results, and errors as tool errors.

Every result is a pydantic model: the client gets it as structured content
(its JSON schema is the tool's output schema) and its :meth:`summary` as the
short text a model reads first. A failure becomes an MCP tool error carrying
``errcode``, ``errmsg`` and ``hint`` for a WeChat error, or a message and a hint
for anything else; never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pydantic
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from wechat_material.errcodes import lookup
from wechat_material.errors import (
    APIError,
    FileTargetError,
    TransportError,
    ValidationError,
    WeChatError,
)
from wechat_material.extras import MissingExtraError


class ToolResult(BaseModel):
    """A tool's result; :meth:`summary` is the one line shown as text."""

    def summary(self) -> str:
        raise NotImplementedError


class Counts(ToolResult):
    image: int
    voice: int
    video: int
    news: int

    def summary(self) -> str:
        return (
            f"{self.image} images, {self.voice} voice, {self.video} videos, "
            f"{self.news} news articles"
        )


class MaterialEntry(BaseModel):
    media_id: str
    name: str = ""
    url: str | None = None
    update_time: datetime | None = None
    titles: list[str] = Field(default_factory=list, description="News: its articles' titles.")


class MaterialPage(ToolResult):
    type: str
    offset: int
    total_count: int
    items: list[MaterialEntry]

    def summary(self) -> str:
        shown = f"{self.offset + 1}-{self.offset + len(self.items)}" if self.items else "none"
        return f"{self.type}: {shown} of {self.total_count}"


class FoundMaterial(ToolResult):
    type: str
    name_contains: str
    searched: int
    items: list[MaterialEntry]
    truncated: bool = Field(description="More matched than the items listed.")

    def summary(self) -> str:
        more = " (more matched; narrow the search)" if self.truncated else ""
        return (
            f"{len(self.items)} {self.type} item(s) of {self.searched} match "
            f"“{self.name_contains}”{more}"
        )


class Uploaded(ToolResult):
    media_id: str
    type: str
    file: str
    url: str | None = None

    def summary(self) -> str:
        return f"uploaded {self.file} as {self.type}: media_id {self.media_id}"


class Downloaded(ToolResult):
    media_id: str
    path: str
    size: int
    sha256: str

    def summary(self) -> str:
        return f"saved {self.media_id} to {self.path} ({self.size} bytes)"


class Described(ToolResult):
    media_id: str
    type: str = Field(description="image (or thumb), voice, video or news.")
    name: str | None = None
    content_type: str | None = None
    size: int | None = Field(None, description="Bytes; not known for a video.")
    title: str | None = None
    introduction: str | None = None
    titles: list[str] = Field(default_factory=list, description="News: its articles' titles.")

    def summary(self) -> str:
        parts = [self.type]
        if self.name:
            parts.append(self.name)
        if self.size is not None:
            parts.append(f"{self.size} bytes")
        if self.title:
            parts.append(f"title “{self.title}”")
        return f"{self.media_id}: " + ", ".join(parts)


class SizeReport(BaseModel):
    characters: int
    bytes: int
    max_characters: int
    max_bytes: int
    within_limit: bool


class Rendered(ToolResult):
    theme: str
    html: str = Field(description="The HTML WeChat would receive (images still local).")
    size: SizeReport
    dropped: list[str] = Field(description="What WeChat would take out of the HTML.")
    warnings: list[str]
    images: list[str] = Field(description="Images the post refers to, uploaded when published.")

    def summary(self) -> str:
        verdict = "fits" if self.size.within_limit else "is too long"
        dropped = f"; WeChat would drop: {', '.join(self.dropped)}" if self.dropped else ""
        return (
            f"{self.size.characters} of {self.size.max_characters} characters ({verdict}){dropped}"
        )


class Published(ToolResult):
    draft_id: str
    created: bool
    images_uploaded: int
    images_reused: int
    covers_uploaded: int
    changes: list[str] = Field(description="What WeChat changed, from reading the draft back.")
    notes: list[str]
    publish_id: str | None = None

    def summary(self) -> str:
        verb = "created" if self.created else "updated"
        changed = (
            "WeChat changed: " + "; ".join(self.changes)
            if self.changes
            else "WeChat kept everything"
        )
        submitted = f"; submitted as {self.publish_id}" if self.publish_id else ""
        return f"{verb} draft {self.draft_id}; {changed}{submitted}"


class DraftEntry(BaseModel):
    media_id: str
    titles: list[str]
    update_time: datetime | None = None


class DraftPage(ToolResult):
    offset: int
    total_count: int
    items: list[DraftEntry]

    def summary(self) -> str:
        return f"{len(self.items)} of {self.total_count} drafts"


class Publication(ToolResult):
    publish_id: str
    status: str
    status_code: int
    article_id: str | None = None
    article_urls: list[str] = Field(default_factory=list)
    failed_articles: list[int] = Field(default_factory=list)

    def summary(self) -> str:
        article = f", article {self.article_id}" if self.article_id else ""
        return f"publication {self.publish_id}: {self.status}{article}"


class BackupKind(BaseModel):
    kind: str
    items: int
    gone_upstream: int
    bytes: int


class BackupStatus(ToolResult):
    directory: str
    appid: str
    format_version: int
    kinds: list[BackupKind]
    stored_bytes: int
    runs: list[dict[str, Any]]

    def summary(self) -> str:
        items = sum(kind.items for kind in self.kinds)
        last = f", the last {self.runs[-1].get('status')}" if self.runs else ""
        return f"backup of {self.appid}: {items} items, {len(self.runs)} run(s){last}"


class Damage(BaseModel):
    kind: str
    id: str
    problem: str


class BackupVerification(ToolResult):
    directory: str
    ok: bool
    checked_items: int
    checked_files: int
    checked_bytes: int
    damaged: list[Damage]
    unreferenced_files: int

    def summary(self) -> str:
        verdict = "intact" if self.ok else f"{len(self.damaged)} damaged item(s)"
        return f"{self.checked_items} items, {self.checked_files} files checked: {verdict}"


class UnusedImage(BaseModel):
    media_id: str
    name: str
    url: str | None = None


class UnusedImages(ToolResult):
    images: int
    articles_read: int
    unused: list[UnusedImage]

    def summary(self) -> str:
        return (
            f"{len(self.unused)} of {self.images} images are used by no draft, "
            f"publication or news article ({self.articles_read} articles read)"
        )


class Done(ToolResult):
    action: str
    id: str

    def summary(self) -> str:
        return f"{self.action}: {self.id}"


class Submitted(ToolResult):
    draft_id: str
    publish_id: str

    def summary(self) -> str:
        return (
            f"submitted draft {self.draft_id} for publishing: publish_id {self.publish_id} "
            "(check it with publication_status)"
        )


def success(result: ToolResult) -> CallToolResult:
    """``result`` as structured content and its one-line summary."""
    return CallToolResult(
        content=[TextContent(type="text", text=result.summary())],
        structured_content=result.model_dump(mode="json"),
    )


class ToolRefused(WeChatError):
    """A call the server will not make: a tool it was not started to allow, say."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def describe(exc: BaseException) -> tuple[str, str | None]:
    """What went wrong with a tool call, and what to do about it, for an assistant."""
    if isinstance(exc, APIError):
        meaning = lookup(exc.errcode).errmsg
        where = f"{exc.endpoint}: " if exc.endpoint else ""
        return f"{where}WeChat error {exc.errcode} ({meaning})", exc.hint or None
    if isinstance(exc, ToolRefused):
        return str(exc), exc.hint
    if isinstance(exc, FileTargetError):
        return str(exc), "nothing was written; give another folder or remove the file."
    if isinstance(exc, ValidationError):
        return str(exc), "nothing was sent."
    if isinstance(exc, TransportError):
        return f"could not reach WeChat: {exc}", "check the network; the call may be retried."
    if isinstance(exc, WeChatError):
        return str(exc), None
    if isinstance(exc, MissingExtraError):
        return str(exc), "install it where wxm runs, then restart the server."
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or type(exc).__name__}", "check the path and its permissions."
    return (
        f"unexpected {type(exc).__name__}: {exc}",
        "the details are in the server's log (stderr).",
    )


def failure(exc: BaseException, redact: Callable[[str], str]) -> CallToolResult:
    """The tool error for ``exc``: message, hint and, for a WeChat error, errcode and errmsg.

    ``redact`` hides the account's secrets and tokens in every text.
    """
    message, hint = describe(exc)
    error: dict[str, Any] = {"message": redact(message)}
    if isinstance(exc, APIError):
        error["errcode"] = exc.errcode
        error["errmsg"] = redact(exc.errmsg)
    error["hint"] = redact(hint) if hint else None
    text = error["message"] + (f"; {error['hint']}" if error["hint"] else "")
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"error": error},
        is_error=True,
    )


def bad_arguments(tool: str, exc: pydantic.ValidationError) -> CallToolResult:
    """The tool error for arguments that do not fit the tool's schema (nothing was run)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"{where}: {error['msg']}")
    message = f"{tool}: bad arguments ({'; '.join(problems)})"
    hint = "fix the arguments as the tool's input schema says; nothing was sent."
    return CallToolResult(
        content=[TextContent(type="text", text=f"{message}; {hint}")],
        structured_content={"error": {"message": message, "hint": hint}},
        is_error=True,
    )
