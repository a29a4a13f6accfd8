"""Which account and server a command talks to, from flags, environment and profile.

Precedence, highest first: command-line flags (``--appid``, ``--secret``,
``--base-url``), the environment (``WECHAT_APPID``, ``WECHAT_SECRET``,
``WECHAT_BASE_URL``), then the profile (``--profile``, ``WXM_PROFILE`` or the
current one in the config file).

``--sandbox`` (or a profile with ``sandbox = true``) never uses the
environment: it talks to the sandbox at ``--base-url`` (or the profile's
``base_url``), or to an embedded sandbox started for the command, with the
sandbox's demo account unless an appid and secret are given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from wechat_material.cli.config import (
    ConfigFile,
    Profile,
    TokenMode,
    TokenStoreChoice,
)
from wechat_material.cli.errors import UsageProblem
from wechat_material.tokens.base import mask

PROFILE_ENV = "WXM_PROFILE"
APPID_ENV = "WECHAT_APPID"
SECRET_ENV = "WECHAT_SECRET"  # noqa: S105 - the variable's name, not a secret
BASE_URL_ENV = "WECHAT_BASE_URL"

SandboxMode = Literal["off", "embedded", "url"]


@dataclass(frozen=True)
class ConnectionOptions:
    """The global flags of one ``wxm`` run."""

    profile: str | None = None
    appid: str | None = None
    secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    sandbox: bool = False


@dataclass(frozen=True)
class Connection:
    """Everything needed to build a client. ``repr`` masks the secret."""

    appid: str
    secret: str = field(repr=False)
    base_url: str | None
    token_store: TokenStoreChoice
    token_mode: TokenMode
    sandbox: SandboxMode
    profile: str | None

    def __repr__(self) -> str:
        return (
            f"Connection(appid={self.appid!r}, secret={mask(self.secret)}, "
            f"base_url={self.base_url!r}, sandbox={self.sandbox!r}, profile={self.profile!r})"
        )


def _chosen_profile(
    options: ConnectionOptions, env: Mapping[str, str], config: ConfigFile
) -> tuple[str | None, Profile]:
    name = options.profile or env.get(PROFILE_ENV) or config.current
    if name is None:
        return None, Profile()
    return name, config.profile(name)


def _sandbox_connection(
    options: ConnectionOptions, name: str | None, profile: Profile
) -> Connection:
    # Imported here: the sandbox's server stack is only needed by sandbox runs.
    from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

    own = profile if profile.sandbox else Profile()
    base_url = options.base_url or own.base_url
    appid = options.appid or own.appid or DEMO_APPID
    known = {DEMO_APPID: DEMO_SECRET}
    if own.appid and own.secret:
        known[own.appid] = own.secret
    secret = options.secret or known.get(appid)
    if secret is None:
        raise UsageProblem(
            f"no secret for the sandbox account {appid}",
            hint="pass --secret as well, or leave out --appid to use the demo account.",
        )
    return Connection(
        appid=appid,
        secret=secret,
        base_url=base_url,
        # A sandbox token is worth nothing: memory, unless a sandbox profile says otherwise.
        token_store=TokenStoreChoice.parse(own.token_store if profile.sandbox else "memory"),
        token_mode=own.token_mode,
        sandbox="url" if base_url else "embedded",
        profile=name if profile.sandbox else None,
    )


def resolve(
    options: ConnectionOptions,
    config: ConfigFile,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """The connection for a run; :class:`UsageProblem` says what is missing."""
    environ = os.environ if env is None else env
    name, profile = _chosen_profile(options, environ, config)
    if options.sandbox or profile.sandbox:
        return _sandbox_connection(options, name, profile)

    appid = options.appid or environ.get(APPID_ENV) or profile.appid
    # A secret only goes with the appid it was stored or exported with.
    secret = options.secret
    env_appid = environ.get(APPID_ENV)
    if secret is None and env_appid in (None, appid):
        secret = environ.get(SECRET_ENV)
    if secret is None and appid == profile.appid:
        secret = profile.secret
    if not appid or not secret:
        missing = "appid" if not appid else "secret"
        raise UsageProblem(
            f"no {missing} to call WeChat with",
            hint=(
                "run 'wxm config set NAME --appid wx...' (asks for the secret), set "
                f"{APPID_ENV} and {SECRET_ENV}, or try everything on a local sandbox with "
                "'wxm --sandbox ...'."
            ),
        )
    return Connection(
        appid=appid,
        secret=secret,
        base_url=options.base_url or environ.get(BASE_URL_ENV) or profile.base_url,
        token_store=TokenStoreChoice.parse(profile.token_store),
        token_mode=profile.token_mode,
        sandbox="off",
        profile=name,
    )
