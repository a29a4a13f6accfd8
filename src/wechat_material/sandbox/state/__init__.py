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
:class:`~wechat_material.sandbox.state.errors.SandboxError`, a WeChat errcode.
"""
