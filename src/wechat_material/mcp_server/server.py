"""The MCP server of ``wxm mcp``: its tools, resources and prompts, built on ``MCPServer``.

:func:`build_server` registers every method of :class:`~.tools.Tools` as a
tool. Each one runs on a worker thread (the SDK's sync client does blocking
I/O), one call at a time, and whatever it raises becomes a tool error
(:func:`~.results.failure`): the client never sees a traceback, and the
server's stderr gets one only for a failure nobody foresaw.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import traceback
from importlib import resources
from typing import Annotated, Any

import anyio
import anyio.to_thread
import pydantic
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations

from wechat_material import __version__
from wechat_material import _endpoints as ep
from wechat_material.errcodes import lookup
from wechat_material.errors import WeChatError
from wechat_material.extras import MissingExtraError
from wechat_material.mcp_server import results
from wechat_material.mcp_server.tools import DESTRUCTIVE, READ_ONLY, WRITING, Tools, Workspace

INSTRUCTIONS = (
    "Manage the material (images, voice, video, news), drafts and publishing of one WeChat "
    "Official Account. Files are read from and written to the server's root folders only. "
    "delete_material, delete_draft and submit_publication work only when the server was "
    "started with --allow delete / --allow publish. Errors carry WeChat's errcode and a hint."
)

# Calls whose daily quota the counts resource shows.
QUOTA_PATHS = tuple(
    e.path
    for e in (
        ep.MATERIAL_ADD,
        ep.MATERIAL_BATCHGET,
        ep.MEDIA_UPLOAD_IMAGE,
        ep.DRAFT_ADD,
        ep.PUBLISH_SUBMIT,
    )
)

SAMPLE_POST = """---
title: 主题预览 Theme preview
---

# 一级标题 A heading

Body text with **bold**, *italic*, `code` and a [link](https://mp.weixin.qq.com/).

> A quotation, set apart from the text.

- a list item
- another one

```python
print("你好, WeChat")
```
"""


def _described(tools: Tools, name: str) -> tuple[str, str]:
    doc = inspect.getdoc(getattr(tools, name)) or ""
    title = name.replace("_", " ")
    return title, doc


def _tool(workspace: Workspace, limiter: anyio.CapacityLimiter, method: Any) -> Any:
    """``method`` as an async tool: run on a worker thread, its result or failure converted."""
    signature = inspect.signature(method, eval_str=True)
    model = signature.return_annotation

    async def call(**arguments: Any) -> CallToolResult:
        try:
            result = await anyio.to_thread.run_sync(
                functools.partial(method, **arguments), limiter=limiter
            )
        except (WeChatError, OSError, MissingExtraError) as exc:
            return results.failure(exc, workspace.hide)
        except Exception as exc:
            lines = traceback.format_exception(exc)
            workspace.log(workspace.hide("".join(lines)).rstrip())
            return results.failure(exc, workspace.hide)
        return results.success(result)

    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        return_annotation=Annotated[CallToolResult, model]
    )
    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


def _register_tools(server: MCPServer[Any], workspace: Workspace) -> None:
    tools = Tools(workspace)
    limiter = anyio.CapacityLimiter(1)  # one call at a time: the client and cache are shared
    kinds = (
        (READ_ONLY, ToolAnnotations(read_only_hint=True, destructive_hint=False)),
        (WRITING, ToolAnnotations(read_only_hint=False, destructive_hint=False)),
        (DESTRUCTIVE, ToolAnnotations(read_only_hint=False, destructive_hint=True)),
    )
    for names, hints in kinds:
        for name in names:
            title, description = _described(tools, name)
            server.add_tool(
                _tool(workspace, limiter, getattr(tools, name)),
                name=name,
                title=title,
                description=description,
                annotations=hints,
            )


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def _register_resources(server: MCPServer[Any], workspace: Workspace) -> None:
    client = workspace.client

    @server.resource(
        "wechat://account/counts",
        name="counts and quotas",
        description="The account's material counts, the caps on permanent material, "
        "and today's quota of the calls that upload, list and publish.",
        mime_type="application/json",
    )
    def counts() -> str:
        from wechat_material.limits import PERMANENT_CAPS

        try:
            found = client.material.get_material_count()
        except WeChatError as exc:
            message, hint = results.describe(exc)
            raise ResourceError(workspace.hide(f"{message}; {hint}" if hint else message)) from None

        quotas: dict[str, Any] = {}
        for path in QUOTA_PATHS:
            try:
                info = client.get_api_quota(path)
                quotas[path] = info.quota.model_dump()
            except WeChatError as exc:
                quotas[path] = {"error": workspace.hide(results.describe(exc)[0])}
        caps = {
            "+".join(sorted(kind.value for kind in kinds)): cap
            for kinds, cap in PERMANENT_CAPS.items()
        }
        return _json({"counts": found.model_dump(), "caps": caps, "quotas": quotas})

    @server.resource(
        "wechat://themes",
        name="themes",
        description="The looks a Markdown post can be rendered in, each with a preview.",
        mime_type="application/json",
    )
    def themes() -> str:
        from wechat_material.articles import THEMES

        return _json(
            [
                {
                    "name": theme.name,
                    "description": theme.description,
                    "preview_image": f"wechat://themes/{theme.name}/preview.png",
                    "preview_html": f"wechat://themes/{theme.name}/preview.html",
                }
                for theme in THEMES.values()
            ]
        )

    @server.resource(
        "wechat://themes/{name}/preview.html",
        name="theme preview",
        description="A small sample post rendered in the theme, as WeChat would show it.",
        mime_type="text/html",
    )
    def theme_preview(name: str) -> str:
        return preview_html(name)

    @server.resource(
        "wechat://themes/{name}/preview.png",
        name="theme preview image",
        description="A small sample post in the theme, as a phone shows it (PNG).",
        mime_type="image/png",
    )
    def theme_picture(name: str) -> bytes:
        return preview_png(name)

    @server.resource(
        "wechat://errcodes",
        name="errcodes",
        description="WeChat's errcodes this toolkit knows, with what each means and what to do.",
        mime_type="application/json",
    )
    def errcodes() -> str:
        from wechat_material.errcodes import ERRCODES

        return _json(
            [
                {
                    "errcode": code.code,
                    "errmsg": code.errmsg,
                    "kind": code.kind.value,
                    "hint": code.hint,
                }
                for code in (lookup(number) for number in sorted(ERRCODES))
            ]
        )


PREVIEW_WIDTH = 375  # a phone's width in CSS pixels, as WeChat's reader shows articles


def _theme_or_not_found(theme: str) -> None:
    from wechat_material.articles import THEMES

    if theme not in THEMES:
        raise ResourceNotFoundError(f"there is no theme {theme}; choose one of {', '.join(THEMES)}")


@functools.lru_cache(maxsize=8)
def preview_html(theme: str) -> str:
    """The sample post rendered in ``theme``, in a page at phone width."""
    from wechat_material.articles import render

    _theme_or_not_found(theme)
    body = render(SAMPLE_POST, theme=theme).html
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{theme}</title></head>\n"
        '<body style="margin:0;background:#fff">'
        f'<div style="padding:16px">{body}</div></body></html>\n'
    )


def preview_png(theme: str) -> bytes:
    """The shipped picture of the sample post in ``theme`` (drawn by chromium)."""
    _theme_or_not_found(theme)
    return (
        resources.files("wechat_material.mcp_server") / "previews" / f"{theme}.png"
    ).read_bytes()


PUBLISH_PROMPT = """Publish the Markdown file {path} to the WeChat draft box, theme {theme}.

1. Call render_markdown with path={path} and theme={theme}. If the size is over the \
limit, stop and tell me how much must go.
2. Call publish_markdown with path={path}, theme={theme} and draft_only=true.
3. Show me the draft's media_id, then what WeChat changed: every entry of `changes` \
(from reading the draft back) and of `dropped` (from rendering), in plain words, with \
what I could do about each. Say so plainly if WeChat kept everything.
Do not submit the draft for publishing."""

UNUSED_PROMPT = """Find the images in this account's library that nothing uses.

1. Call find_unused_images: it reads every draft, published article and news article, \
and lists the images that none of them uses as a cover, a picture or an inline image.
2. Show them as a table (media_id, name), with how many images there are in all.
3. Do not delete anything. If I ask you to delete some, that needs delete_material, \
which works only when the server runs with --allow delete."""


def _register_prompts(server: MCPServer[Any]) -> None:
    @server.prompt(
        name="publish_markdown_draft",
        title="Publish a Markdown file as a draft",
        description="Publish this Markdown file as a draft and show me what WeChat changed.",
    )
    def publish_draft(path: str, theme: str = "default") -> str:
        # The arguments as they go into a tool call: JSON strings.
        return PUBLISH_PROMPT.format(
            path=json.dumps(path, ensure_ascii=False), theme=json.dumps(theme, ensure_ascii=False)
        )

    @server.prompt(
        name="find_unused_images",
        title="Find unused images",
        description="Find the images in the library that no draft or publication uses.",
    )
    def unused_images() -> str:
        return UNUSED_PROMPT


class WxmServer(MCPServer[Any]):
    """``MCPServer`` whose refusal of a tool's arguments reads as a plain message."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Any = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, pydantic.ValidationError):
                return results.bad_arguments(name, exc.__cause__)
            raise


def build_server(workspace: Workspace) -> MCPServer[Any]:
    """The MCP server for ``workspace``: tools, resources and prompts registered."""
    server = WxmServer(
        "wechat-material",
        title="WeChat Official Account material",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    _register_tools(server, workspace)
    _register_resources(server, workspace)
    _register_prompts(server)
    return server


def quiet_sdk_logs() -> None:
    """The SDK logs each tool failure at INFO; the tool error says it all."""
    logging.getLogger("mcp").setLevel(logging.WARNING)
