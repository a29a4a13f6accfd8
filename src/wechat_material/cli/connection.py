"""Which account and server a ``wxm`` run talks to.

Each setting comes from the first of, highest first:
command-line flags (``--appid``, ``--secret``, ``--base-url``), the
environment (``WECHAT_APPID``, ``WECHAT_SECRET``, ``WECHAT_BASE_URL``), the
profile (``--profile``, ``WXM_PROFILE`` or the current one in the config
file), then the defaults (WeChat's own URL). A secret only goes with the appid
it came with: an exported ``WECHAT_SECRET`` is not sent with a profile's
other appid.

A profile named on the command line (``--profile``/``-p``, or ``--to`` of
``wxm restore``) is explicit and beats the ambient environment: its appid,
secret and base URL are used even when ``WECHAT_*`` are exported (the
environment only fills what the profile leaves out); flags still win.

How long to wait (``--timeout``, ``WECHAT_TIMEOUT``, a profile's ``timeout``)
follows the same order. The proxy is ``--proxy``, else the profile's ``proxy``,
else the standard ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY``
variables (read by httpx); the embedded sandbox, inside the process, takes none.

A sandbox run (``--sandbox``, or a profile with ``sandbox = true``) follows the
same order; its default account is the sandbox's demo account, and without a
base URL it starts an embedded sandbox for the command. ``--sandbox`` with an
ordinary profile ignores that profile (its account is a real one).

Every value is checked before use (:mod:`~wechat_material.cli.validate`); the
error names the flag, variable or file line it came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from wechat_material.cli.config import (
    ConfigFile,
    Profile,
    TokenMode,
    TokenStoreChoice,
    check_profile_name,
    mask,
)
from wechat_material.cli.errors import UsageProblem
from wechat_material.cli.validate import (
    Source,
    check_appid,
    check_base_url,
    check_proxy,
    check_secret,
    check_timeout,
    check_wechat_appid,
    env,
    flag,
)

WECHAT_HOST = "weixin.qq.com"
PROFILE_ENV = "WXM_PROFILE"
APPID_ENV = "WECHAT_APPID"
SECRET_ENV = "WECHAT_SECRET"  # noqa: S105 - the variable's name, not a secret
BASE_URL_ENV = "WECHAT_BASE_URL"
TIMEOUT_ENV = "WECHAT_TIMEOUT"

SandboxMode = Literal["off", "embedded", "url"]


@dataclass(frozen=True)
class ConnectionOptions:
    """The global flags of one ``wxm`` run."""

    profile: str | None = None
    appid: str | None = None
    secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    sandbox: bool = False
    timeout: str | None = None
    proxy: str | None = None


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
    timeout: float | None = None  # seconds; None: the SDK's defaults
    proxy: str | None = None  # None: the environment's proxy variables, if any

    def __repr__(self) -> str:
        return (
            f"Connection(appid={self.appid!r}, secret={mask(self.secret)}, "
            f"base_url={self.base_url!r}, sandbox={self.sandbox!r}, profile={self.profile!r})"
        )


def _chosen_profile(
    options: ConnectionOptions, env: Mapping[str, str], config: ConfigFile
) -> tuple[str | None, Profile]:
    if options.profile is not None:
        check_profile_name(options.profile, "--profile")
    elif env.get(PROFILE_ENV):
        check_profile_name(env[PROFILE_ENV], f"environment variable {PROFILE_ENV}")
    name = options.profile or env.get(PROFILE_ENV) or config.current
    if name is None:
        return None, Profile()
    return name, config.profile(name)


@dataclass(frozen=True)
class _Given:
    """The appid, secret and base URL from flags and environment, each checked."""

    appid: str | None
    secret: str | None = field(repr=False)
    base_url: str | None
    env_appid: str | None
    env_secret: str | None = field(repr=False)
    timeout: float | None = None
    proxy: str | None = None


def _given(
    options: ConnectionOptions, environ: Mapping[str, str], explicit: Profile | None = None
) -> _Given:
    """Flags, then the environment; ``explicit``, a profile named on the command line,
    puts its own appid (with its secret) and base URL before the environment's."""

    def pick(value: str | None, check: Any, source: Source) -> str | None:
        return check(value, source) if value is not None else None

    env_appid = pick(environ.get(APPID_ENV) or None, check_appid, env(APPID_ENV))
    env_secret = pick(environ.get(SECRET_ENV) or None, check_secret, env(SECRET_ENV))
    env_base_url = pick(environ.get(BASE_URL_ENV) or None, check_base_url, env(BASE_URL_ENV))
    if explicit is not None and explicit.appid:
        env_appid = env_secret = None
    if explicit is not None and explicit.base_url:
        env_base_url = None
    return _Given(
        appid=pick(options.appid, check_appid, flag("--appid")) or env_appid,
        secret=pick(options.secret, check_secret, flag("--secret")),
        base_url=pick(options.base_url, check_base_url, flag("--base-url")) or env_base_url,
        env_appid=env_appid,
        env_secret=env_secret,
        timeout=_timeout(options, environ),
        proxy=pick(options.proxy, check_proxy, flag("--proxy")),
    )


def _timeout(options: ConnectionOptions, environ: Mapping[str, str]) -> float | None:
    if options.timeout is not None:
        return check_timeout(options.timeout, flag("--timeout"))
    if environ.get(TIMEOUT_ENV):
        return check_timeout(environ[TIMEOUT_ENV], env(TIMEOUT_ENV))
    return None


def _secret_for(appid: str, given: _Given, stored: Mapping[str, str]) -> str | None:
    """The secret that goes with ``appid``: the flag's, the environment's, then a stored one.

    A secret only goes with the appid it was stored or exported with.
    """
    if given.secret is not None:
        return given.secret
    if given.env_secret is not None and given.env_appid in (None, appid):
        return given.env_secret
    return stored.get(appid)


def is_wechat(url: str | None) -> bool:
    """Whether ``url`` is WeChat's own API (None: the default, which is)."""
    return url is None or _is_wechat(url)


def _is_wechat(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == WECHAT_HOST or host.endswith("." + WECHAT_HOST)


def _sandbox_connection(given: _Given, name: str | None, profile: Profile) -> Connection:
    # Not from the sandbox package: a run against a sandbox elsewhere needs none of its stack.
    from wechat_material.demo_account import DEMO_APPID, DEMO_SECRET

    # --sandbox with an ordinary profile: that profile's WeChat settings do not apply.
    own = profile if profile.sandbox else Profile()
    base_url = given.base_url or own.base_url
    if base_url is not None and _is_wechat(base_url):
        raise UsageProblem(
            f"a sandbox run cannot talk to WeChat itself ({base_url})",
            hint=f"drop --sandbox, or point --base-url (or {BASE_URL_ENV}) at a sandbox; "
            "leave both out for an embedded one.",
        )
    appid = given.appid or own.appid or DEMO_APPID
    known = {DEMO_APPID: DEMO_SECRET}
    if own.appid and own.secret:
        known[own.appid] = own.secret
    secret = _secret_for(appid, given, known)
    if secret is None:
        raise UsageProblem(
            f"no secret for the sandbox account {appid}",
            hint=f"pass --secret or set {SECRET_ENV} as well, or leave out --appid and "
            f"{APPID_ENV} to use the demo account.",
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
        timeout=given.timeout or own.timeout,
        # The embedded sandbox runs inside this process: no proxy stands in between.
        proxy=(given.proxy or own.proxy) if base_url else None,
    )


def resolve(
    options: ConnectionOptions,
    config: ConfigFile,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """The connection for a run; :class:`UsageProblem` says what is missing or malformed.

    Each setting is taken from the first of: flag, environment, profile, default;
    on a sandbox too, where the default account is the sandbox's demo account. A
    profile named by ``--profile`` comes before the environment.
    """
    environ = os.environ if env is None else env
    name, profile = _chosen_profile(options, environ, config)
    # --sandbox with an ordinary profile ignores that profile: it is not explicit then.
    named = options.profile is not None and (profile.sandbox or not options.sandbox)
    given = _given(options, environ, profile if named else None)
    if options.sandbox or profile.sandbox:
        return _sandbox_connection(given, name, profile)

    appid = given.appid or profile.appid
    base_url = given.base_url or profile.base_url
    if appid and (base_url is None or _is_wechat(base_url)):
        # WeChat itself has one form of appid; the flag's rule and the profile's are one.
        if options.appid:
            source = flag("--appid")
        elif given.appid:
            source = Source(f"environment variable {APPID_ENV}")
        else:
            source = Source(f"profile {name!r}: appid", in_file=True)
        check_wechat_appid(appid, source)
    stored = {profile.appid: profile.secret} if profile.appid and profile.secret else {}
    secret = _secret_for(appid, given, stored) if appid else None
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
        base_url=base_url,
        token_store=TokenStoreChoice.parse(profile.token_store),
        token_mode=profile.token_mode,
        sandbox="off",
        profile=name,
        timeout=given.timeout or profile.timeout,
        proxy=given.proxy or profile.proxy,
    )
