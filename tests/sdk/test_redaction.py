"""One way to keep secrets out of what is shown: URLs, error texts, httpx's logs."""

from __future__ import annotations

import logging

from wechat_material._redact import RedactingFilter, hide_query_of, mask, redact


def test_tokens_and_secrets_are_masked_wherever_they_stand() -> None:
    text = (
        "GET https://api.weixin.qq.com/cgi-bin/material/add_material?type=image&"
        "access_token=ACCESS-TOKEN-VALUE failed; body: secret=APP-SECRET-VALUE"
    )

    shown = redact(text)

    assert "ACCESS-TOKEN-VALUE" not in shown
    assert "APP-SECRET-VALUE" not in shown
    assert "type=image" in shown  # what is not secret still helps to debug
    assert "access_token=ACCE…(18 chars)" in shown


def test_the_user_part_of_any_url_is_hidden() -> None:
    shown = redact("proxy http://robot:hunter2@proxy.internal:3128/ refused")
    assert shown == "proxy http://***@proxy.internal:3128/ refused"


def test_a_registered_url_loses_its_whole_query_and_only_that_one() -> None:
    shown = hide_query_of("https://tokens.example/wx/one?key=K1&team=ops")

    assert shown == "https://tokens.example/wx/one?(query hidden)"
    # The same server, as httpx spells it in a log line, with another query.
    assert redact('GET https://tokens.example/wx/one?key=K2 "HTTP/1.1 200 OK"') == (
        'GET https://tokens.example/wx/one?(query hidden) "HTTP/1.1 200 OK"'
    )
    assert redact("https://tokens.example/wx/two?key=K3") == "https://tokens.example/wx/two?key=K3"


def test_the_log_filter_rewrites_the_final_message() -> None:
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: %s %s %s",
        ("GET", "https://h.example/p?access_token=TOKEN-VALUE-1234", '"HTTP/1.1 200 OK"'),
        None,
    )

    assert RedactingFilter().filter(record)

    assert "TOKEN-VALUE-1234" not in record.getMessage()
    assert record.getMessage().endswith('"HTTP/1.1 200 OK"')


def test_a_hidden_query_is_hidden_from_its_first_question_mark() -> None:
    # A value may itself hold a "?": everything after the first one is query.
    hide_query_of("https://tokens.example/wx/three?key=K4")
    shown = redact("https://tokens.example/wx/three?key=K5?team=ops")
    assert shown == "https://tokens.example/wx/three?(query hidden)"


def test_an_empty_secret_is_shown_as_empty_quotes() -> None:
    assert mask("") == "''"
    assert mask("TOKEN-VALUE") == "TOKE…(11 chars)"
