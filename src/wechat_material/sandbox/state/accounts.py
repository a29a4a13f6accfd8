"""Official accounts known to the sandbox: appid, secret, IP whitelist and standing.

The standing (:class:`AccountStatus`) is WeChat's frozen and limited states.
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

import ipaddress
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wechat_material import _endpoints as ep
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.config import API_PREFIX
from wechat_material.sandbox.state.storage import Storage
from wechat_material.tokens.base import mask

TOKEN_PATHS = (ep.TOKEN.path, ep.STABLE_TOKEN.path)

_SWITCHES = ("secret_frozen", "token_forbidden", "frozen", "limited")
FIELDS = (*_SWITCHES, "unauthorized")


def _paths(paths: object) -> tuple[str, ...]:
    """Sorted, without repeats; each a /cgi-bin/ API path other than the token endpoints."""
    if not isinstance(paths, list | tuple | set | frozenset):
        raise TypeError("'unauthorized' must be a list of paths like /cgi-bin/draft/add")
    cleaned = set()
    for path in paths:
        if not isinstance(path, str) or not path.startswith(API_PREFIX):
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


@dataclass(frozen=True)
class Account:
    """One official account; the secret never shows in its repr."""

    appid: str
    secret: str = field(repr=False)
    whitelist: tuple[str, ...] | None = None
    status: AccountStatus = field(default_factory=AccountStatus)

    def __repr__(self) -> str:
        return (
            f"Account(appid={self.appid!r}, secret={mask(self.secret)}, "
            f"whitelist={self.whitelist}, status={self.status})"
        )


def _plain_ip(ip: str) -> str:
    """``::ffff:1.2.3.4`` → ``1.2.3.4``; anything else unchanged."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def whitelist_refusal(ip: str) -> SandboxError:
    """40164 with WeChat's text, which names the caller's address in both forms."""
    plain = _plain_ip(ip)
    v6 = plain if ":" in plain else f"::ffff:{plain}"
    return SandboxError(
        40164,
        f"{plain} is not in the whitelist",
        errmsg=f"invalid ip {plain} ipv6 {v6}, not in whitelist",
    )


@dataclass(frozen=True)
class NewAccount:
    """An account to create: its credentials, whitelist and daily /token quota."""

    appid: str
    secret: str = field(repr=False)
    token_daily_limit: int | None = None
    whitelist: list[str] | None = None


class Accounts:
    """Accounts, cached in memory (they are read on every call, written rarely)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._cache: dict[str, Account] = {}

    def add(
        self,
        appid: str,
        secret: str,
        whitelist: list[str] | None = None,
        db: sqlite3.Connection | None = None,
    ) -> Account:
        """Create the account, or replace its secret and whitelist (its status stays).

        Written in ``db``'s transaction when given, else in one of its own.
        """
        if db is None:
            with self._storage.transaction() as own:
                return self.add(appid, secret, whitelist, own)
        if not appid or not secret:
            raise ValueError("an account needs a non-empty appid and secret")
        account = Account(appid, secret, _normalised(whitelist))
        db.execute(
            "INSERT INTO accounts (appid, secret, whitelist) VALUES (?, ?, ?) "
            "ON CONFLICT (appid) DO UPDATE SET "
            "secret = excluded.secret, whitelist = excluded.whitelist",
            (appid, secret, _dump(account.whitelist)),
        )
        self._cache.pop(appid, None)
        return account

    def get(self, appid: str) -> Account | None:
        with self._storage.lock:
            if appid in self._cache:
                return self._cache[appid]
            row = self._storage.row(
                "SELECT appid, secret, whitelist, status FROM accounts WHERE appid = ?", (appid,)
            )
            account = None
            if row is not None:
                listed = json.loads(row["whitelist"]) if row["whitelist"] is not None else None
                whitelist = None if listed is None else tuple(listed)
                status = AccountStatus.load(row["status"])
                account = Account(row["appid"], row["secret"], whitelist, status)
                # Only accounts are kept: anyone can send made-up appids.
                self._cache[appid] = account
            return account

    def require(self, appid: str) -> Account:
        account = self.get(appid)
        if account is None:
            raise SandboxError(40013, f"no account {appid!r}")
        return account

    def set_whitelist(self, appid: str, ips: list[str] | None) -> None:
        """Only these IPs may call (None: any IP)."""
        self.require(appid)
        with self._storage.transaction() as db:
            db.execute(
                "UPDATE accounts SET whitelist = ? WHERE appid = ?",
                (_dump(_normalised(ips)), appid),
            )
            self._cache.pop(appid, None)

    def set_status(self, appid: str, changes: Mapping[str, object]) -> AccountStatus:
        """Flip the account's standing switches; those not named keep their value."""
        with self._storage.transaction() as db:
            status = self.require(appid).status.changed(changes)
            db.execute("UPDATE accounts SET status = ? WHERE appid = ?", (status.dump(), appid))
            self._cache.pop(appid, None)
        return status

    def check_ip(self, account: Account, ip: str) -> None:
        """40164 unless the account has no whitelist or lists ``ip``."""
        if account.whitelist is not None and _plain_ip(ip) not in account.whitelist:
            raise whitelist_refusal(ip)

    def forget_cache(self) -> None:
        with self._storage.lock:
            self._cache.clear()


def _normalised(ips: list[str] | None) -> tuple[str, ...] | None:
    if ips is None:
        return None
    for ip in ips:
        ipaddress.ip_address(ip)  # ValueError names the bad entry
    return tuple(_plain_ip(ip) for ip in ips)


def _dump(ips: tuple[str, ...] | None) -> str | None:
    return None if ips is None else json.dumps(list(ips))
