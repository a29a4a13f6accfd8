"""What the server says never drives the terminal; ids stay whole in tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from wechat_material import WeChatClient
from wechat_material.cli.errors import Failure
from wechat_material.cli.output import Output, printable
from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

from .conftest import MEDIA, Run, run_json

# Clear the screen, retitle the window, a C1 control (CSI), and a right-to-left override.
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202eevil"
ESC, BEL, CSI, RLO = "\x1b", "\x07", "\x9b", "\u202e"


@pytest.fixture
def client(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[WeChatClient]:
    """A client that can store hostile titles.

    The SDK and the sandbox refuse control characters in articles, but an
    account can hold them all the same (written in WeChat's own editor, or
    before the rule): the article checks are lifted so that the tests can
    seed them and see how wxm shows what the server returns.
    """
    for module in ("wechat_material._calls", "wechat_material.sandbox.state.articles"):
        monkeypatch.setattr(f"{module}.articles_problem", lambda *a, **k: None)
    with WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url) as sdk:
        yield sdk


def _article(client: WeChatClient, title: str) -> dict[str, Any]:
    thumb = client.material.add_material("thumb", MEDIA / "thumb.jpg").media_id
    return {"title": title, "thumb_media_id": thumb, "content": "<p>hi</p>"}


def _assert_inert(text: str) -> None:
    for control in (ESC, BEL, CSI, RLO):
        assert control not in text


def test_printable_escapes_controls_and_keeps_ordinary_text() -> None:
    assert printable("héllo 世界 👩‍💻") == "héllo 世界 👩‍💻"  # the joiner in the emoji stays
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("x\u202ey") == "x\\u202ey"
    assert printable("one\ntwo\tthree") == "one\\ntwo\\tthree"
    assert printable("one\ntwo\tthree", multiline=True) == "one\ntwo\tthree"


def test_ls_shows_an_item_named_with_escapes_without_them(
    on_sandbox: Run, client: WeChatClient
) -> None:
    client.material.add_news([_article(client, HOSTILE)])

    result = on_sandbox("ls", "--type", "news")

    assert result.exit_code == 0, result.output
    _assert_inert(result.output)
    assert "\\x1b" in result.stdout  # shown as an escape, not hidden


def test_json_keeps_the_exact_text(on_sandbox: Run, client: WeChatClient) -> None:
    client.material.add_news([_article(client, HOSTILE)])

    data = run_json(on_sandbox("ls", "--type", "news", "--json"))

    assert data["items"][0]["titles"] == [HOSTILE]


def test_news_and_draft_titles_are_shown_inert(on_sandbox: Run, client: WeChatClient) -> None:
    news_id = client.material.add_news([_article(client, f"news {HOSTILE}")]).media_id
    draft_id = client.draft.add([_article(client, f"draft {HOSTILE}")])

    for args in (("news", "get", news_id), ("draft", "get", draft_id), ("draft", "ls")):
        result = on_sandbox(*args)
        assert result.exit_code == 0, result.output
        _assert_inert(result.output)
        assert "owned" in result.stdout


def test_messages_and_errors_are_shown_inert(capsys: pytest.CaptureFixture[str]) -> None:
    # Every message and error line goes through the same place, whatever the command.
    out = Output()
    out.failure(Failure(1, f"WeChat said {HOSTILE}", hint=f"and {HOSTILE}"))
    out.warn(HOSTILE)
    out.note(HOSTILE)

    err = capsys.readouterr().err
    _assert_inert(err)
    assert err.count("owned") == 4


def test_upload_shows_names_inert(on_sandbox: Run, tmp_path: Any) -> None:
    hostile = tmp_path / f"{HOSTILE}.png"
    hostile.write_bytes((MEDIA / "image.png").read_bytes())

    result = on_sandbox("upload", str(hostile))

    assert result.exit_code == 0, result.output
    _assert_inert(result.output)


def test_media_ids_stay_whole_on_a_narrow_terminal(
    on_sandbox: Run, client: WeChatClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.material.add_material("image", MEDIA / "image.png", "a-rather-long-name-" * 4 + ".png")
    media_id = json.loads(on_sandbox("ls", "--json").stdout)["items"][0]["media_id"]
    monkeypatch.setenv("COLUMNS", "60")

    result = on_sandbox("ls")

    assert result.exit_code == 0, result.output
    assert any(media_id in line for line in result.stdout.splitlines()), result.stdout
