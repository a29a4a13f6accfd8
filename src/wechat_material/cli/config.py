"""Where ``wxm``'s settings live: its files and the profile file.

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

Which account and server a run talks to is worked out from these settings,
the flags and the environment in :mod:`~wechat_material.cli.connection`.

A profile with a bad setting only fails the commands that use it:
``wxm config`` still lists, shows and fixes it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from wechat_material.cli.errors import CliError, LocalInputError, UsageProblem
from wechat_material.cli.validate import (
    Source,
    check_appid,
    check_base_url,
    check_proxy,
    check_secret,
    check_timeout,
    shown,
)

# files ---------------------------------------------------------------------

APP_NAME = "wechat-material"
CONFIG_DIR_ENV = "WXM_CONFIG_DIR"
DATA_DIR_ENV = "WXM_DATA_DIR"

SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8900  # where ``wxm sandbox serve`` listens unless told otherwise
SERVE_URL = f"http://{SERVE_HOST}:{SERVE_PORT}"


def mask(secret: str) -> str:
    """A secret as shown to people (the tokens package's rule, loaded only when needed)."""
    from wechat_material.tokens.base import mask as shown_mask

    return shown_mask(secret)


def config_dir() -> Path:
    """The directory holding ``config.toml``."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # only where no directory is given

    return platformdirs.user_config_path(APP_NAME)


def config_file() -> Path:
    """The profile file, ``config.toml`` in :func:`config_dir`."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """The directory holding the embedded sandbox and the token file."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # only where no directory is given

    return platformdirs.user_data_path(APP_NAME)


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
    timeout: float | None = None
    proxy: str | None = None

    def __repr__(self) -> str:
        secret = mask(self.secret) if self.secret else None
        return (
            f"Profile(appid={self.appid!r}, secret={secret}, base_url={self.base_url!r}, "
            f"token_store={self.token_store!r}, token_mode={self.token_mode!r}, "
            f"sandbox={self.sandbox}, timeout={self.timeout}, proxy={self._shown_proxy()})"
        )

    def _shown_proxy(self) -> str | None:
        """The proxy URL with any password hidden."""
        return re.sub(r"//[^@/]*@", "//***@", self.proxy) if self.proxy else None

    def public_view(self) -> dict[str, Any]:
        """The settings as shown to people: the secret masked, Redis passwords hidden."""
        return {
            "appid": self.appid,
            "secret": mask(self.secret) if self.secret else None,
            "base_url": self.base_url,
            "token_store": TokenStoreChoice.parse(self.token_store).describe(),
            "token_mode": self.token_mode,
            "sandbox": self.sandbox,
            "timeout": self.timeout,
            "proxy": self._shown_proxy(),
        }

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "token_store": self.token_store,
            "token_mode": self.token_mode,
            "sandbox": self.sandbox,
        }
        for key in ("appid", "secret", "base_url", "timeout", "proxy"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def parse(cls, name: str, data: Mapping[str, Any]) -> tuple[Profile, list[SettingProblem]]:
        """The profile in ``data`` and what is wrong with it; a bad setting is left out."""
        problems: list[SettingProblem] = []
        known = {f.name for f in fields(cls)}
        for key in sorted(set(data) - known):
            problems.append(
                SettingProblem(
                    key, f"unknown setting {key!r}", f"known settings: {', '.join(sorted(known))}."
                )
            )
        good: dict[str, Any] = {}
        keys = ("appid", "secret", "base_url", "token_store", "token_mode", "sandbox")
        for key in (*keys, "timeout", "proxy"):
            if key not in data:
                continue
            message = _setting_problem(key, data[key])
            if message is None:
                good[key] = float(data[key]) if key == "timeout" else data[key]
            else:
                problems.append(SettingProblem(key, message[0], message[1]))
        return cls(**good), problems


@dataclass(frozen=True)
class SettingProblem:
    """One bad setting of a profile: its key, what is wrong, what to do."""

    key: str
    message: str
    hint: str | None = None


def _setting_problem(key: str, value: Any) -> tuple[str, str | None] | None:
    if key == "sandbox":
        return None if isinstance(value, bool) else ("sandbox must be true or false", None)
    if key == "timeout" and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a number in the file, checked as --timeout checks its text
    elif not isinstance(value, str):
        return f"{key} must be a {'number' if key == 'timeout' else 'string'}", None
    # The same checks as the flags and variables these settings stand for.
    checks = {
        "appid": check_appid,
        "secret": check_secret,
        "base_url": check_base_url,
        "timeout": check_timeout,
        "proxy": check_proxy,
    }
    try:
        if key in checks:
            checks[key](value, Source(key, in_file=True))
        elif key == "token_store":
            TokenStoreChoice.parse(value)
        elif key == "token_mode" and value not in TOKEN_MODES:
            return f"token_mode must be one of {', '.join(TOKEN_MODES)}", None
    except CliError as exc:
        return exc.message, exc.hint
    return None


_SECTION = re.compile(r"""^\s*\[\s*profiles\s*\.\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*\]""")


def setting_line(text: str, profile: str, key: str) -> int | None:
    """The line (from 1) where ``key`` is set in ``[profiles.PROFILE]``, if it can be found."""
    inside = False
    setting = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}")\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("["):
            match = _SECTION.match(line)
            inside = match is not None and profile in match.groups()
        elif inside and setting.match(line):
            return number
    return None


def check_profile_name(name: str, source: str = "profile name") -> str:
    """A profile name: letters, digits, ``_ . -``; :class:`UsageProblem` naming ``source``."""
    if not _PROFILE_NAME.match(name):
        raise UsageProblem(
            f"{source}: {shown(name)} is not a profile name",
            hint="use letters, digits, '_', '.' or '-' (at most 64 characters).",
        )
    return name


@dataclass
class ConfigFile:
    """The profile file: which profile is current and every profile by name."""

    path: Path
    current: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    # Profiles with a bad setting: the error, and their settings as found (kept on save).
    broken: dict[str, tuple[LocalInputError, dict[str, Any]]] = field(default_factory=dict)
    # True when other users may read the file (it holds secrets).
    exposed: bool = False

    @classmethod
    def load(cls, path: Path) -> ConfigFile:
        """Read the file; a missing file is an empty configuration."""
        try:
            raw = path.read_bytes()
            exposed = bool(path.stat().st_mode & 0o077)
        except FileNotFoundError:
            return cls(path)
        import tomllib  # only when there is a file to read

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
        config = cls(path, current, exposed=exposed)
        for name, body in section.items():
            profile, problems = Profile.parse(name, body)
            if not problems:
                config.profiles[name] = profile
                continue
            first = problems[0]
            line = setting_line(raw.decode("utf-8"), name, first.key)
            where = f"{path}:{line}" if line is not None else str(path)
            error = LocalInputError(
                f"{where}: profile {name!r}: {first.message}",
                hint=first.hint or f"fix it with 'wxm config set {name} ...' or in the file.",
            )
            config.broken[name] = (error, dict(body))
        return config

    def save(self) -> None:
        """Write the file atomically, readable by its owner only (0600)."""
        document: dict[str, Any] = {}
        if self.current is not None:
            document["current"] = self.current
        # A broken profile is written back as it was found: nothing the user wrote is lost.
        profiles = {name: raw for name, (_, raw) in self.broken.items()}
        profiles.update({name: p.to_toml() for name, p in self.profiles.items()})
        document["profiles"] = dict(sorted(profiles.items()))
        import tomli_w

        payload = tomli_w.dumps(document).encode("utf-8")
        write_private_file(self.path, payload)

    def profile(self, name: str) -> Profile:
        """The named profile; :class:`UsageProblem` naming the known ones otherwise."""
        if name in self.broken and name not in self.profiles:
            raise self.broken[name][0]
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted([*self.profiles, *self.broken])) or "none yet"
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
