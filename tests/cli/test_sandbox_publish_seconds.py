"""``wxm sandbox serve --publish-seconds N`` sets how long a publication takes."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Run


@pytest.mark.parametrize(("args", "seconds"), [((), 3.0), (("--publish-seconds", "60"), 60.0)])
def test_serve_passes_the_publication_time_on(
    wxm: Run, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], seconds: float
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        "wechat_material.sandbox.server.serve", lambda *a, **kwargs: seen.update(kwargs)
    )

    assert wxm("sandbox", "serve", "--memory", *args).exit_code == 0
    assert seen["publish_seconds"] == seconds


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_bad_publication_time_is_a_usage_error(wxm: Run, value: str) -> None:
    result = wxm("sandbox", "serve", "--memory", "--publish-seconds", value)

    assert result.exit_code == 2
    assert "--publish-seconds" in result.stderr
