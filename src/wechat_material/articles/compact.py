"""Compact inline styles: the same look in fewer characters.

WeChat counts every character of an article's HTML against its limit of
20,000, and inline styles are most of them. After the theme is inlined,
:func:`compact_html` rewrites every ``style`` attribute without changing
what a reader sees:

- the shortest equal value (``#fff``, ``0`` for ``0px``, ``.5em``,
  ``margin:0 0 1em``, ``font-weight:700``, ``font-size:75%`` for ``.75em``),
  no spaces after ``:``, ``;`` or ``,``, no trailing ``;``;
- a declaration that a later one overrides is dropped, and a side of
  ``margin``/``padding`` written after the shorthand is folded into it;
- a declaration equal to what WeChat's own article stylesheet applies anyway
  (:data:`WECHAT_RULES`) is dropped;
- an inherited property (``color``, ``font-family``, …) equal to what the
  element inherits from its parent is dropped, unless the browser's own
  stylesheet sets that property on the element (``a``, ``code``, ``th``, …);
- a ``<span>`` left without attributes is unwrapped, and the line breaks
  between block elements, which show nothing, go;
- a ``<span>`` that only sets a colour or a font family is written as
  ``<font color="…" face="…">``, HTML's own attributes for the two, in fewer
  characters (WeChat keeps ``<font>``; its dark mode recolours it as it does
  styles);
- a ``<thead>``, ``<tbody>`` or ``<colgroup>`` without attributes is left out
  (the HTML parser puts the rows in a ``<tbody>`` and the columns in a
  ``<colgroup>`` of its own; no group is styled, so the table draws the same,
  unless the table's ``rules`` attribute draws lines between groups), and so is
  a ``<col>`` with nothing but its ``span``;
- ``text-align:left`` on a table cell is dropped where the cell gets ``left``
  anyway: a table inherits the alignment around it (or, in quirks mode,
  starts over at ``start``, which is ``left`` in left-to-right text).
- ``&nbsp;`` in text is written as the character it stands for, U+00A0: an
  HTML parser reads both as the same character, and the character counts one
  against WeChat's limit instead of six (a code block's indentation is all
  no-break spaces).

Classes and ids are removed too: WeChat drops them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape as html_unescape

# Rules of WeChat's article stylesheet (the ``.rich_media_content`` rules of
# its article page) that an inline declaration need not repeat; see
# docs/publishing.en.md for the sources. (tag, property, value); "*" is every element.
WECHAT_RULES: tuple[tuple[str, str, str], ...] = (
    ("*", "max-width", "100%"),
    ("*", "box-sizing", "border-box"),
    ("*", "word-wrap", "break-word"),
    ("*", "overflow-wrap", "break-word"),
    ("img", "height", "auto"),
    ("p", "clear", "both"),
    ("p", "min-height", "1em"),
)
WECHAT_CSS = (
    ".rich_media_content *{max-width:100%!important;box-sizing:border-box!important;"
    "word-wrap:break-word!important}"
    ".rich_media_content p{clear:both;min-height:1em}"
    ".rich_media_content img{height:auto!important}"
)
"""The same rules as CSS, for a preview that looks as WeChat shows the article."""

INHERITED = frozenset(
    {
        "color",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "line-height",
        "text-align",
        "white-space",
        "word-break",
        "direction",
        # The rest of what the font shorthand sets: followed so that it is known when
        # none of them was set around an element (see _font_shorthand).
        "font-variant",
        "font-stretch",
        "font-kerning",
        "font-size-adjust",
        "font-feature-settings",
        "font-variation-settings",
        "font-optical-sizing",
        "font-language-override",
        "font-variant-caps",
        "font-variant-ligatures",
        "font-variant-numeric",
        "font-variant-east-asian",
        "font-variant-alternates",
        "font-variant-position",
    }
)
# Inherited properties the browser's own stylesheet sets on an element: declared there,
# they are never redundant.
_FONT = frozenset({"font-family", "font-size", "font-style", "font-weight", "line-height"})
UA_SETS: dict[str, frozenset[str]] = {
    "a": frozenset({"color"}),
    **{f"h{n}": frozenset({"font-size", "font-weight"}) for n in range(1, 7)},
    "th": frozenset({"font-weight", "text-align"}),
    "b": frozenset({"font-weight"}),
    "strong": frozenset({"font-weight"}),
    **{tag: frozenset({"font-style"}) for tag in ("em", "i", "cite", "var", "dfn", "address")},
    **{tag: frozenset({"font-family"}) for tag in ("code", "kbd", "samp", "tt")},
    "pre": frozenset({"font-family", "white-space"}),
    **{tag: frozenset({"font-size"}) for tag in ("sup", "sub", "small", "big")},
    "p": frozenset({"white-space"}),  # older WeChat pages: pre-wrap
    "table": _FONT | {"color", "white-space", "text-align"},
    "caption": frozenset({"text-align"}),
    "center": frozenset({"text-align"}),
    "mark": frozenset({"color"}),
    "font": frozenset({"color", "font-family", "font-size"}),
    **{
        tag: _FONT | {"color", "text-align", "white-space"}
        for tag in ("input", "button", "select", "textarea", "option")
    },
}
# The fixed values the browser's stylesheet gives (the HTML standard's rendering
# section): declared again, they change nothing.
UA_VALUES: dict[tuple[str, str], str] = {
    ("th", "font-weight"): "700",
    **{(f"h{n}", "font-weight"): "700" for n in range(1, 7)},
    **{(tag, "font-style"): "italic" for tag in ("em", "i", "cite", "var", "dfn", "address")},
}
_BORDERS = frozenset({"border", "border-top", "border-right", "border-bottom", "border-left"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
# Left out when they carry no attribute: a span says nothing then, and the parser makes
# the <tbody> of the rows and the <colgroup> of the columns itself (a table whose groups
# have no style draws the same, unless its rules="groups" draws lines between them).
_UNWRAPPED = frozenset({"span", "thead", "tbody", "colgroup"})
_GROUPS = frozenset({"thead", "tbody", "colgroup"})
_BOXES = ("margin", "padding")
_SIDES = ("top", "right", "bottom", "left")
# Shorthands and the longhands they reset: a longhand before its shorthand is dead.
_RESETS: dict[str, tuple[str, ...]] = {
    **{box: tuple(f"{box}-{side}" for side in _SIDES) for box in _BOXES},
    "border": (
        *(f"border-{side}{part}" for side in _SIDES for part in ("", "-width", "-style", "-color")),
        "border-width",
        "border-style",
        "border-color",
    ),
    **{
        f"border-{side}": tuple(f"border-{side}-{part}" for part in ("width", "style", "color"))
        for side in _SIDES
    },
    "background": (
        "background-color",
        "background-image",
        "background-repeat",
        "background-position",
        "background-size",
        "background-attachment",
        "background-origin",
        "background-clip",
    ),
}
_LENGTH_UNITS = "px|em|rem|%|pt|pc|ex|ch|vw|vh|vmin|vmax|cm|mm|in|q"
_NUMBER = re.compile(rf"(?<![\w#.-])(-?)(\d*\.?\d+)({_LENGTH_UNITS})?(?![\w.%(-])", re.I)
_HEX = re.compile(r"#([0-9a-fA-F]{6})\b")
_WEIGHTS = {"bold": "700", "normal": "400"}
_TAG = re.compile(
    r"""<(?P<close>/?)(?P<name>[A-Za-z][^\s/>]*)(?P<attrs>(?:\s+[^\s=/>"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*/?>"""
)
_TOKEN = re.compile(r"(?P<comment><!--.*?-->)|" + _TAG.pattern, re.S)
_ATTR = re.compile(r"""\s+([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _scan(text: str) -> Iterator[tuple[int, str, bool]]:
    """Each character of CSS text, and whether it stands outside quotes and parentheses."""
    depth, quote = 0, ""
    for index, char in enumerate(text):
        yield index, char, not quote and depth == 0 and char not in "\"'("
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)


def split_declarations(style: str) -> Iterator[tuple[str, str]]:
    """(property, value) pairs of a style attribute; ``;`` inside quotes or () does not split."""
    start = 0
    for index, char, outside in _scan(style + ";"):
        if char == ";" and outside:
            prop, colon, value = style[start:index].partition(":")
            if colon and prop.strip() and value.strip():
                yield prop.strip().lower(), value.strip()
            start = index + 1


def _outside_functions(value: str) -> Iterator[tuple[str, bool]]:
    """Pieces of ``value``, each marked True when outside quotes and parentheses."""
    piece, outside = "", True
    for _, char, now in _scan(value):
        if now != outside and piece:
            yield piece, outside
            piece = ""
        outside = now
        piece += char
    if piece:
        yield piece, outside


def _short_number(match: re.Match[str]) -> str:
    sign, digits, unit = match.group(1), match.group(2), (match.group(3) or "").lower()
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    digits = digits.lstrip("0")
    if digits in {"", "."}:
        return "0"  # a zero length needs no unit, and no sign
    return f"{sign}{digits}{unit}"


def _short_hex(match: re.Match[str]) -> str:
    digits = match.group(1).lower()
    if digits[0::2] == digits[1::2]:
        return "#" + digits[0::2]
    return "#" + digits


def _short_font_size(value: str) -> str:
    """``.75em`` as ``75%`` where that is shorter: for font-size both are of the parent's size."""
    match = re.fullmatch(r"(\d*\.?\d+)em", value)
    if match is None:
        return value
    percent = format(Decimal(match.group(1)).scaleb(2).normalize(), "f")
    return f"{percent}%" if len(percent) + 1 < len(value) else value


def short_value(prop: str, value: str) -> str:
    """The shortest spelling of ``value`` for ``prop`` that means the same."""
    pieces = []
    for piece, outside in _outside_functions(value):
        if outside:
            piece = re.sub(r"\s+", " ", piece)
            piece = re.sub(r"\s*,\s*", ",", piece)
            piece = _NUMBER.sub(_short_number, piece)
            piece = _HEX.sub(_short_hex, piece)
        pieces.append(piece)
    value = "".join(pieces).strip()
    if prop == "font-weight":
        value = _WEIGHTS.get(value.lower(), value)
    if prop in _BOXES:
        value = " ".join(_short_box(value.split()))
    if prop == "font-size":
        value = _short_font_size(value)
    return value


def _short_box(sides: list[str]) -> list[str]:
    if len(sides) == 4 and sides[3] == sides[1]:
        sides = sides[:3]
    if len(sides) == 3 and sides[2] == sides[0]:
        sides = sides[:2]
    if len(sides) == 2 and sides[1] == sides[0]:
        sides = sides[:1]
    return sides


def _four_sides(value: str) -> list[str] | None:
    sides = value.split()
    if not 1 <= len(sides) <= 4 or any("(" in side or "!" in side for side in sides):
        return None
    top = sides[0]
    right = sides[1] if len(sides) > 1 else top
    bottom = sides[2] if len(sides) > 2 else top
    left = sides[3] if len(sides) > 3 else right
    return [top, right, bottom, left]


def compact_declarations(style: str) -> dict[str, str]:
    """The declarations of ``style`` that take effect, with their shortest values, in order."""
    result: dict[str, str] = {}
    for prop, raw in split_declarations(style):
        value = short_value(prop, raw)
        box, _, side = prop.partition("-")
        if box in _BOXES and side in _SIDES and box in result:
            sides = _four_sides(result[box])
            if sides is not None and "!" not in value:
                sides[_SIDES.index(side)] = value
                result[box] = " ".join(_short_box(sides))
                continue
        if "!important" in result.get(prop, "") and "!important" not in value:
            continue  # an important declaration beats a later ordinary one
        for dead in _RESETS.get(prop, ()):
            result.pop(dead, None)
        result.pop(prop, None)  # the later declaration wins; it takes the later place
        result[prop] = value
    return result


def wechat_applies(tag: str, prop: str, value: str) -> bool:
    """Whether WeChat's article stylesheet already gives ``tag`` this ``prop: value``."""
    return any(
        rule_tag in {"*", tag} and rule_prop == prop and rule_value == value
        for rule_tag, rule_prop, rule_value in WECHAT_RULES
    )


_LEFT = frozenset({"left", "start"})


def _left_to_right(inherited: dict[str, str | None]) -> bool:
    """Whether the text runs left to right: nothing said otherwise (the page's default)."""
    return inherited.get("direction", "ltr") == "ltr"


def _inheritable(prop: str, value: str) -> bool:
    """Whether a child that inherits ``value`` computes the same value (absolute values)."""
    if prop in {"font-size", "line-height"}:
        return re.fullmatch(r"\d*\.?\d+(px)?", value) is not None and (
            prop == "line-height" or value.endswith("px")
        )
    if prop == "font-weight":
        return value not in {"bolder", "lighter"}
    return "(" not in value or prop == "color"


# What the font shorthand can say, in its order; it resets the rest of the font's
# properties (_FONT_RESET) to their initial values.
_FONT_SAYS = ("font-style", "font-variant", "font-weight", "font-stretch")
_FONT_RESET = frozenset(prop for prop in INHERITED if prop.startswith("font-")) - {
    "font-family",
    "font-size",
    *_FONT_SAYS,
}
_CSS_WIDE = frozenset({"inherit", "initial", "unset", "revert", "revert-layer"})


def _font_shorthand(
    kept: list[tuple[str, str]],
    declarations: dict[str, str],
    parent: dict[str, str | None],
    ua: frozenset[str],
) -> list[tuple[str, str]]:
    """``kept`` with its font size and family (and line height…) as one ``font``, if shorter.

    ``font:90%/1.75 Menlo,monospace`` sets the style, weight, variant and stretch
    to normal and the line height to normal, and resets every other font property:
    it is used only where each of those is said in the shorthand or would be its
    initial value anyway (nothing around the element set it). The line height is
    written in it, as declared or as inherited (a number or an absolute length).
    """
    values = dict(kept)
    if "font-size" not in values or "font-family" not in values:
        return kept
    if any(prop in declarations or prop in ua or prop in parent for prop in _FONT_RESET):
        return kept
    said: dict[str, str] = {}
    for prop in (*_FONT_SAYS, "line-height"):
        value = declarations.get(prop)
        if value is None and prop in ua:
            return kept  # the browser's stylesheet sets it: its value is not known here
        if value is None and prop in parent:
            value = parent[prop]
            if value is None:
                return kept
        if value is None and prop == "line-height":
            return kept  # the page's line height is not known
        if value is not None:
            said[prop] = value
    stated = (*said.values(), values["font-size"], values["font-family"])
    if any("!" in value or value.lower() in _CSS_WIDE for value in stated):
        return kept
    if not re.fullmatch(r"normal|bold|\d+", said.get("font-weight", "normal")):
        return kept  # bolder, lighter: not in the shorthand's words
    if said.get("font-stretch", "normal") != "normal":
        return kept  # only keywords of it may stand in the shorthand; not worth it
    if said.get("font-variant", "normal") not in {"normal", "small-caps"}:
        return kept
    words = [
        said[prop]
        for prop in ("font-style", "font-variant", "font-weight")
        if said.get(prop, "normal") not in {"normal", "400"}
    ]
    size = values["font-size"] + (f"/{said['line-height']}" if "line-height" in said else "")
    shorthand = " ".join([*words, size, values["font-family"]])
    covered = {"font-size", "font-family", "line-height", *_FONT_SAYS}
    replaced = [(prop, value) for prop, value in kept if prop in covered]
    if len(f"font:{shorthand}") >= len(";".join(f"{p}:{v}" for p, v in replaced)):
        return kept
    first = next(index for index, (prop, _) in enumerate(kept) if prop in covered)
    rest = [(prop, value) for prop, value in kept if prop not in covered]
    return [*rest[:first], ("font", shorthand), *rest[first:]]


NBSP = "\u00a0"
BLOCK_MARK = "data-wxm-block"
"""Marks an element to measure (:func:`compact_measured`); removed from the output."""


@dataclass
class _Open:
    tag: str
    inherited: dict[str, str | None] = field(default_factory=dict)
    unwrapped: bool = False
    groups_drawn: bool = False  # a <table rules="…">: its row and column groups stay
    mark: str | None = None
    begins: int = 0  # where the element starts in the output
    end: str | None = None  # its end tag, when it is written as another element


def _well_nested(html: str) -> bool:
    stack: list[str] = []
    for match in _TAG.finditer(_COMMENT.sub("", html)):
        closing, tag = match.group("close"), match.group("name").lower()
        if tag in VOID:
            continue
        if not closing:
            if not match.group(0).endswith("/>"):
                stack.append(tag)
        elif not stack or stack.pop() != tag:
            return False
    return not stack


def _attributes(text: str) -> list[tuple[str, str | None, str]]:
    """(name, value, the attribute as written) for each attribute of a tag."""
    found = []
    for match in _ATTR.finditer(text):
        value = match.group(2)
        if value is not None and value[:1] in {'"', "'"}:
            value = value[1:-1]
        found.append((match.group(1), value, " " + match.group(0).lstrip()))
    return found


# A <span> that only colours or sets a face: <font color="#666"> says it in fewer
# characters (HTML's presentational attributes; WeChat keeps <font>, as its editor does).
_FONT_ATTRIBUTES = {"color": "color", "font-family": "face"}
# The color attribute is read by HTML's legacy colour rules, not CSS's: rgb(), hsl(),
# transparent… mean something else there. Hex colours mean the same in both.
_LEGACY_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _as_font(style: str) -> str | None:
    """``<font …>`` for a span of ``style``, when that says the same in fewer characters."""
    declarations = dict(split_declarations(style))
    if not declarations or not set(declarations) <= set(_FONT_ATTRIBUTES):
        return None
    if any("!" in value or "\\" in value for value in declarations.values()):
        return None
    if "color" in declarations and not _LEGACY_COLOUR.fullmatch(declarations["color"]):
        return None
    attributes = "".join(
        f" {_FONT_ATTRIBUTES[prop]}={_quoted(value)}" for prop, value in declarations.items()
    )
    font = f"<font{attributes}>"
    return (
        font
        if len(font) + len("</font>") < len(f"<span{_style_attribute(style)}></span>")
        else None
    )


def _quoted(value: str) -> str:
    return '"' + value.replace("&", "&amp;").replace('"', "&quot;") + '"'


def _style_attribute(style: str) -> str:
    return f" style={_quoted(style)}"


class _Compactor:
    def __init__(self, *, inherit: bool) -> None:
        self.inherit = inherit
        self.stack: list[_Open] = []
        self.svg_depth = 0  # inside an <svg>: its elements are not styled boxes
        self.pre_depth = 0
        self.length = 0  # of the output so far
        self.sizes: dict[str, int] = {}

    def inherited(self) -> dict[str, str | None]:
        return self.stack[-1].inherited if self.stack else {}

    def groups_drawn(self) -> bool:
        """Whether the innermost table draws lines between its groups."""
        table = next((opened for opened in reversed(self.stack) if opened.tag == "table"), None)
        return table is not None and table.groups_drawn

    def style(self, tag: str, style: str) -> tuple[str, dict[str, str | None]]:
        """The compacted style of a ``tag`` and what its children inherit."""
        parent = self.inherited()
        ua = UA_SETS.get(tag, frozenset())
        inherited = {prop: (None if prop in ua else value) for prop, value in parent.items()}
        inherited.update(dict.fromkeys(ua))
        if tag == "table" and _left_to_right(parent) and parent.get("text-align") in _LEFT:
            # Standards mode: the table inherits left. Quirks mode: it starts over at
            # start, which is left too in left-to-right text.
            inherited["text-align"] = "left"
        kept: list[tuple[str, str]] = []
        declarations = compact_declarations(style)
        inherits_colour = self.inherit and "color" not in ua
        colour = declarations.get("color", parent.get("color") if inherits_colour else None)
        for prop, value in declarations.items():
            if wechat_applies(tag, prop, value):
                continue
            if UA_VALUES.get((tag, prop)) == value:
                inherited[prop] = value
                continue
            if prop in _BORDERS and colour and "!" not in colour:
                # A border's colour is the element's own colour unless it says otherwise.
                value = re.sub(rf"\s+{re.escape(colour)}$", "", value)
            if prop in INHERITED:
                redundant = self.inherit and prop not in ua and parent.get(prop) == value
                inherited[prop] = value if _inheritable(prop, value) else None
                if redundant:
                    continue
            kept.append((prop, value))
        if self.inherit:
            kept = _font_shorthand(kept, declarations, parent, ua)
        return ";".join(f"{prop}:{value}" for prop, value in kept), inherited

    def start(self, match: re.Match[str]) -> str:
        name, tag = match.group("name"), match.group("name").lower()
        closed = match.group(0).endswith("/>")
        out = []
        style = None
        mark = None
        direction = None
        attributes = _attributes(match.group("attrs"))
        for attribute, value, written in attributes:
            lowered = attribute.lower()
            if lowered == "dir":
                direction = value or ""
            if lowered in {"class", "id"}:
                continue
            if lowered == BLOCK_MARK:
                mark = value
                continue
            if lowered == "style":
                style = html_unescape(value or "")
                continue
            out.append(written)  # as written: its quotes and escapes stay valid
        if self.svg_depth or tag == "svg":
            if style:
                declarations = compact_declarations(style)
                out.append(_style_attribute(";".join(f"{p}:{v}" for p, v in declarations.items())))
            if not closed:
                self.svg_depth += 1
            return f"<{name}{''.join(out)}{'/>' if closed else '>'}"
        compacted, inherited = self.style(tag, style or "")
        if direction is not None and "direction" not in compact_declarations(style or ""):
            inherited["direction"] = None  # dir="…": not followed here
        if tag == "col" and not compacted and {a.lower() for a, _, _ in attributes} <= {"span"}:
            return ""  # a column without a style draws nothing
        font = _as_font(compacted) if tag == "span" and not out and not closed else None
        if font is not None:
            self.stack.append(_Open(tag, inherited, mark=mark, begins=self.length, end="</font>"))
            return font
        if compacted:
            out.append(_style_attribute(compacted))
        if tag in VOID or closed:
            return f"<{name}{''.join(out)}>"
        if tag == "pre":
            self.pre_depth += 1
        unwrapped = tag in _UNWRAPPED and not out and not (tag in _GROUPS and self.groups_drawn())
        groups_drawn = tag == "table" and any(a.lower() == "rules" for a, _, _ in attributes)
        self.stack.append(_Open(tag, inherited, unwrapped, groups_drawn, mark, self.length))
        return "" if unwrapped else f"<{name}{''.join(out)}>"

    def end(self, match: re.Match[str]) -> str:
        tag = match.group("name").lower()
        if self.svg_depth:
            self.svg_depth -= 1
            return match.group(0)
        if tag in VOID:
            return match.group(0)
        if tag == "pre":
            self.pre_depth = max(self.pre_depth - 1, 0)
        opened = self.stack.pop() if self.stack else None
        out = match.group(0)
        if opened is not None:
            out = "" if opened.unwrapped else opened.end or out
        if opened is not None and opened.mark is not None:
            self.sizes[opened.mark] = self.length + len(out) - opened.begins
        return out

    def run(self, html: str) -> str:
        pieces = _Pieces(self)
        position = 0
        after_block = False  # the last tag was a block element's
        pending = ""  # blank text: dropped where a block starts or ends beside it
        for match in _TOKEN.finditer(html):
            text = html[position : match.start()]
            position = match.end()
            if text and self.pre_depth == 0 and not text.strip(" \t\r\n"):
                pending = text
            elif text:
                pieces.append(text.replace("&nbsp;", NBSP))
                after_block = False
            if match.group("comment") is not None:
                pieces.append(pending + match.group(0))
                pending, after_block = "", False
                continue
            is_block = match.group("name").lower() in BLOCKS and self.svg_depth == 0
            if pending and not (is_block or after_block):
                pieces.append(pending)
            pending = ""
            pieces.append(self.end(match) if match.group("close") else self.start(match))
            after_block = is_block
        pieces.append(pending + html[position:].replace("&nbsp;", NBSP))
        return "".join(pieces)


class _Pieces(list[str]):
    """The output, counting its length as it grows."""

    def __init__(self, owner: _Compactor) -> None:
        super().__init__()
        self.owner = owner

    def append(self, piece: str) -> None:
        self.owner.length += len(piece)
        super().append(piece)


def compact_html(html: str) -> str:
    """``html`` with every style attribute compacted (see the module's notes)."""
    return compact_measured(html)[0]


def compact_measured(html: str) -> tuple[str, dict[str, int]]:
    """:func:`compact_html`, and the size of each element marked with :data:`BLOCK_MARK`."""
    compactor = _Compactor(inherit=_well_nested(html))
    return compactor.run(html), compactor.sizes
