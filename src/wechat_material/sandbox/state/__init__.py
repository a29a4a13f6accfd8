"""The sandbox's state, with no HTTP in it: what WeChat remembers and the rules it applies.

:class:`~wechat_material.sandbox.state.backend.SandboxBackend` gathers one
object per area: accounts (and their standing), tokens, quotas and call
counters, temporary media, permanent material and legacy news, drafts,
publishing, the links the sandbox serves, the fault plan. Beneath them: the
storage (SQLite and the blob store), the clock and the id maker.

The state answers with plain values: dicts and dataclasses, stored files as
:class:`~wechat_material.sandbox.state.blobs.StoredFile`, links as
:class:`~wechat_material.sandbox.state.links.LinkPath` (a path; the HTTP
layer makes it a URL). It refuses with
:class:`SandboxError`, a WeChat errcode.
"""

from __future__ import annotations

from wechat_material.errcodes import lookup


class SandboxError(Exception):
    """A call WeChat would refuse with ``code``; the routes turn it into an error reply.

    ``errmsg`` is WeChat's text for the code (from :data:`wechat_material.errcodes.ERRCODES`)
    unless a call-specific text is given (40164 names the caller's IP). ``detail`` says, for
    the sandbox's log, which rule was broken; it never reaches the wire.
    """

    def __init__(self, code: int, detail: str = "", *, errmsg: str | None = None) -> None:
        self.code = code
        self.errmsg = errmsg if errmsg is not None else lookup(code).errmsg
        self.detail = detail
        super().__init__(f"[{code}] {self.errmsg}" + (f": {detail}" if detail else ""))
