"""Named profiles of WeChat credentials, kept in a private TOML file.

::

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

import tomli_w

from wechat_material.cli.errors import LocalInputError, UsageProblem
from wechat_material.tokens.base import mask

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
