"""Where ``wxm``'s settings come from: its files, the profile file, and which
account and server a command talks to.

**Files.** The profile file lives in the platform's config directory and the
embedded sandbox's state in the platform's data directory. ``WXM_CONFIG_DIR``
and ``WXM_DATA_DIR`` replace them (handy for tests, containers and CI).

**Profiles.** Named profiles of WeChat credentials, kept in a private TOML file::

    current = "prod"

    [profiles.prod]
    appid = "wx1234567890abcdef"
    secret = "..."                       # never printed by wxm
    base_url = "https://api.weixin.qq.com"
    token_store = "redis://localhost:6379/0"   # memory | file | file:PATH | redis://...
    token_mode = "stable"                # stable (stable_token) | token (/token)
    sandbox = false

The file is written with mode 0600 through a temporary file and a rename, so a
crash never leaves it half-written and no other user can read the secret.

**The connection.** Precedence, highest first: command-line flags (``--appid``,
``--secret``, ``--base-url``), the environment (``WECHAT_APPID``,
``WECHAT_SECRET``, ``WECHAT_BASE_URL``), then the profile (``--profile``,
``WXM_PROFILE`` or the current one in the config file).

``--sandbox`` (or a profile with ``sandbox = true``) never uses the
environment: it talks to the sandbox at ``--base-url`` (or the profile's
``base_url``), or to an embedded sandbox started for the command, with the
sandbox's demo account unless an appid and secret are given.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w

from wechat_material.cli.errors import LocalInputError, UsageProblem
from wechat_material.tokens.base import mask

# files ---------------------------------------------------------------------

APP_NAME = "wechat-material"
CONFIG_DIR_ENV = "WXM_CONFIG_DIR"
DATA_DIR_ENV = "WXM_DATA_DIR"

SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8900  # where ``wxm sandbox serve`` listens unless told otherwise
SERVE_URL = f"http://{SERVE_HOST}:{SERVE_PORT}"


def config_dir() -> Path:
    """The directory holding ``config.toml``."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override).expanduser() if override else platformdirs.user_config_path(APP_NAME)


def config_file() -> Path:
    """The profile file, ``config.toml`` in :func:`config_dir`."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """The directory holding the embedded sandbox and the token file."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).expanduser() if override else platformdirs.user_data_path(APP_NAME)


def sandbox_data_dir() -> Path:
    """The embedded sandbox's state (the same place ``wxm sandbox serve`` uses by default)."""
    return data_dir() / "sandbox"


def token_file() -> Path:
    """The default token store for the ``file`` setting."""
    return data_dir() / "tokens.json"


# the profile file ----------------------------------------------------------

TokenMode = Literal["stable", "token"]
TOKEN_MODES: tuple[TokenMode, ...] = ("stable", "token")
DEFAULT_TOKEN_STORE = "file"  # noqa: S105 - a store kind, not a secret
DEFAULT_TOKEN_MODE: TokenMode = "stable"  # noqa: S105 - a mode name

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class TokenStoreChoice:
    """Where tokens are kept: ``memory``, a ``file`` (default path or ``file:PATH``) or Redis."""

    kind: Literal["memory", "file", "redis"]
    location: str | None = None

    @classmethod
    def parse(cls, text: str) -> TokenStoreChoice:
        """Read a ``token_store`` setting; :class:`UsageProblem` says what is accepted."""
        value = text.strip()
        if value == "memory":
            return cls("memory")
        if value == "file":
            return cls("file")
        if value.startswith("file:") and len(value) > len("file:"):
            return cls("file", value[len("file:") :])
        if value.startswith(_REDIS_SCHEMES):
            return cls("redis", value)
        raise UsageProblem(
            f"unknown token store {value!r}",
            hint="use memory, file, file:PATH or a redis:// URL.",
        )

    def describe(self) -> str:
        """The setting with any Redis password hidden."""
        if self.kind == "redis" and self.location:
            return re.sub(r"//[^@/]*@", "//***@", self.location)
        if self.kind == "file" and self.location:
            return f"file:{self.location}"
        return self.kind


@dataclass
class Profile:
    """One account's settings. ``repr`` never shows the secret."""

    appid: str | None = None
    secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    token_store: str = DEFAULT_TOKEN_STORE
    token_mode: TokenMode = DEFAULT_TOKEN_MODE
    sandbox: bool = False

    def __repr__(self) -> str:
        secret = mask(self.secret) if self.secret else None
        return (
            f"Profile(appid={self.appid!r}, secret={secret}, base_url={self.base_url!r}, "
            f"token_store={self.token_store!r}, token_mode={self.token_mode!r}, "
            f"sandbox={self.sandbox})"
        )

    def public_view(self) -> dict[str, Any]:
        """The settings as shown to people: the secret masked, Redis passwords hidden."""
        return {
            "appid": self.appid,
            "secret": mask(self.secret) if self.secret else None,
            "base_url": self.base_url,
            "token_store": TokenStoreChoice.parse(self.token_store).describe(),
            "token_mode": self.token_mode,
            "sandbox": self.sandbox,
        }

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "token_store": self.token_store,
            "token_mode": self.token_mode,
            "sandbox": self.sandbox,
        }
        for key in ("appid", "secret", "base_url"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_toml(cls, name: str, data: Mapping[str, Any], source: Path) -> Profile:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LocalInputError(
                f"{source}: profile {name!r} has unknown setting {unknown[0]!r}",
                hint=f"known settings: {', '.join(sorted(known))}.",
            )
        for key in ("appid", "secret", "base_url", "token_store", "token_mode"):
            if key in data and not isinstance(data[key], str):
                raise LocalInputError(f"{source}: profile {name!r}: {key} must be a string")
        if "sandbox" in data and not isinstance(data["sandbox"], bool):
            raise LocalInputError(f"{source}: profile {name!r}: sandbox must be true or false")
        mode = data.get("token_mode", DEFAULT_TOKEN_MODE)
        if mode not in TOKEN_MODES:
            raise LocalInputError(
                f"{source}: profile {name!r}: token_mode must be one of {', '.join(TOKEN_MODES)}"
            )
        store = data.get("token_store", DEFAULT_TOKEN_STORE)
        try:
            TokenStoreChoice.parse(store)
        except UsageProblem as exc:
            raise LocalInputError(
                f"{source}: profile {name!r}: {exc.message}", hint=exc.hint
            ) from None
        return cls(
            appid=data.get("appid"),
            secret=data.get("secret"),
            base_url=data.get("base_url"),
            token_store=store,
            token_mode=mode,
            sandbox=data.get("sandbox", False),
        )


def check_profile_name(name: str) -> str:
    """A profile name: letters, digits, ``_ . -``; :class:`UsageProblem` otherwise."""
    if not _PROFILE_NAME.match(name):
        raise UsageProblem(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '_', '.' or '-' (at most 64 characters).",
        )
    return name


@dataclass
class ConfigFile:
    """The profile file: which profile is current and every profile by name."""

    path: Path
    current: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ConfigFile:
        """Read the file; a missing file is an empty configuration."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path)
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LocalInputError(
                f"{path}: not a valid TOML file ({exc})",
                hint="fix or delete the file, then run 'wxm config set'.",
            ) from None
        current = data.get("current")
        if current is not None and not isinstance(current, str):
            raise LocalInputError(f"{path}: 'current' must be a profile name")
        section = data.get("profiles", {})
        if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
            raise LocalInputError(f"{path}: [profiles] must hold one table per profile")
        profiles = {name: Profile.from_toml(name, body, path) for name, body in section.items()}
        return cls(path, current, profiles)

    def save(self) -> None:
        """Write the file atomically, readable by its owner only (0600)."""
        document: dict[str, Any] = {}
        if self.current is not None:
            document["current"] = self.current
        document["profiles"] = {name: p.to_toml() for name, p in sorted(self.profiles.items())}
        payload = tomli_w.dumps(document).encode("utf-8")
        write_private_file(self.path, payload)

    def profile(self, name: str) -> Profile:
        """The named profile; :class:`UsageProblem` naming the known ones otherwise."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none yet"
            raise UsageProblem(
                f"no profile named {name!r} in {self.path}",
                hint=f"known profiles: {known}. Create one with 'wxm config set {name} ...'.",
            ) from None


def write_private_file(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` through a 0600 temporary file in the same directory."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, so the secret is never readable by others.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# the connection ------------------------------------------------------------

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
