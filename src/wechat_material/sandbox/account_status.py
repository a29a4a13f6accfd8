"""Whether an account may get tokens and make calls: WeChat's frozen and limited states.

Real accounts can have their AppSecret frozen (40243), the token API forbidden
(50004), the whole account frozen (50007), single APIs not granted (48001) or
their content operations limited (50002). An :class:`AccountStatus` holds those
switches; the admin API flips them so clients can be tested against each refusal.

Order of the checks (the first that applies answers):

- ``/cgi-bin/token`` and ``/cgi-bin/stable_token``, once the appid, IP and
  secret have been accepted: frozen (50007), then secret frozen (40243), then
  token API forbidden (50004): the whole account before its credential, the
  credential before the one endpoint.
- API calls, once the token and IP have been accepted: frozen (50007), then a
  path not granted (48001), then limited (50002, writes only).

Refused calls use no quota.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.quotas import STABLE_TOKEN_PATH, TOKEN_PATH

TOKEN_PATHS = (TOKEN_PATH, STABLE_TOKEN_PATH)
_SWITCHES = ("secret_frozen", "token_forbidden", "frozen", "limited")
FIELDS = (*_SWITCHES, "unauthorized")


def _paths(paths: object) -> tuple[str, ...]:
    """Sorted, without repeats; each a /cgi-bin/ API path other than the token endpoints."""
    if not isinstance(paths, list | tuple | set | frozenset):
        raise TypeError("'unauthorized' must be a list of paths like /cgi-bin/draft/add")
    cleaned = set()
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/cgi-bin/"):
            raise ValueError(f"{path!r} is not an API path like /cgi-bin/draft/add")
        if path in TOKEN_PATHS:
            raise ValueError(f"{path} is a token endpoint: use 'token_forbidden' for it")
        cleaned.add(path)
    return tuple(sorted(cleaned))


@dataclass(frozen=True)
class AccountStatus:
    """An account's standing; the default is a healthy account."""

    secret_frozen: bool = False
    token_forbidden: bool = False
    frozen: bool = False
    limited: bool = False
    unauthorized: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in _SWITCHES:
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"'{name}' must be true or false")
        object.__setattr__(self, "unauthorized", _paths(self.unauthorized))

    def changed(self, changes: Mapping[str, Any]) -> AccountStatus:
        """A copy with ``changes`` applied; fields not named (or None) keep their value."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown account status fields: {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_json(self) -> dict[str, Any]:
        return {
            "secret_frozen": self.secret_frozen,
            "token_forbidden": self.token_forbidden,
            "frozen": self.frozen,
            "limited": self.limited,
            "unauthorized": list(self.unauthorized),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccountStatus:
        return cls().changed({k: data[k] for k in FIELDS if k in data})

    def dump(self) -> str | None:
        """The database form (None for a healthy account)."""
        return None if self == AccountStatus() else json.dumps(self.to_json())

    @classmethod
    def load(cls, text: str | None) -> AccountStatus:
        return cls() if text is None else cls.from_json(json.loads(text))

    def check_token_grant(self) -> None:
        """Refuse /token and /stable_token as WeChat does for this standing."""
        if self.frozen:
            raise SandboxError(50007, "the account is frozen")
        if self.secret_frozen:
            raise SandboxError(40243, "the AppSecret is frozen")
        if self.token_forbidden:
            raise SandboxError(50004, "the account may not get access tokens")

    def check_call(self, path: str, writes: bool) -> None:
        """Refuse an API call (token already accepted) as WeChat does for this standing."""
        if self.frozen:
            raise SandboxError(50007, "the account is frozen")
        if path in self.unauthorized:
            raise SandboxError(48001, f"the account is not granted {path}")
        if self.limited and writes:
            raise SandboxError(50002, f"the account is limited: {path} changes content")
