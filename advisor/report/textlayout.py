"""Plain terminal layout: word wrap with fold, table columns, section rules and ANSI
colour, for the text report (advisor/report/text.py); widths in terminal cells
(advisor/report/textcells.py).

Why not rich: the report used rich's general renderer (segments, measurement, styles at
every step), which cost as much CPU as the whole analysis on a batch (about 0.6 s for 110
results). The report needs a handful of layouts, laid out here directly on strings.

The rules are rich's own, ported, so that the report reads exactly as it did (the tests
render the same results with rich and compare the bytes): lines break between words
(whitespace after a word stays with it), a word longer than its column is folded at the
column's width, a fixed column is never broken, flexible columns share what is left, an
over-wide table narrows its widest wrappable columns first. Widths are terminal cells,
not characters: a wide East Asian character takes two, a combining mark none.

A piece of text is a list of `(text, style)` parts; a style is a space-separated list of
the names in SGR ("bold red"), painted only when colour is on, so uncoloured output
carries no escape codes at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from math import ceil
from operator import itemgetter

from advisor.report.textcells import cell_len, fold, set_cell_size, single_cells

Part = tuple[str, str]  # (text, style)
Parts = list[Part]

RULE_CHAR = "─"
RULE_STYLE = "bright_green"  # a section rule's line, as the terminal report always had it
TAB_SIZE = 8
SGR = {"bold": "1", "dim": "2", "italic": "3", "red": "31", "green": "32", "yellow": "33",
       "cyan": "36", "bright_green": "92"}
_STRIPPED_CONTROLS = dict.fromkeys((7, 8, 11, 12, 13))  # bell, backspace, VT, FF, CR
_WORD = re.compile(r"\s*\S+\s*")  # a word and the whitespace after it (before, on a line's first)
_TRAILING_SPACE = re.compile(r"\s+$")
_NON_BLANK = re.compile(r"[^ ]")
_first = itemgetter(0)


def break_offsets(text: str, width: int, fold_words: bool = True) -> list[int]:
    """Where a line breaks to fit `width`: before each word that does not fit the rest of
    the line; a word wider than the column is folded (or left whole for the column to
    crop when `fold_words` is off). Whitespace after a word stays on its line."""
    if width > 0 and text.isascii() and text.isprintable():
        return _ascii_breaks(text, width, fold_words)
    length = len if single_cells(text) else cell_len
    if length(text) <= width:  # every word fits where it is
        return []
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        word_len = length(word.rstrip())
        if width - offset >= word_len:
            offset += length(word)
        elif word_len > width:
            if fold_words:
                pieces = fold(word, width)
                for i, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if i == len(pieces) - 1:
                        offset = length(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = length(word)
        elif offset and start:
            breaks.append(start)
            offset = length(word)
    return breaks


def _ascii_breaks(text: str, width: int, fold_words: bool) -> list[int]:
    """break_offsets() of printable ASCII (a cell a character, a space the only blank),
    a line at a time instead of a word at a time: the line that starts at `line` holds
    every word that ends by `line + width`; the first word at 0 carries the blanks before
    it; a word wider than the column is folded in pieces of the width (blanks after it
    included), or left whole when `fold_words` is off."""
    breaks: list[int] = []
    n, end = len(text), len(text.rstrip(" "))
    lead = n - len(text.lstrip(" "))
    line = 0
    while line + width < end:
        limit = line + width
        first = line == 0 and lead > 0  # the first word starts at 0, blanks and all
        if text[limit] == " " and not (first and limit < lead):
            line = _next_word(text, limit)
            breaks.append(line)
            continue
        start = text.rfind(" ", line, limit) + 1
        if first and start <= lead:
            start = 0
        if start > line:  # that word starts a new line
            breaks.append(start)
            line = start
            continue
        blank = text.find(" ", max(limit, lead if first else 0))  # the long word's end
        after = n if blank < 0 else _next_word(text, blank)
        if not fold_words:
            if after >= n:
                break
            breaks.append(after)
            line = after
            continue
        pieces = (after - line - 1) // width
        breaks.extend(range(line + width, line + pieces * width + 1, width))
        line += pieces * width
    return breaks


def _next_word(text: str, index: int) -> int:
    match = _NON_BLANK.search(text, index)
    return match.start() if match else len(text)


# ------------------------------------------------------------------ styled text
def text(value: str, style: str = "") -> Parts:
    """A piece of text, without the control characters a terminal would act on (bell,
    backspace, carriage return, vertical tab, form feed)."""
    return [(_without_controls(value), style)]


def append(parts: Parts, value: str, style: str = "") -> Parts:
    parts.append((_without_controls(value), style))
    return parts


def _without_controls(value: str) -> str:
    """`value` less _STRIPPED_CONTROLS; a printable string has none of them, and asking
    is far cheaper than a translation (most of the report's strings)."""
    return value if value.isprintable() else value.translate(_STRIPPED_CONTROLS)


def plain(parts: Sequence[Part]) -> str:
    return "".join(map(_first, parts))


def _slice(parts: Sequence[Part], start: int, end: int) -> Parts:
    """The parts covering characters [start, end) of their plain text."""
    out: Parts = []
    pos = 0
    for value, style in parts:
        nxt = pos + len(value)
        if nxt > start and pos < end:
            out.append((value[max(start - pos, 0):end - pos], style))
        pos = nxt
        if pos >= end:
            break
    return out


def _keep(parts: Parts, new_plain: str) -> Parts:
    """`parts` cut to `new_plain`, a prefix of their text, with perhaps one space or an
    ellipsis added (a wide character cut in half, a cropped cell)."""
    old = plain(parts)
    common, limit = 0, min(len(old), len(new_plain))
    while common < limit and old[common] == new_plain[common]:
        common += 1
    kept = _slice(parts, 0, common)
    if common < len(new_plain):
        kept.append((new_plain[common:], kept[-1][1] if kept else ""))
    return kept


def _split(parts: Parts, separator: str) -> list[Parts]:
    value = plain(parts)
    if separator not in value:
        return [list(parts)]
    out: list[Parts] = []
    pos = 0
    for piece in value.split(separator):
        out.append(_slice(parts, pos, pos + len(piece)))
        pos += len(piece) + len(separator)
    return out


def _expand_tabs(parts: Parts) -> Parts:
    """Tabs to spaces, to the next multiple of TAB_SIZE cells from the line's start; the
    spaces take the style of the text before the tab."""
    out: Parts = []
    column = 0
    pieces = plain(parts).split("\t")
    pos = 0
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        chunk = _slice(parts, pos, pos + len(piece) + (0 if last else 1))
        pos += len(piece) + 1
        if last:
            out.extend(chunk)
            break
        value, style = chunk[-1]
        chunk[-1] = (value[:-1] + " ", style)
        column += cell_len(plain(chunk))
        if column % TAB_SIZE:
            spaces = TAB_SIZE - column % TAB_SIZE
            chunk[-1] = (chunk[-1][0] + " " * spaces, style)
            column += spaces
        out.extend(chunk)
    return out


def _truncate(parts: Parts, width: int, overflow: str, pad: bool = False) -> Parts:
    value = plain(parts)
    size = cell_len(value)
    if size > width:
        if overflow == "ellipsis":
            parts = _keep(parts, set_cell_size(value, width - 1))
            parts.append(("…", parts[-1][1] if parts else ""))
        else:
            parts = _keep(parts, set_cell_size(value, width))
    if pad and size < width:
        parts = [*parts, (" " * (width - size), "")]
    return parts


def wrap(parts: Parts, width: int, *, justify: str = "default", overflow: str = "fold",
         no_wrap: bool = False) -> list[Parts]:
    """Lines of at most `width` cells: at each newline, then between words (see
    break_offsets); `justify` left pads each line to the width, right aligns it."""
    lines: list[Parts] = []
    for line in _split(parts, "\n"):
        if len(line) == 1 and "\t" not in line[0][0]:
            value, style = line[0]
            lines.extend([(piece, style)] for piece in _wrap_plain(
                value, width, justify, overflow, no_wrap))
            continue
        if "\t" in plain(line):
            line = _expand_tabs(line)
        if no_wrap:
            pieces = [line]
        else:
            value = plain(line)
            offsets = break_offsets(value, width, overflow == "fold")
            bounds = [0, *offsets, len(value)]
            pieces = [_slice(line, a, b) for a, b in pairwise(bounds)]
            pieces = [_rstrip_end(piece, width) for piece in pieces]
        for piece in pieces:
            if justify == "left":
                piece = _truncate(piece, width, overflow, pad=True)
            elif justify == "right":
                piece = _keep(piece, plain(piece).rstrip())
                piece = _truncate(piece, width, overflow)
                gap = width - cell_len(plain(piece))
                piece = [(" " * gap, ""), *piece] if gap > 0 else piece
            lines.append(_truncate(piece, width, overflow))
    return lines


def _wrap_plain(value: str, width: int, justify: str, overflow: str,
                no_wrap: bool) -> list[str]:
    """wrap() of one line in one style (most lines), on the string alone: the same steps
    as wrap()'s general path (_rstrip_end, _truncate, the justification) without
    splitting and re-joining parts, which is most of the cost of a report."""
    if no_wrap:
        pieces = [value]
    else:
        bounds = [0, *break_offsets(value, width, overflow == "fold"), len(value)]
        pieces = [value[a:b] for a, b in pairwise(bounds)]
    out: list[str] = []
    for piece in pieces:
        if len(piece) > width and not no_wrap:  # trailing whitespace beyond the width
            match = _TRAILING_SPACE.search(piece)
            if match:
                piece = piece[:len(piece) - min(len(match.group(0)), len(piece) - width)]
        if justify == "right":
            piece = piece.rstrip()
        size = cell_len(piece)
        if size > width:
            piece = set_cell_size(piece, width - 1) + "…" if overflow == "ellipsis" \
                else set_cell_size(piece, width)
            size = cell_len(piece)
        if size < width and justify != "default":
            piece = piece + " " * (width - size) if justify == "left" \
                else " " * (width - size) + piece
        out.append(piece)
    return out


def _rstrip_end(parts: Parts, size: int) -> Parts:
    """Trailing whitespace beyond `size` characters dropped (rich counts characters here,
    not cells; the crop that follows counts cells)."""
    value = plain(parts)
    if len(value) > size:
        match = _TRAILING_SPACE.search(value)
        if match:
            cut = min(len(match.group(0)), len(value) - size)
            return _slice(parts, 0, len(value) - cut)
    return parts


def measure(parts: Sequence[Part]) -> tuple[int, int]:
    """(narrowest, widest) a text can be laid out in: its longest word, its longest line."""
    value = plain(parts)
    if value.isascii() and value.isprintable():  # one line, a cell a character (most cells)
        words = value.split()
        return (max(map(len, words)) if words else len(value)), len(value)
    length = len if single_cells(value.replace("\n", " ")) else cell_len
    widest = max(map(length, value.splitlines()), default=0)
    words = value.split()
    return (max(map(length, words)) if words else widest), widest


def _measured(parts: Sequence[Part], max_width: int) -> tuple[int, int]:
    """measure() bounded by the space available, as a layout asks it."""
    if max_width < 1:
        return 0, 0
    low, high = measure(parts)  # cell counts: never negative
    low = min(low, high, max_width)
    high = min(high, max_width)
    if high < 1:
        return 0, 0
    return low, high


def fit(line: Parts, width: int, pad: bool = True) -> Parts:
    """A rendered line cropped to `width` cells, and padded to it when `pad`."""
    size = cell_len(line[0][0] if len(line) == 1 else plain(line))
    if size < width:
        return [*line, (" " * (width - size), "")] if pad else line
    if size > width:
        out: Parts = []
        used = 0
        for value, style in line:
            cells = cell_len(value)
            if used + cells < width:
                out.append((value, style))
                used += cells
            else:
                out.append((set_cell_size(value, width - used), style))
                break
        return out
    return line


# ------------------------------------------------------------------ tables
@dataclass(frozen=True)
class Column:
    """A table column: a fixed `width` (never broken) or flexible (sized by its content,
    and by `ratio` of what is left when the table fills the width)."""

    header: str = ""
    width: int | None = None
    min_width: int | None = None
    ratio: int | None = None
    no_wrap: bool = False
    justify: str = "left"
    overflow: str = "ellipsis"
    style: str = ""


@dataclass
class Table:
    """Rows of cells under optional headers. `boxed`: one space of padding each side of a
    cell, a space between columns, a rule under the headers (the findings and before/after
    tables), or with `edges` a line around every cell (the batch summary); else a grid:
    `gap` spaces after each column but the last, no headers."""

    columns: list[Column]
    rows: list[list[Parts]]
    title: Parts | None = None
    boxed: bool = True
    expand: bool = False
    gap: int = 2
    header: bool = True  # boxed tables only
    edges: bool = False  # boxed tables only
    width: int = 0  # the rendered table's width, set by render()

    def add_row(self, *cells: str) -> None:
        self.rows.append([text(cell) for cell in cells])

    def _pad(self, index: int) -> tuple[int, int]:
        if self.boxed:
            return 1, 1
        return 0, (0 if index == len(self.columns) - 1 else self.gap)

    @property
    def _headed(self) -> bool:
        return self.boxed and self.header

    @property
    def _extra(self) -> int:
        if not self.boxed:
            return 0
        return len(self.columns) - 1 + (2 if self.edges else 0)

    def _cells(self, index: int) -> list[Parts]:
        head = [text(self.columns[index].header)] if self._headed else []
        return head + [row[index] if index < len(row) else [] for row in self.rows]

    def _measure(self, index: int, max_width: int) -> tuple[int, int]:
        if max_width < 1:
            return 0, 0
        column = self.columns[index]
        left, right = self._pad(index)
        pad = left + right
        if column.width is not None:
            return min(column.width + pad, max_width), min(column.width + pad, max_width)
        lows, highs = [], []
        for cell in self._cells(index):
            if max_width - pad < 1:
                low, high = max_width, max_width
            else:
                low, high = _measured(cell, max_width)
                low, high = min(low + pad, max_width), min(high + pad, max_width)
            lows.append(low)
            highs.append(high)
        low, high = (max(lows) if lows else 1), (max(highs) if highs else max_width)
        low, high = min(low, max_width), min(high, max_width)
        if column.min_width is not None:
            floor = max(0, column.min_width + pad)
            low, high = max(low, floor), max(high, floor)
        return low, high

    def widths(self, max_width: int) -> list[int]:
        """Each column's width, padding included: rich's rules (see the module's doc)."""
        columns = self.columns
        flexible = [c.ratio is not None for c in columns]
        ratios = [c.ratio or 0 for c, flex in zip(columns, flexible, strict=True) if flex]
        shared = self.expand and any(ratios)  # flexible columns share what is left
        ranges = [(0, 0) if shared and flex else self._measure(i, max_width)
                  for i, flex in enumerate(flexible)]
        widths = [high or 1 for _low, high in ranges]
        if shared:
            fixed = [0 if flex else high for (_low, high), flex
                     in zip(ranges, flexible, strict=True)]
            minimums = [(c.width or 1) + sum(self._pad(i))
                        for i, c in enumerate(columns) if flexible[i]]
            shares = iter(ratio_distribute(max_width - sum(fixed), ratios, minimums))
            for i, flex in enumerate(flexible):
                if flex:
                    widths[i] = fixed[i] + next(shares)
        total = sum(widths)
        if total > max_width:
            widths = _collapse(widths, [c.width is None and not c.no_wrap for c in columns],
                               max_width)
            total = sum(widths)
            if total > max_width:
                widths = ratio_reduce(total - max_width, [1] * len(widths), widths, widths)
                total = sum(widths)
            widths = [self._measure(i, w)[1] or 0 for i, w in enumerate(widths)]
        if total < max_width and self.expand:
            widths = [w + extra for w, extra
                      in zip(widths, ratio_distribute(max_width - total, widths), strict=True)]
        return widths

    def render(self, width: int) -> list[Parts]:
        """The table's lines (title, headers, rule, rows) for a space `width` cells wide;
        each exactly as wide as the table (`self.width` after this call)."""
        widths = self.widths(width - self._extra)
        self.width = table_width = sum(widths) + self._extra
        out: list[Parts] = []
        if self.title is not None:
            out.extend(wrap(self.title, table_width, justify="left"))
        rows = ([[text(c.header, "bold") for c in self.columns]] if self._headed else [])
        rows += self.rows
        divider = [("│" if self.edges else " ", "")] if self.boxed else []
        left_edge, right_edge = ([("│", "")], [("│", "")]) if self.edges else ([], [])
        if self.edges:
            out.append([("┌" + "┬".join("─" * w for w in widths) + "┐", "")])
        for n, row in enumerate(rows):
            header = self._headed and n == 0
            cells = [self._cell(i, row[i] if i < len(row) else [], w)
                     for i, w in enumerate(widths)]
            height = max(map(len, cells))
            for i, cell in enumerate(cells):
                if len(cell) < height:  # filled out with blank lines
                    fill = [[(" " * widths[i], "")]] * (height - len(cell))
                    cells[i] = fill + cell if header else cell + fill
            for k in range(height):
                line: Parts = [*left_edge]
                for i, cell in enumerate(cells):
                    if i:
                        line.extend(divider)
                    line.extend(cell[k])
                line.extend(right_edge)
                out.append(line)
            if header:
                out.append([(RULE_CHAR * table_width, "")])
        if self.edges:
            out.append([("└" + "┴".join("─" * w for w in widths) + "┘", "")])
        return out

    def _cell(self, index: int, parts: Parts, width: int) -> list[Parts]:
        column = self.columns[index]
        left, right = self._pad(index)
        inner = width - left - right
        if column.style:
            parts = [(v, s or column.style) for v, s in parts]
        if len(parts) == 1 and inner > 0:  # one line that fits: no wrapping to do
            value, style = parts[0]
            if column.justify == "right":
                value = value.rstrip()
            size = cell_len(value)
            if size <= inner and "\n" not in value and "\t" not in value:
                gap = (" " * (inner - size), "")
                line = [gap, (value, style)] if column.justify == "right" else [(value, style), gap]
                return [[(" " * left, ""), *line, (" " * right, "")]]
        lines = wrap(parts, inner, justify=column.justify, overflow=column.overflow,
                     no_wrap=column.no_wrap)
        lpad, rpad = [(" " * left, "")] if left else [], [(" " * right, "")] if right else []
        if column.justify in ("left", "right"):  # wrap() made every line `inner` cells
            return [[*lpad, *line, *rpad] for line in lines]
        return [[*lpad, *fit(line, inner), *rpad] for line in lines]


def _collapse(widths: list[int], wrappable: list[bool], max_width: int) -> list[int]:
    """Narrow the widest wrappable columns, down to the next widest, until the table fits."""
    total = sum(widths)
    excess = total - max_width
    if any(wrappable):
        while total and excess > 0:
            widest = max(w for w, ok in zip(widths, wrappable, strict=True) if ok)
            second = max(w if ok and w != widest else 0
                         for w, ok in zip(widths, wrappable, strict=True))
            ratios = [1 if (w == widest and ok) else 0
                      for w, ok in zip(widths, wrappable, strict=True)]
            if not any(ratios) or not widest - second:
                break
            limit = [min(excess, widest - second)] * len(widths)
            widths = ratio_reduce(excess, ratios, limit, widths)
            total = sum(widths)
            excess = total - max_width
    return widths


def ratio_reduce(total: int, ratios: list[int], maximums: list[int],
                 values: list[int]) -> list[int]:
    """`values` less `total` shared by `ratios`, each by at most its maximum."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    out: list[int] = []
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            share = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - share)
            remaining -= share
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def ratio_distribute(total: int, ratios: list[int],
                     minimums: list[int] | None = None) -> list[int]:
    """`total` shared by `ratios` (rounded up, each at least its minimum)."""
    if minimums:
        ratios = [r if m else 0 for r, m in zip(ratios, minimums, strict=True)]
    total_ratio = sum(ratios)
    remaining = total
    out: list[int] = []
    for ratio, minimum in zip(ratios, minimums or [0] * len(ratios), strict=True):
        share = max(minimum, ceil(ratio * remaining / total_ratio)) \
            if total_ratio > 0 else remaining
        out.append(share)
        total_ratio -= ratio
        remaining -= share
    return out


# ------------------------------------------------------------------ the page
@lru_cache(maxsize=64)
def sgr(style: str) -> str:
    """The SGR parameters of a style: "bold red" -> "1;31"."""
    return ";".join(SGR[name] for name in style.split() if name in SGR)


class Page:
    """The report being written: lines of at most `width` cells, painted when `color`."""

    def __init__(self, width: int, color: bool) -> None:
        self.width = width
        self.color = color
        self._out: list[str] = []
        self._paint: Callable[[Parts], str] = self._painted if color else plain

    def getvalue(self) -> str:
        return "".join(self._out)

    def raw(self, written: str) -> None:
        """Text another Page of the same width and colour already wrote (a batch worker's
        section for one result)."""
        self._out.append(written)

    def lines(self, lines: Iterable[Parts]) -> None:
        """Rendered lines, each cropped to the page."""
        width, out, paint = self.width, self._out, self._paint
        for line in lines:
            out.append(paint(fit(line, width, pad=False)) + "\n")

    def print(self, parts: Parts) -> None:
        """Text wrapped to the page (long words folded)."""
        self.lines(wrap(parts, self.width))

    def blank(self) -> None:
        self._out.append("\n")

    def indented(self, parts: Parts, indent: int) -> None:
        """Text `indent` cells in, wrapped in the space left; each line of a wrapped text
        padded to the width of its longest."""
        width = min(_measured(parts, self.width)[1] + indent, self.width)
        inner = width - indent
        self.lines([(" " * indent, ""), *fit(line, inner)] for line in wrap(parts, inner))

    def block(self, lines: Iterable[Parts], indent: int) -> None:
        """Rendered lines (a grid) `indent` cells in, padded to the page."""
        inner = self.width - indent
        self.lines([(" " * indent, ""), *fit(line, inner)] for line in lines)

    def rule(self, title: Parts | None = None, style: str = RULE_STYLE) -> None:
        """A section rule across the page, `── title ────` when there is a title."""
        width = self.width
        if not title or not plain(title):
            self.print([(set_cell_size(RULE_CHAR * (width + 1), width), style)])
            return
        title = [(v.replace("\n", " "), s) for v, s in title]
        if "\t" in plain(title):
            title = _expand_tabs(title)
        if width - 2 <= 0:
            self.rule(None, style)
            return
        title = _truncate(title, width - 2, "ellipsis")
        line = [*title, (" ", "")]
        line.append((RULE_CHAR * (width - cell_len(plain(line))), style))
        self.print(_keep(line, set_cell_size(plain(line), width)))

    def table(self, table: Table) -> None:
        lines = table.render(self.width)
        if table.width <= self.width:  # nothing to crop
            self._out.extend(self._paint(line) + "\n" for line in lines)
        else:
            self.lines(lines)

    def _painted(self, parts: Parts) -> str:
        return "".join(f"\x1b[{sgr(style)}m{value}\x1b[0m" if style and value and sgr(style)
                       else value for value, style in parts)
