"""A faithful, stateful local emulator of the WeChat Official Account material API.

Quirks included: tokens that rotate and overlap, quotas by China day,
``thumb_media_id``, errors as HTTP 200 with a ``rid``, files vs JSON replies.
Time is a controllable clock; faults can be injected; state lives in memory or
in a data directory. See ``docs/sandbox.en.md``.

In-process (async tests)::

    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox.test") as client: ...

On a real socket::

    with run_in_thread() as sandbox:
        sandbox.admin.advance(7200)

One sandbox at a time may use a data directory: a second one fails with
:class:`SandboxInUseError`; :func:`data_dir_in_use` tells whether one is running.
"""

from wechat_material.extras import require_extra

require_extra("sandbox")

from wechat_material.sandbox.admin import AsyncSandboxAdmin, SandboxAdmin, SandboxAdminError
from wechat_material.sandbox.connections import ServerLimits
from wechat_material.sandbox.http.app import create_app
from wechat_material.sandbox.http.middleware import ConnectionDropped
from wechat_material.sandbox.server import RunningSandbox, run_in_thread, serve
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.accounts import AccountStatus
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.clock import SandboxClock
from wechat_material.sandbox.state.config import DEMO_APPID, DEMO_SECRET, SandboxConfig
from wechat_material.sandbox.state.data_dir_lock import (
    DataDirLock,
    SandboxInUseError,
    data_dir_in_use,
)
from wechat_material.sandbox.state.faults import FaultRule
from wechat_material.sandbox.state.publishing import PublishOutcome

__all__ = [
    "DEMO_APPID",
    "DEMO_SECRET",
    "AccountStatus",
    "AsyncSandboxAdmin",
    "ConnectionDropped",
    "DataDirLock",
    "FaultRule",
    "PublishOutcome",
    "RunningSandbox",
    "SandboxAdmin",
    "SandboxAdminError",
    "SandboxBackend",
    "SandboxClock",
    "SandboxConfig",
    "SandboxError",
    "SandboxInUseError",
    "ServerLimits",
    "create_app",
    "data_dir_in_use",
    "run_in_thread",
    "serve",
]
