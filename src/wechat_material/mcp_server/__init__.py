"""``wxm mcp``: the account's material, drafts and publishing as an MCP server.

Needs the ``mcp`` extra (``pip install 'wechat-material[mcp]'``). The server
is built on the official ``mcp`` SDK (:class:`mcp.server.mcpserver.MCPServer`)
and speaks over stdio, or streamable HTTP (:func:`serve_http`). What a client
may touch is decided when the server starts: the root folders its paths must
stay in, and whether it may delete (``--allow delete``) or publish
(``--allow publish``).
"""

from __future__ import annotations

from wechat_material.extras import require_extra

require_extra("mcp")

from wechat_material.mcp_server.server import build_server  # noqa: E402
from wechat_material.mcp_server.serving import (  # noqa: E402
    TOKEN_ENV,
    HttpBinding,
    serve_http,
    serve_stdio,
)
from wechat_material.mcp_server.tools import PERMISSIONS, Tools, Workspace  # noqa: E402

__all__ = [
    "PERMISSIONS",
    "TOKEN_ENV",
    "HttpBinding",
    "Tools",
    "Workspace",
    "build_server",
    "serve_http",
    "serve_stdio",
]
