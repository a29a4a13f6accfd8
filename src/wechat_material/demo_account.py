"""The sandbox's public demo account, in a module of its own.

The command line names it for every ``--sandbox`` run, including runs against a
sandbox in another process, which need none of the sandbox's server stack.
"""

from __future__ import annotations

DEMO_APPID = "wx0123456789abcdef"
DEMO_SECRET = "0123456789abcdef0123456789abcdef"  # noqa: S105 - the sandbox's public demo secret
