"""Who may use the admin API: the Host, Origin, token and Content-Type rules.

The admin API (``/_sandbox/...``) can wipe or rewrite the whole sandbox, so a
web page the developer happens to visit must not reach it:

- **Host.** Once bound to a socket, the sandbox answers admin calls only for a
  Host it serves: ``localhost`` or an IP address on the bound port (a name can
  be rebound to another address by its owner's DNS, an address cannot), the
  host of ``public_url``, and any ``allowed_hosts``. A page on ``evil.example``
  whose name is rebound to 127.0.0.1 (DNS rebinding) is refused. In-process
  (no socket: ``httpx.ASGITransport``) any Host is accepted.
- **Origin.** A browser request from another origin (``Origin`` not this very
  Host, or, without Origin, ``Sec-Fetch-Site`` ``cross-site``/``same-site``)
  is refused.
- **Token.** With an admin token (always when bound off loopback), admin calls
  must send ``Authorization: Bearer TOKEN``; compared in constant time.
- **Content-Type.** A POST or PUT body must say ``application/json`` (the
  JS-SDK voice upload: ``application/octet-stream``): a page can send an
  untyped, ``text/plain`` or form body cross-site without asking (a CORS
  "simple request"), never JSON. A call without a body may say nothing.

Refusals: 403 (Host, Origin), 401 (token), 415 (Content-Type), each with
``{"error": ...}`` saying what to do. The WeChat API (``/cgi-bin/``) and the
files and pages (``/mmbiz/``) are not behind these doors: like WeChat they
answer any Host, and need their own credentials.

The console (``/`` and ``/ui/...``) stands behind the same doors: it shows the
accounts' tokens and drives the admin API. A browser cannot add a bearer
header to a page it opens, so with a token the console is opened once as
``/?admin_token=TOKEN`` (the address ``serve`` prints): the token goes into a
cookie (``HttpOnly``, ``SameSite=Strict``) and the browser is sent on to the
same page without it in the address. The cookie is then accepted in place of
the header, for the console's pages and the admin calls its controls make; a
page of another site gets no cookie (``SameSite``), and its requests are
refused by the Origin rule anyway.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from wechat_material.fetching import is_loopback
from wechat_material.sandbox.http.wire import json_reply
from wechat_material.sandbox.state.config import ADMIN_TOKEN_ENV
from wechat_material.tokens.base import mask

ADMIN_PREFIX = "/_sandbox/"
CONSOLE_PREFIX = "/ui/"
CONSOLE_HOME = "/"
PROTECTED_PREFIXES = (ADMIN_PREFIX, CONSOLE_PREFIX)
TOKEN_COOKIE = "wxm_sandbox_admin"  # noqa: S105 - the cookie's name
TOKEN_PARAM = "admin_token"  # noqa: S105 - the query parameter's name
JSON = "application/json"
RAW_BODY_TYPES = ("application/octet-stream", "audio/")
RAW_BODY_SUFFIX = "/jssdk_voice"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_UNSAFE_SITES = frozenset({"cross-site", "same-site"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def split_host(value: str, default_port: int | None) -> tuple[str, int | None]:
    """``"Example.test:8900"`` → ``("example.test", 8900)``; IPv6 keeps its brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        name += "]"
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_text = value.partition(":")
    if not port_text:
        return name, default_port
    return name, int(port_text) if port_text.isdigit() else -1


def admin_token_for(bound_host: str, given: str | None) -> tuple[str | None, bool]:
    """The token a sandbox bound to ``bound_host`` requires, and whether it was made here.

    ``given`` when there is one; off loopback, a new random one; on loopback, none.
    """
    if not given and not is_loopback(bound_host):
        return secrets.token_urlsafe(32), True
    return given or None, False


def off_loopback_warning(base_url: str) -> str:
    return (
        f"warning: the sandbox at {base_url} is reachable from other machines; "
        "its admin API requires the admin token, and its WeChat API answers anyone "
        "with the accounts' secrets"
    )


@dataclass
class Doors:
    """The rules of one sandbox; :meth:`bind` once it has a socket."""

    admin_token: str | None = None
    allowed_hosts: list[str] = field(default_factory=list)
    """Extra ``name`` (any port) or ``name:port`` Hosts the admin API answers."""
    public_url: str | None = None
    bound_port: int | None = None
    """The socket's port; None in-process (then any Host is accepted)."""

    def bind(self, port: int, admin_token: str | None) -> None:
        self.bound_port = port
        if admin_token is not None:
            self.admin_token = admin_token

    def __repr__(self) -> str:
        token = mask(self.admin_token) if self.admin_token else None
        return (
            f"Doors(admin_token={token}, allowed_hosts={self.allowed_hosts!r}, "
            f"public_url={self.public_url!r}, bound_port={self.bound_port!r})"
        )

    def host_ok(self, host: str) -> bool:
        if self.bound_port is None:
            return True
        name, port = split_host(host, None)
        if (name == "localhost" or _is_ip(name)) and (port or 80) == self.bound_port:
            return True
        if self.public_url:
            public = urlsplit(self.public_url)
            scheme_port = _DEFAULT_PORTS.get(public.scheme, 80)
            # No port in the Host: whatever the proxy in front listens on for that scheme.
            if (name, port or scheme_port) == split_host(public.netloc, scheme_port):
                return True
        for allowed in self.allowed_hosts:
            allowed_name, allowed_port = split_host(allowed, None)
            if name == allowed_name and allowed_port in (None, port):
                return True
        return False

    def token_ok(self, authorization: str | None, cookie: str | None = None) -> bool:
        """The bearer header, or the console's cookie, carries the admin token."""
        if self.admin_token is None:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and self.is_token(given.strip()):
            return True
        return cookie is not None and self.is_token(cookie)

    def is_token(self, given: str) -> bool:
        expected = (self.admin_token or "").encode()
        return bool(expected) and hmac.compare_digest(given.encode(), expected)

    def refusal(self, method: str, path: str, headers: Headers) -> tuple[int, str] | None:
        """Why this admin request is refused (status, message), or None."""
        host = headers.get("host", "")
        if not self.host_ok(host):
            return 403, (
                f"Host {host!r} is not an address this sandbox serves; use "
                f"http://127.0.0.1:{self.bound_port}, or start the sandbox with "
                f"--allowed-host {host or 'NAME'}"
            )
        if not _same_origin(headers, host):
            return 403, (
                "the admin API refuses requests from web pages of other sites; "
                "call it from a script or a test (SandboxAdmin)"
            )
        if not self.token_ok(headers.get("authorization"), _cookie(headers, TOKEN_COOKIE)):
            return 401, (
                "the admin API needs the sandbox's admin token (printed when it started): "
                f"send 'Authorization: Bearer TOKEN', or set {ADMIN_TOKEN_ENV} for SandboxAdmin; "
                f"open the console as /?{TOKEN_PARAM}=TOKEN"
            )
        if method in _BODY_METHODS:
            media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
            wanted = RAW_BODY_TYPES if path.endswith(RAW_BODY_SUFFIX) else (JSON,)
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            typed = any(media_type.startswith(w) for w in wanted)
            # A bodiless call may say nothing; a body must say what it is (a page can
            # send an untyped body cross-site as well as a text/plain one).
            if (media_type or has_body) and not typed:
                return 415, (
                    f"admin {method} requests must send Content-Type: {wanted[0]} "
                    f"(got {media_type or 'none'})"
                )
        return None


def is_protected(path: str) -> bool:
    """The admin API and the console are behind the doors; the WeChat API is not."""
    return path == CONSOLE_HOME or path.startswith(PROTECTED_PREFIXES)


def _cookie(headers: Headers, name: str) -> str | None:
    for pair in headers.get("cookie", "").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return None


def console_login(doors: Doors, scope: Scope) -> Response | None:
    """For ``?admin_token=TOKEN`` on a console page: the cookie, and the page without it."""
    if scope["method"] not in ("GET", "HEAD") or scope.get("path", "").startswith(ADMIN_PREFIX):
        return None
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    given = [value for key, value in query if key == TOKEN_PARAM]
    if not given:
        return None
    if not doors.is_token(given[-1]):
        return json_reply(
            {"error": "that admin token is not this sandbox's: use the one it printed"},
            status=401,
        )
    rest = urlencode([(key, value) for key, value in query if key != TOKEN_PARAM])
    location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
    reply = RedirectResponse(location, status_code=303)
    reply.set_cookie(
        TOKEN_COOKIE, given[-1], httponly=True, samesite="strict", path="/", max_age=None
    )
    return reply


def _same_origin(headers: Headers, host: str) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "").lower() not in _UNSAFE_SITES
    parts = urlsplit(origin)
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        return False  # "null" (sandboxed frames, file: pages) or nonsense
    default = _DEFAULT_PORTS[parts.scheme]
    origin_name, origin_port = split_host(parts.netloc, default)
    host_name, host_port = split_host(host, None)
    if origin_name != host_name:
        return False
    if host_port is None:
        # A Host without a port is the scheme's default one (https's, behind a TLS proxy).
        return origin_port in _DEFAULT_PORTS.values()
    return origin_port == host_port


class DoorsMiddleware:
    """Refuses admin requests that break :class:`Doors`' rules, before any route runs."""

    def __init__(self, app: ASGIApp, doors: Doors) -> None:
        self.app = app
        self.doors = doors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and is_protected(path):
            login = console_login(self.doors, scope) if self.doors.admin_token else None
            if login is not None and self.doors.host_ok(Headers(scope=scope).get("host", "")):
                await login(scope, receive, send)
                return
            refusal = self.doors.refusal(scope["method"], path, Headers(scope=scope))
            if refusal is not None:
                status, message = refusal
                reply = json_reply({"error": message}, status=status)
                if status == 401:
                    reply.headers["WWW-Authenticate"] = 'Bearer realm="wechat-material sandbox"'
                await reply(scope, receive, send)
                return
        await self.app(scope, receive, send)
