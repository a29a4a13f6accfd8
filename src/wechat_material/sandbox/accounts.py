"""Official accounts known to the sandbox: appid, secret, IP whitelist and standing."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from wechat_material.sandbox.account_status import AccountStatus
from wechat_material.sandbox.errors import SandboxError
from wechat_material.sandbox.storage import Storage
from wechat_material.tokens.base import mask


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


class Accounts:
    """Accounts, cached in memory (they are read on every call, written rarely)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._cache: dict[str, Account | None] = {}

    def add(self, appid: str, secret: str, whitelist: list[str] | None = None) -> Account:
        """Create the account, or replace its secret and whitelist (its status stays)."""
        if not appid or not secret:
            raise ValueError("an account needs a non-empty appid and secret")
        account = Account(appid, secret, _normalised(whitelist))
        with self._storage.transaction() as db:
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
