"""Math (``$…$`` and ``$$…$$``): as text where text says it, else SVG drawn by ziamath.

A formula of letters, digits, operators, Greek letters, common symbols and
simple super- and subscripts (``E = mc^2``, ``t_i``, ``P(H)``) is written as
text in a serif face: variables in italics (``<i>``), ``<sup>``/``<sub>`` for
the scripts, the symbols as their Unicode characters. It reads as the same formula in a tenth
of the characters of its drawing, and takes the size and colour of the text
around it. Anything else (fractions, sums, roots, accents, matrices…) is
drawn as SVG: plain paths (no ``<symbol>``/``<use>`` with ids, which WeChat
strips). A formula ziamath cannot draw is shown as code, with a warning.
"""

from __future__ import annotations

import re
from html import escape

import ziamath

INLINE_SIZE = 16.0
BLOCK_SIZE = 18.0


SCALE = 10  # path coordinates in tenths of a pixel: whole numbers, and as fine as before
_ARGUMENTS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "Z": 0}
_PATH_TOKEN = re.compile(r"[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)")
_SHAPE = re.compile(r"<(path|rect)\b([^<>]*?)\s*/?>(?:</\1>)?")
_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
_SVG_OPEN = re.compile(r"<svg\b[^<>]*>")


class _PathWriter:
    """Path data in relative commands and whole tenths of a pixel, as short as it goes."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.last = ""
        self.x = self.y = 0  # the current point
        self.start = (0, 0)  # where the current subpath began
        self.control: tuple[int, int] | None = None  # of the last quadratic curve

    def _numbers(self, values: list[int]) -> None:
        for value in values:
            text = str(value)
            if self.out and self.out[-1][-1:].isdigit() and not text.startswith("-"):
                self.out.append(" ")
            self.out.append(text)

    def command(self, letter: str, values: list[int]) -> None:
        self.control = None
        # A repeated command needs no letter, except after a move (it would mean a line).
        if letter != self.last or letter == "m":
            self.out.append(letter)
        self.last = letter
        self._numbers(values)

    def move(self, x: int, y: int) -> None:
        self.command("m", [x - self.x, y - self.y])
        self.x, self.y = x, y
        self.start = (x, y)

    def line(self, x: int, y: int, closing_next: bool) -> None:
        dx, dy = x - self.x, y - self.y
        if (dx, dy) == (0, 0) or (closing_next and (x, y) == self.start):
            pass  # nothing drawn, or the close draws it
        elif dy == 0:
            self.command("h", [dx])
        elif dx == 0:
            self.command("v", [dy])
        else:
            self.command("l", [dx, dy])
        self.x, self.y = x, y

    def curve(self, letter: str, points: list[int]) -> None:
        control = (points[0], points[1]) if letter == "Q" else None
        reflected = self.control or (self.x, self.y)
        if control is not None and control == (
            2 * self.x - reflected[0],
            2 * self.y - reflected[1],
        ):
            # The control point is the mirror of the previous one: a smooth curve says it.
            letter, points = "T", points[2:]
        relative = [value - (self.x if i % 2 == 0 else self.y) for i, value in enumerate(points)]
        self.command(letter.lower(), relative)
        self.x, self.y = points[-2], points[-1]
        self.control = control

    def close(self) -> None:
        self.command("z", [])
        self.x, self.y = self.start

    def text(self) -> str:
        return "".join(self.out)


def _tenths(value: str) -> int:
    return round(float(value) * SCALE)


def _commands(data: str) -> list[tuple[str, list[int]]] | None:
    """Absolute commands of path data, in tenths; None for what this does not handle."""
    commands: list[tuple[str, list[int]]] = []
    letter = ""
    numbers: list[int] = []

    def flush() -> bool:
        count = _ARGUMENTS[letter]
        if count == 0:
            commands.append((letter, []))
            return not numbers
        if not numbers or len(numbers) % count:
            return False
        commands.extend((letter, numbers[i : i + count]) for i in range(0, len(numbers), count))
        return True

    for token in _PATH_TOKEN.findall(data):
        if token.isalpha():
            if token not in _ARGUMENTS:
                return None  # relative commands, arcs: not written by ziamath
            if letter and not flush():
                return None
            letter, numbers = token, []
        elif not letter:
            return None
        else:
            numbers.append(_tenths(token))
    if letter and not flush():
        return None
    return commands


def _write(writer: _PathWriter, commands: list[tuple[str, list[int]]]) -> None:
    for index, (letter, values) in enumerate(commands):
        following = commands[index + 1][0] if index + 1 < len(commands) else "M"
        if letter == "M":
            writer.move(values[0], values[1])
        elif letter == "L":
            writer.line(values[0], values[1], closing_next=following == "Z")
        elif letter == "H":
            writer.line(values[0], writer.y, closing_next=following == "Z")
        elif letter == "V":
            writer.line(writer.x, values[0], closing_next=following == "Z")
        elif letter == "Z":
            writer.close()
        else:
            writer.curve(letter, values)


def _rect_commands(attributes: dict[str, str]) -> list[tuple[str, list[int]]]:
    x, y = _tenths(attributes.get("x", "0")), _tenths(attributes.get("y", "0"))
    width, height = _tenths(attributes["width"]), _tenths(attributes["height"])
    return [("M", [x, y]), ("H", [x + width]), ("V", [y + height]), ("H", [x]), ("Z", [])]


def _fill(colour: str) -> str:
    return f' fill="{colour}"'


def compact_svg(svg: str) -> str:
    """ziamath's SVG in fewer characters, drawing the same shapes.

    The glyphs (and the bars drawn as rectangles) of one colour become one path in
    relative commands; coordinates are whole tenths of a pixel, the ``viewBox``
    scaled to match. The result is for HTML: it has no ``xmlns`` (the HTML parser
    knows ``<svg>``), and a fill shared by every path is said once, on the ``<svg>``.
    An SVG with anything else in it is returned unchanged.
    """
    opening = _SVG_OPEN.match(svg)
    if opening is None or not svg.endswith("</svg>"):
        return svg
    inner = svg[opening.end() : -len("</svg>")]
    if _SHAPE.sub("", inner).strip():
        return svg
    groups: dict[tuple[str, bool], _PathWriter] = {}  # (fill, glyph or bar): one path each
    for shape in _SHAPE.finditer(inner):
        attributes = dict(_ATTRIBUTE.findall(shape.group(2)))
        fill = attributes.pop("fill", "black")
        try:
            if shape.group(1) == "rect":
                commands = _rect_commands(attributes)
                keys = {"x", "y", "width", "height"}
            else:
                commands = _commands(attributes.get("d", "")) or []
                keys = {"d"}
        except (KeyError, ValueError):
            return svg
        if not commands or set(attributes) - keys:
            return svg
        # Bars and glyphs stay apart: where they overlap, opposite windings would cut holes.
        _write(groups.setdefault((fill, shape.group(1) == "rect"), _PathWriter()), commands)
    root = dict(_ATTRIBUTE.findall(opening.group(0)))
    try:
        box = " ".join(str(_tenths(value)) for value in root["viewBox"].split())
        size = f'width="{root["width"]}" height="{root["height"]}"'
    except (KeyError, ValueError):
        return svg
    fills = {fill for fill, _ in groups}
    # One colour (as ziamath draws): said once, on the <svg>, and the paths inherit it.
    shared = _fill(fills.pop()) if len(fills) == 1 else ""
    paths = "".join(
        f'<path d="{writer.text()}"{"" if shared else _fill(fill)}></path>'
        for (fill, _), writer in groups.items()
    )
    # No xmlns: inside HTML the parser puts <svg> and what it holds in the SVG namespace.
    return f'<svg{shared} {size} viewBox="{box}">{paths}</svg>'


NBSP = "\u00a0"
# Lowercase Greek letters are variables (italic); capitals are upright, as TeX sets them.
_GREEK_NAMES = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
    "sigma tau upsilon phi chi psi omega varepsilon vartheta varphi varpi varrho"
)
_LOWER_GREEK = dict(zip(_GREEK_NAMES.split(" "), "αβγδϵζηθικλμνξπρστυϕχψωεϑφϖϱ", strict=True))
_UPPER_GREEK = {
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
# Relations and binary operators are set with a space either side, as TeX does.
_RELATIONS = {
    "=": "=", "<": "<", ">": ">", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "neq": "≠", "approx": "≈", "equiv": "≡", "sim": "∼", "to": "→", "rightarrow": "→",
    "mid": "|", "in": "∈", "propto": "∝",
}  # fmt: skip
_BINARY = {"+": "+", "-": "−", "pm": "±", "mp": "∓", "times": "×", "cdot": "·", "div": "÷"}
_ORDINARY = {"infty": "∞", "partial": "∂", "nabla": "∇", "ldots": "…", "cdots": "⋯", "%": "%"}
_SPACES = {",": "\u2009", ":": "\u2005", ";": "\u2004", " ": NBSP, "quad": "\u2003"}
_PUNCTUATION = {char: char for char in "()[],./|!"} | {"'": "′"}
_ONE_VARIABLE = re.compile(r"<i>([^<]*)</i>")
_LATEX_TOKEN = re.compile(r"\\([A-Za-z]+|[,:; %])|(\d+(?:\.\d+)?)|(\s+)|(.)")


class _NotText(Exception):
    """The formula needs drawing."""


class _TextWriter:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def atoms(self, *, script: bool) -> list[tuple[str, str]]:
        """(kind, HTML) pieces up to the end or the closing brace; kind: i, op, text."""
        out: list[tuple[str, str]] = []
        while self.at < len(self.tokens):
            kind, value = self.tokens[self.at]
            self.at += 1
            if kind == "}":
                if not script:
                    raise _NotText
                return out
            if kind in {"^", "_"}:
                tag = "sup" if kind == "^" else "sub"
                if script or not out or out[-1][0] in {"sup", "sub"}:
                    # Scripts of scripts, of nothing, or both on one base (TeX stacks
                    # them, text cannot): drawn.
                    raise _NotText
                out.append((tag, f"<{tag}>{self.script()}</{tag}>"))
            elif kind == "{":
                raise _NotText
            else:
                out.append((kind, value))
        if script:
            raise _NotText
        return out

    def script(self) -> str:
        if self.at >= len(self.tokens):
            raise _NotText
        kind, value = self.tokens[self.at]
        self.at += 1
        if kind == "{":
            return _html(self.atoms(script=True))
        if kind == "i":
            return _html([(kind, value)])
        if kind == "text":  # x^10 is x to the 1, then 0
            if len(value) > 1:
                self.tokens.insert(self.at, ("text", value[1:]))
            return escape(value[:1], quote=False)
        raise _NotText


def _html(atoms: list[tuple[str, str]]) -> str:
    out: list[str] = []
    italic = ""
    for index, (kind, value) in enumerate(atoms):
        if kind == "i":
            italic += escape(value, quote=False)
            continue
        if italic:
            out.append(f"<i>{italic}</i>")
            italic = ""
        if kind in {"rel", "bin"}:
            unary = kind == "bin" and (
                index == 0 or atoms[index - 1][0] in {"rel", "bin"} or atoms[index - 1][1] in "(["
            )
            symbol = escape(value, quote=False)
            out.append(symbol if unary else f"{NBSP}{symbol}{NBSP}")
        else:
            out.append(value if kind in {"sup", "sub"} else escape(value, quote=False))
    if italic:
        out.append(f"<i>{italic}</i>")
    return "".join(out)


def _text_tokens(latex: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for match in _LATEX_TOKEN.finditer(latex):
        command, number, blank, char = match.groups()
        if blank:
            continue  # TeX ignores spaces in math
        if number:
            tokens.append(("text", number))
        elif command is not None:
            if command in _LOWER_GREEK:
                tokens.append(("i", _LOWER_GREEK[command]))
            elif command in _UPPER_GREEK:
                tokens.append(("text", _UPPER_GREEK[command]))
            elif command in _RELATIONS:
                tokens.append(("rel", _RELATIONS[command]))
            elif command in _BINARY:
                tokens.append(("bin", _BINARY[command]))
            elif command in _ORDINARY:
                tokens.append(("text", _ORDINARY[command]))
            elif command in _SPACES:
                tokens.append(("space", _SPACES[command]))
            else:
                raise _NotText
        elif char.isascii() and char.isalpha():
            tokens.append(("i", char))
        elif char in _RELATIONS:
            tokens.append(("rel", _RELATIONS[char]))
        elif char in _BINARY:
            tokens.append(("bin", _BINARY[char]))
        elif char in _PUNCTUATION:
            tokens.append(("text", _PUNCTUATION[char]))
        elif char in "^_{}":
            tokens.append((char, char))
        else:
            raise _NotText
    return tokens


def as_text(latex: str) -> str | None:
    """The formula as HTML text (see the module's notes), or None when it needs drawing."""
    try:
        tokens = _text_tokens(latex)
        if not tokens:
            return None
        return _html(_TextWriter(tokens).atoms(script=False))
    except _NotText:
        return None


def _svg(latex: str, *, inline: bool) -> str:
    # svg2=False writes every glyph as a path instead of <symbol>/<use> pairs.
    ziamath.config.svg2 = False
    # Tenths of a pixel are finer than a phone shows, and keep the paths short:
    # WeChat counts every character of the HTML against its limit.
    ziamath.config.precision = 1
    size = INLINE_SIZE if inline else BLOCK_SIZE
    return compact_svg(str(ziamath.Latex(latex, size=size, inline=inline).svg()))


def formula(latex: str, *, inline: bool, warn: list[str]) -> str:
    """HTML for one formula; on failure its source as code and a warning in ``warn``."""
    latex = latex.strip()
    text = as_text(latex)
    if text is not None:
        # In a serif face, as math is set; the size and colour of the text around it.
        if inline:
            single = _ONE_VARIABLE.fullmatch(text)
            if single is not None:
                # $c$: the <i> takes the face itself, without a <span> around it.
                return f'<i class="math-text">{single.group(1)}</i>'
            return f'<span class="math-text">{text}</span>'
        return f'<section class="math-block math-text">{text}</section>'
    try:
        svg = _svg(latex, inline=inline)
    except Exception as exc:  # ziamath raises many kinds on LaTeX it does not know
        warn.append(f"math {latex!r} could not be drawn ({type(exc).__name__}); shown as code")
        tag = "code" if inline else "pre"
        return f'<{tag} class="math-source">{escape(latex)}</{tag}>'
    if inline:
        return f'<span class="math-inline">{svg}</span>'
    return f'<section class="math-block">{svg}</section>'
