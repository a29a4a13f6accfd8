"""The request journal: a table of the latest API calls, kept live by the event stream.

Rows are rendered here only, for the first page and for each call the stream
announces (:mod:`.events`), so the page script inserts them as they come.
Filtering (path, errcode, account) happens in the page, on the rows' data
attributes; a filtered view has a URL (``/ui/journal?path=token&errcode=40001``).
"""

from __future__ import annotations

from collections.abc import Mapping

from wechat_material.sandbox.http.console.layout import e, when
from wechat_material.sandbox.state.backend import SandboxBackend
from wechat_material.sandbox.state.inventory import account_ids
from wechat_material.sandbox.state.journal import JournalEntry

SHOWN = 200


def _code(entry: JournalEntry) -> str:
    return "" if entry.errcode is None else str(entry.errcode)


def row(entry: JournalEntry) -> str:
    code = _code(entry)
    failed = (
        " bad" if (entry.errcode not in (None, 0) or entry.status >= 400 or entry.fault) else ""
    )
    return (
        f'<tr data-testid="journal-row" class="call{failed}" data-seq="{entry.seq}" '
        f'data-path="{e(entry.path)}" data-errcode="{e(code)}" data-appid="{e(entry.appid)}">'
        f"<td>{when(entry.at)}</td><td>{e(entry.method)}</td>"
        f'<td><a href="/ui/journal/{entry.seq}" data-testid="journal-path">{e(entry.path)}</a></td>'
        f"<td>{e(entry.appid or '?')}</td><td>{entry.status or 'cut'}</td>"
        f'<td data-testid="journal-errcode">{e(code)}</td><td>{entry.latency_ms:.1f} ms</td>'
        f"<td>{e(entry.fault)}</td></tr>"
    )


def journal_body(backend: SandboxBackend, query: Mapping[str, str]) -> str:
    accounts = "".join(
        f'<option value="{e(a)}"{" selected" if a == query.get("appid") else ""}>{e(a)}</option>'
        for a in account_ids(backend)
    )
    rows = "".join(row(entry) for entry in reversed(backend.journal.latest(SHOWN)))
    return (
        '<form class="filters" method="get" action="/ui/journal" data-testid="journal-filters">'
        f'<input name="path" placeholder="path contains" value="{e(query.get("path", ""))}" '
        'data-testid="filter-path">'
        f'<input name="errcode" placeholder="errcode" value="{e(query.get("errcode", ""))}" '
        'data-testid="filter-errcode" size="8">'
        f'<select name="appid" data-testid="filter-appid"><option value="">all accounts</option>'
        f"{accounts}</select></form>"
        '<table class="journal"><thead><tr><th>time</th><th>method</th><th>path</th>'
        "<th>account</th><th>status</th><th>errcode</th><th>latency</th><th>fault</th></tr>"
        f'</thead><tbody id="journal-rows" data-testid="journal-rows" '
        f'data-last-seq="{backend.journal.last_seq}">{rows}</tbody></table>'
    )


def entry_body(entry: JournalEntry) -> str:
    fields = [
        ("number", str(entry.seq)),
        ("time", f"{when(entry.at)} (UTC+8)"),
        ("method", e(entry.method)),
        ("path", f"<code>{e(entry.path)}</code>"),
        ("query", f"<code>{e(entry.query)}</code>"),
        ("account", f"<code>{e(entry.appid or '(unknown token)')}</code>"),
        ("HTTP status", str(entry.status) if entry.status else "connection cut"),
        ("reply type", e(entry.content_type)),
        ("errcode", e(_code(entry))),
        ("errmsg", e(entry.errmsg)),
        ("latency", f"{entry.latency_ms:.2f} ms"),
        ("fault applied", e(entry.fault or "none")),
    ]
    rows = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in fields)
    return (
        f'<table class="detail" data-testid="journal-entry">{rows}</table>'
        '<p><a href="/ui/journal">back to the journal</a></p>'
    )
