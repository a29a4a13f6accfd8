"""The accounts page: standing, material against caps, live tokens and today's quota use."""

from __future__ import annotations

from wechat_material.sandbox.http.console.layout import duration, e, q
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.inventory import AccountView, account_ids, account_view

_FLAGS = (
    ("frozen", "frozen"),
    ("limited", "limited"),
    ("secret_frozen", "secret frozen"),
    ("token_forbidden", "token API forbidden"),
)


def _standing(view: AccountView) -> str:
    badges = [
        f'<span class="badge bad">{label}</span>' for name, label in _FLAGS if view.status[name]
    ]
    badges += [
        f'<span class="badge bad">not granted: {e(path)}</span>'
        for path in view.status["unauthorized"]
    ]
    return "".join(badges) or '<span class="badge ok">in good standing</span>'


def _account(view: AccountView) -> str:
    caps = "".join(
        f"<tr><td>{e(cap.types)}</td><td>{cap.held}</td><td>{cap.cap}</td></tr>"
        for cap in view.caps
    )
    tokens = (
        "".join(
            f'<tr data-testid="token"><td><code>{e(token.masked)}</code></td>'
            f"<td>{e(token.kind)}</td>"
            f"<td>{duration(token.seconds_left)}</td></tr>"
            for token in view.tokens
        )
        or '<tr><td colspan="3" class="muted">no live token</td></tr>'
    )
    quotas = (
        "".join(
            f'<tr data-testid="quota" data-path="{e(quota.path)}">'
            f"<td><code>{e(quota.path)}</code></td>"
            f"<td>{quota.used}</td><td>{quota.left}</td><td>{quota.daily_limit}</td></tr>"
            for quota in view.quotas
        )
        or '<tr><td colspan="4" class="muted">no call today</td></tr>'
    )
    revoke = (
        f'<form data-admin-method="POST" data-admin-path="/_sandbox/accounts/{q(view.appid)}'
        f'/tokens/revoke"><button data-testid="revoke-tokens">Revoke tokens</button></form>'
    )
    return (
        f'<section class="card" data-testid="account" data-appid="{e(view.appid)}">'
        f"<h2><code>{e(view.appid)}</code> {_standing(view)}</h2>"
        '<div class="columns">'
        "<div><h3>Permanent material</h3><table><tr><th>types</th><th>held</th><th>cap</th></tr>"
        f"{caps}</table>"
        f"<p>Temporary media: {view.temporary} · drafts: {view.drafts} · "
        f'<a href="/ui/gallery?appid={q(view.appid)}">see the material</a></p></div>'
        "<div><h3>Live tokens</h3><table><tr><th>token</th><th>kind</th><th>left</th></tr>"
        f"{tokens}</table>{revoke}</div>"
        "<div><h3>Quota today</h3><table><tr><th>path</th><th>used</th><th>left</th>"
        f"<th>daily</th></tr>{quotas}</table></div>"
        "</div></section>"
    )


def accounts_body(backend: SandboxBackend) -> str:
    views = [account_view(backend, appid) for appid in account_ids(backend)]
    cards = "".join(_account(view) for view in views) or "<p>No account.</p>"
    return f'<div id="live" data-live="calls">{cards}</div>'
