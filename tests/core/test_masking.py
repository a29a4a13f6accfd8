"""One masking rule for every place that shows text: the SDK, ``wxm`` and the sandbox's log.

The three once carried regexes of their own that had drifted apart; here each
is given the same texts and must hide the same secret values.
"""

from __future__ import annotations

import logging

import pytest

from wechat_material._redact import hide_secret_params, redact
from wechat_material.cli.output import Redactor
from wechat_material.sandbox.server import RedactQuerySecrets

SECRET = "s3cr3tVALUE42"

TEXTS = [
    f"GET /cgi-bin/token?grant_type=client_credential&appid=wx1&secret={SECRET}",
    f"GET /cgi-bin/material/get_materialcount?access_token={SECRET}",
    f"POST /cgi-bin/draft/add?access_token={SECRET}&x=1 HTTP/1.1",
    f'<a href="https://example.com/p?access_token={SECRET}">link</a>',
    f"'https://api.weixin.qq.com/cgi-bin/token?secret={SECRET}'",
    f"client_secret={SECRET}#frag",
    f"access_token={SECRET}<br>",
]


def sandbox_log_line(text: str) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", (text,), None)
    RedactQuerySecrets().filter(record)
    return record.getMessage()


def cli_text(text: str) -> str:
    return Redactor()(text)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("show", [redact, hide_secret_params, cli_text, sandbox_log_line])
def test_every_face_hides_the_value(show, text):
    shown = show(text)
    assert SECRET not in shown
    assert SECRET[4:] not in shown  # not even the part a mask leaves out


@pytest.mark.parametrize("text", TEXTS)
def test_the_faces_hide_the_same_spans(text):
    # What stays around the hidden value is the same everywhere: one pattern.
    hidden = hide_secret_params(text, lambda _value: "<hidden>")
    assert cli_text(text) == hidden.replace("<hidden>", "***")
    assert sandbox_log_line(text) == hidden.replace("<hidden>", "***")


def test_text_without_secrets_is_left_alone():
    text = "access_token_count=3 and secretary=Ann"
    assert hide_secret_params(text) == text
    assert cli_text(text) == text
