"""The console's security headers, on every reply under ``/`` and ``/ui/``.

Pages, redirects, the doors' refusals, scripts and files alike get them, each
one unless the route set its own: the article frame is framed by the console
(``SAMEORIGIN``, and a policy of its own that runs nothing), a file served at
``/ui/file/`` has :data:`FILE_POLICY`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wechat_material.sandbox.http.access import CONSOLE_PREFIX

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""The console's Content-Security-Policy: its own script, styles and files only."""
FILE_POLICY = "default-src 'none'; sandbox"
"""A file the console serves is never a page: opened alone, nothing in it runs."""
SECURITY_HEADERS = (
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def is_console_path(path: str) -> bool:
    return path == "/" or path.startswith(CONSOLE_PREFIX)


class ConsoleHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to the replies of console paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
