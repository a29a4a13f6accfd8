"""Whatever name a reply carries, the file saved from it stays plain and visible."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from wechat_material._files import NAME_MAX_BYTES, attachment_filename, safe_filename

# Text biased towards what makes a name dangerous: separators, dots, controls,
# bidi overrides, line separators, wide characters and long runs.
TRICKY = st.sampled_from(
    ["/", "\\", ".", "..", " ", "\x00", "\n", "\r", "\u202e", "\u200f", "\u2028", "\u2029", "猫"]
)
NAMES = st.lists(TRICKY | st.text(min_size=1, max_size=4), max_size=40).map("".join) | st.text(
    max_size=400
)


def is_safe(name: str) -> bool:
    return (
        "/" not in name
        and "\\" not in name
        and not any(unicodedata.category(ch)[0] == "C" for ch in name)
        and "\u2028" not in name
        and "\u2029" not in name
        and not name.startswith(".")
        and name == name.strip()
        and name not in ("", ".", "..")
        and len(name.encode("utf-8")) <= NAME_MAX_BYTES
    )


@given(NAMES)
@example("../../.bashrc")
@example("a\u202egpj.exe")
@example("." * 300)
@example("猫" * 100 + ".jpeg")
def test_a_safe_name_is_plain_visible_and_short_or_none(name: str) -> None:
    safe = safe_filename(name)
    assert safe is None or is_safe(safe), repr(safe)


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_a_plain_short_name_is_kept_as_it_is(name: str) -> None:
    if is_safe(name):
        assert safe_filename(name) == name


@given(stem=st.text(min_size=1, max_size=300), ext=st.sampled_from(["jpg", "mp3", "mp4", "amr"]))
def test_a_long_name_keeps_its_extension(stem: str, ext: str) -> None:
    safe = safe_filename(f"{stem}.{ext}")
    if safe is not None and len(f"{stem}.{ext}".encode()) > NAME_MAX_BYTES:
        assert safe.endswith(f".{ext}") or "." not in safe


@given(NAMES, st.sampled_from(['filename="{}"', "filename*=UTF-8''{}", "filename={}"]))
def test_an_attachment_header_gives_a_safe_name_or_none(name: str, form: str) -> None:
    header = "attachment; " + form.format(name)
    safe = attachment_filename(header)
    assert safe is None or is_safe(safe), repr(safe)
