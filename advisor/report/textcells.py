"""Terminal cells: how wide a string is drawn, and cutting it at a cell, for the text
report's layout (advisor/report/textlayout.py).

A wide East Asian character takes two cells, a combining mark or a control character
none; a ZERO WIDTH JOINER glues the next character on (emoji sequences) and VS16 widens
the emoji before it, as terminals and rich count them. Widths come from `wcwidth`, loaded
only when a string is not ASCII; a string of characters that are one cell wide everywhere
is measured by its length.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_wcwidth: Any = None


def _wc() -> Any:
    """wcwidth, imported on the first string that is not ASCII (most reports never are);
    without it (an environment set up before it was a dependency), the Unicode database's
    East Asian width and combining classes, which agree on all but emoji sequences."""
    global _wcwidth
    if _wcwidth is None:
        try:
            import wcwidth
        except ImportError:
            wcwidth = _UnicodeData()
        _wcwidth = wcwidth
    return _wcwidth


class _UnicodeData:
    """wcwidth's two functions from `unicodedata`: wide and fullwidth characters take two
    cells; marks, format characters and controls none."""

    @staticmethod
    def wcwidth(char: str) -> int:
        import unicodedata

        if unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
            return 0
        return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1

    @classmethod
    def wcswidth(cls, text: str) -> int:
        return sum(cls.wcwidth(c) for c in text)


@lru_cache(maxsize=4096)
def _char_cells(char: str) -> int:
    """Cells of one character: 0 for control characters and combining marks, 2 for wide
    and fullwidth ones."""
    code = ord(char)
    if code < 32 or 0x7F <= code < 0xA0:
        return 0
    return max(0, _wc().wcwidth(char))


@lru_cache(maxsize=1024)
def _widened_by_vs16(char: str) -> bool:
    """VARIATION SELECTOR-16 after this character asks for its wide emoji form."""
    return _wc().wcswidth(char + "\ufe0f") > _wc().wcwidth(char)


def _units(text: str) -> list[tuple[int, int, int]]:
    """(start, end, cells) of each unit a line may not be broken inside: a character with
    the zero-width marks after it; a ZERO WIDTH JOINER glues the next character on (emoji
    sequences); VS16 widens the unit before it."""
    units: list[tuple[int, int, int]] = []
    last: str | None = None  # the last character that took cells (VS16 applies to it)
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "\u200d\ufe0f":
            if not units:
                units.append((i, i + 1, 0))
                i += 1
                continue
            start, _, cells = units[-1]
            if char == "\u200d":
                i += 2 if i < n - 1 else 1
            else:
                i += 1
                if last is not None and _widened_by_vs16(last):
                    cells += 1
                last = None
            units[-1] = (start, i, cells)
            continue
        width = _char_cells(char)
        if width:
            last = char
            units.append((i, i + 1, width))
        elif units:
            start, _, cells = units[-1]
            units[-1] = (start, i + 1, cells)
        else:
            units.append((i, i + 1, 0))
        i += 1
    return units


# Characters one cell wide wherever a terminal draws them (Latin, Greek, Cyrillic, general
# punctuation, currency, arrows, mathematical operators, box drawing, Braille): a string of
# only these is measured by its length, without a table look-up per character.
_SINGLE_CELL_RANGES = ((0x20, 0x7E), (0xA0, 0xAC), (0xAE, 0x2FF), (0x370, 0x482),
                       (0x2010, 0x2027), (0x2030, 0x205E), (0x20A0, 0x20C0),
                       (0x2190, 0x22FF), (0x2500, 0x25FC), (0x2800, 0x28FF))
SINGLE_CELL = frozenset(chr(c) for a, b in _SINGLE_CELL_RANGES for c in range(a, b + 1))
_ASCII_CONTROLS = dict.fromkeys([*range(32), 127])


def single_cells(text: str) -> bool:
    """Every character of `text` takes exactly one cell."""
    return text.isprintable() if text.isascii() else SINGLE_CELL.issuperset(text)


def cell_len(text: str) -> int:
    """How many terminal cells `text` takes."""
    if text.isascii():
        return len(text) if text.isprintable() else len(text.translate(_ASCII_CONTROLS))
    if SINGLE_CELL.issuperset(text):
        return len(text)
    return _cells_of(text)


@lru_cache(maxsize=4096)
def _cells_of(text: str) -> int:
    return sum(u[2] for u in _units(text))


def set_cell_size(text: str, total: int) -> str:
    """`text` cropped or padded with spaces to exactly `total` cells (a wide character cut
    in half becomes a space)."""
    if single_cells(text):
        return text[:total] if len(text) >= total else text + " " * (total - len(text))
    if total <= 0:
        return ""
    size = cell_len(text)
    if size <= total:
        return text + " " * (total - size)
    used = 0
    for start, _end, cells in _units(text):
        if used + cells > total:
            return text[:start] + " " * (total - used)
        used += cells
    return text


def fold(text: str, width: int) -> list[str]:
    """`text` cut into pieces of at most `width` cells (a word too long for its column)."""
    if single_cells(text):
        return [text[i:i + width] for i in range(0, len(text), width)]
    lines: list[str] = []
    size = offset = 0
    for start, _end, cells in _units(text):
        if size + cells > width:
            lines.append(text[offset:start])
            offset, size = start, 0
        size += cells
    if size:
        lines.append(text[offset:])
    return lines
