"""The controls: move the clock, play one refusal on the next call, revoke tokens, reset.

Every control is a form the page script sends to the admin API as JSON
(``data-admin-method`` / ``data-admin-path``): the console changes nothing
by itself, so the admin API's checks (and its doors) apply to it unchanged.
"""

from __future__ import annotations

import json

from wechat_material.sandbox.http.console.layout import e, q, when
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.faults import FaultRule
from wechat_material.sandbox.state.inventory import account_ids

# What the one-shot fault can answer: WeChat's usual refusals, a system error, a cut.
ONE_SHOT = (
    ("45009", "45009 daily quota reached", {"error_rate": 1, "errcode": 45009}),
    ("40001", "40001 invalid access_token", {"error_rate": 1, "errcode": 40001}),
    ("48001", "48001 API not authorized", {"error_rate": 1, "errcode": 48001}),
    ("41005", "41005 no media data", {"error_rate": 1, "errcode": 41005}),
    ("40007", "40007 invalid media_id", {"error_rate": 1, "errcode": 40007}),
    ("-1", "-1 system error", {"error_rate": 1, "errcode": -1}),
    ("drop", "a dropped connection", {"drop_rate": 1}),
)
CLOCK_STEPS = (
    ("+1 hour", 3600),
    ("+2 hours (tokens expire)", 7200),
    ("+3 days (media expire)", 259200),
)


def _form(method: str, path: str, inner: str, testid: str, *, confirm: str = "") -> str:
    ask = f' data-confirm="{e(confirm)}"' if confirm else ""
    return (
        f'<form data-admin-method="{method}" data-admin-path="{e(path)}" '
        f'data-testid="{testid}"{ask}>{inner}</form>'
    )


def _clock(now: float) -> str:
    steps = "".join(
        _form(
            "POST",
            "/_sandbox/clock/advance",
            f'<input type="hidden" name="seconds" value="{seconds}" data-json="number">'
            f"<button>{e(label)}</button>",
            f"clock-step-{seconds}",
        )
        for label, seconds in CLOCK_STEPS
    )
    custom = _form(
        "POST",
        "/_sandbox/clock/advance",
        '<input type="number" name="seconds" value="60" min="0" step="1" data-json="number" '
        'data-testid="clock-seconds"> seconds <button data-testid="clock-advance">Advance</button>',
        "clock-form",
    )
    return (
        f'<section class="card"><h2>Clock</h2><p>Sandbox time: <strong data-testid="clock-now">'
        f"{when(now)}</strong> (UTC+8)</p>{custom}<div class=row>{steps}</div></section>"
    )


def _fault(backend: SandboxBackend, endpoints: list[str]) -> str:
    paths = "".join(f"<option>{e(path)}</option>" for path in endpoints)
    codes = "".join(
        f'<option value="{e(json.dumps(rule))}" data-code="{code}">{e(label)}</option>'
        for code, label, rule in ONE_SHOT
    )
    inject = _form(
        "POST",
        "/_sandbox/faults",
        '<input type="hidden" name="count" value="1" data-json="number">'
        f'<label>on the next call to <select name="endpoint" data-json="text" '
        f'data-testid="fault-endpoint">{paths}</select></label> '
        '<label>answer <select name="rule" data-json="merge" data-testid="fault-code">'
        f"{codes}</select></label> "
        '<button data-testid="fault-inject">Inject once</button>',
        "fault-form",
    )
    rules = (
        "".join(
            f'<tr data-testid="fault-rule"><td><code>{e(rule.endpoint)}</code></td>'
            f"<td>{e(_describe(rule))}</td>"
            f"<td>{'' if rule.count is None else rule.count}</td></tr>"
            for rule in backend.faults.rules()
        )
        or '<tr><td colspan="3" class="muted">none</td></tr>'
    )
    clear = _form("DELETE", "/_sandbox/faults", "<button>Clear all faults</button>", "faults-clear")
    return (
        f'<section class="card"><h2>Faults</h2>{inject}'
        "<h3>Active rules</h3><table><tr><th>endpoint</th><th>does</th><th>calls left</th></tr>"
        f"{rules}</table>{clear}</section>"
    )


def _describe(rule: FaultRule) -> str:
    parts = []
    if rule.error_rate:
        parts.append(f"errcode {rule.errcode} ({rule.error_rate:.0%})")
    if rule.drop_rate:
        parts.append(f"drop ({rule.drop_rate:.0%})")
    if rule.http_5xx_rate:
        parts.append(f"5xx ({rule.http_5xx_rate:.0%})")
    return ", ".join(parts) or "delay"


def _accounts(backend: SandboxBackend) -> str:
    rows = "".join(
        f"<li><code>{e(appid)}</code> "
        + _form(
            "POST",
            f"/_sandbox/accounts/{q(appid)}/tokens/revoke",
            "<button>Revoke its tokens</button>",
            "revoke-tokens-form",
        )
        + "</li>"
        for appid in account_ids(backend)
    )
    reset = _form(
        "POST",
        "/_sandbox/reset",
        '<button class="danger" data-testid="reset">Reset the sandbox</button>',
        "reset-form",
        confirm="Delete every media, draft and token, and put the clock back?",
    )
    return f'<section class="card"><h2>Accounts</h2><ul>{rows}</ul>{reset}</section>'


def controls_body(backend: SandboxBackend, endpoints: list[str]) -> str:
    return (
        f'<div id="live">{_clock(backend.clock.now())}'
        f"{_fault(backend, endpoints)}{_accounts(backend)}</div>"
    )
