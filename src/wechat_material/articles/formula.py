"""Math (``$…$`` and ``$$…$$``) as SVG, drawn by ziamath in pure Python.

The SVG is plain paths (no ``<symbol>``/``<use>`` with ids, which WeChat
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


def compact_svg(svg: str) -> str:
    """ziamath's SVG in fewer characters, drawing the same shapes.

    The glyphs (and the bars drawn as rectangles) of one colour become one path in
    relative commands; coordinates are whole tenths of a pixel, the ``viewBox``
    scaled to match. An SVG with anything else in it is returned unchanged.
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
    paths = "".join(
        f'<path d="{writer.text()}" fill="{fill}"></path>' for (fill, _), writer in groups.items()
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" {size} viewBox="{box}">{paths}</svg>'


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
    try:
        svg = _svg(latex, inline=inline)
    except Exception as exc:  # ziamath raises many kinds on LaTeX it does not know
        warn.append(f"math {latex!r} could not be drawn ({type(exc).__name__}); shown as code")
        tag = "code" if inline else "pre"
        return f'<{tag} class="math-source">{escape(latex)}</{tag}>'
    if inline:
        return f'<span class="math-inline">{svg}</span>'
    return f'<section class="math-block">{svg}</section>'
