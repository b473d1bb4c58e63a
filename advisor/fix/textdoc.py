"""Minimal edits to a YAML or JSON document, spliced into the original text.

Why splicing rather than dumping a round-tripped tree: a dump re-indents, re-quotes and
re-wraps what it did not change (ruamel.yaml keeps comments, but its indent settings are
global to the file). Here ruamel.yaml's round-trip loader only *reads* the document, for
the line and column of every key and item; each edit replaces, inserts or deletes a span
of the original text, so every byte outside the edited spans is kept: comments, key
order, quoting, short tags, indentation, blank lines.

Edits address values by path (`("Resources", "Queue", "Properties", "RedrivePolicy")`):

- `set(path, value)`: replace the value, or insert the key (creating missing parents);
- `append(path, value)`: add an item to a list (creating it when missing);
- `delete(path)`: remove a mapping entry or a list item.

Block YAML gets block YAML written in the file's style; JSON and YAML flow collections
get JSON text (valid in both). Inserts into the same container are kept in call order,
and sets below a key inserted in this session update the pending value.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from advisor.fix import emit
from advisor.fix.emit import Style

Path = tuple[Any, ...]


class EditError(Exception):
    """An edit cannot be made safely on this text (it says why)."""


@dataclass
class _Splice:
    start: int
    end: int
    text: str
    order: int
    depth: int = 0  # at one offset, a deeper container's insert comes first


def load_roundtrip(text: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True
    # whitespace-only lines read as empty lines: YAML forbids a blank line with more spaces
    # than the block scalar after it, which PyYAML (and CloudFormation) accept; line and
    # column numbers stay those of the original text
    return yaml.load(re.sub(r"(?m)^[ \t]+(?=\r?$)", "", text))


class TextDoc:
    """A parsed document and the edits made to it; `render()` gives the new text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.is_json = text.lstrip("\ufeff \t\r\n").startswith("{")
        self.root = load_roundtrip(text)
        self.lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self.lines:
            self._starts.append(self._starts[-1] + len(line))
        self.newline = "\r\n" if "\r\n" in text[:2000] else "\n"
        self.style = self._detect_style()
        self._splices: list[_Splice] = []
        self._order = 0
        # inserts into existing containers, in call order: container path -> [(key, value)]
        self._inserts: dict[Path, list[tuple[Any, Any]]] = {}
        self._deleted: list[Path] = []
        self.replaced: dict[Path, Any] = {}  # values set by path, for later generators
        # new top-level keys placed before another one: (anchor, key, value)
        self._top: list[tuple[Any, Any, Any]] = []

    # ------------------------------------------------------------------ reading
    def get(self, path: Path) -> Any:
        node = self.root
        for key in path:
            if isinstance(node, dict):
                if key not in node:
                    raise KeyError(path)
                node = node[key]
            elif isinstance(node, list):
                if not isinstance(key, int) or not -len(node) <= key < len(node):
                    raise KeyError(path)
                node = node[key]
            else:
                raise KeyError(path)
        return node

    def has(self, path: Path) -> bool:
        try:
            self.get(path)
        except KeyError:
            return False
        return True

    def offset(self, line: int, col: int) -> int:
        return self._starts[line] + col

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset) - 1

    # ------------------------------------------------------------------ style
    def _detect_style(self) -> Style:
        if self.is_json:
            unit = 2
            for line in self.lines[1:40]:
                stripped = line.lstrip(" ")
                if stripped.strip():
                    unit = max(1, len(line) - len(stripped))
                    break
            return Style(unit=unit, seq_indent=True, short_tags=False, json=True)
        unit, seq_indent = 2, True
        res = self.root.get("Resources") if isinstance(self.root, dict) else None
        if isinstance(res, CommentedMap) and res and not res.fa.flow_style():
            first = next(iter(res))
            unit = max(1, res.lc.key(first)[1] - self.root.lc.key("Resources")[1])
        prev = None
        for line in self.lines:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("- ") and prev is not None and prev[1].endswith(":"):
                seq_indent = _indent(line) > prev[0]
                break
            prev = (_indent(line), stripped.split(" #")[0].rstrip())
        short = bool(re.search(r"(^|[\s:\[,-])!(Ref|GetAtt|Sub|Join|If|Select)\b", self.text,
                               re.MULTILINE))
        if not short and not re.search(r"\b(Ref|Fn::\w+)\s*:", self.text):
            short = True  # no intrinsic yet: short tags, as most SAM templates
        return Style(unit=unit, seq_indent=seq_indent, short_tags=short, json=False)

    # ------------------------------------------------------------------ editing API
    def set(self, path: Path, value: Any) -> None:
        """Set the value at `path` (replacing it, or inserting the key)."""
        parent, key = tuple(path[:-1]), path[-1]
        pending = self._pending(parent)
        if pending is not None:
            if isinstance(pending, dict):
                pending[key] = value
                return
            raise EditError(f"cannot set {key!r} in a pending list")
        try:
            container = self.get(parent)
        except KeyError:
            self.set(parent, {key: value})
            return
        self.replaced[tuple(path)] = value
        if isinstance(container, dict):
            if key in container:
                self._replace(container, key, value)
                return
            items = self._inserts.setdefault(parent, [])
            for i, (k, v) in enumerate(items):
                if k == key:  # inserted earlier in this session: merge, or replace
                    if isinstance(v, dict) and isinstance(value, dict):
                        _deep_merge(v, value)
                    else:
                        items[i] = (key, value)
                    return
            items.append((key, value))
            return
        if isinstance(container, list) and isinstance(key, int):
            self._replace_item(container, key, value)
            return
        raise EditError(f"cannot set {'/'.join(map(str, path))}: parent is a scalar")

    def insert_before(self, anchor: Any, key: Any, value: Any) -> bool:
        """Insert a new top-level `key` before the top-level `anchor` key (with the comment
        lines above it), in a block document; False when that is not possible. Later
        `set`s below `key` update the pending value."""
        root = self.root
        if self.is_json or not isinstance(root, dict) or anchor not in root or key in root \
                or self._flow(root):
            return False
        for _, k, v in self._top:
            if k == key:
                _deep_merge(v, value)
                return True
        self._top.append((anchor, key, value))
        return True

    def pending(self, path: Path) -> Any:
        """The value at `path` as this session's edits left it (None when missing)."""
        try:
            return self.get(path)
        except KeyError:
            pass
        value = self._pending(path, create=False)
        return value

    def append(self, path: Path, value: Any) -> None:
        pending = self._pending(path)
        if pending is not None:
            if not isinstance(pending, list):
                raise EditError("pending value is not a list")
            pending.append(value)
            return
        try:
            container = self.get(path)
        except KeyError:
            self.set(path, [value])
            return
        if not isinstance(container, list):
            raise EditError(f"{'/'.join(map(str, path))} is not a list")
        self._inserts.setdefault(path, []).append((None, value))

    def delete(self, path: Path) -> None:
        parent, key = tuple(path[:-1]), path[-1]
        container = self.get(parent)
        if any(path[:len(d)] == d for d in self._deleted):
            return  # inside something already deleted
        self._deleted.append(tuple(path))
        start, end = self._entry_span(container, key)
        self._splice(start, end, "")

    def render(self) -> str:
        """The edited text (the document keeps its edits: render again after more)."""
        saved, order = list(self._splices), self._order
        try:
            for anchor, key, value in self._top:
                line, col = self.root.lc.key(anchor)
                while line > 0 and self.lines[line - 1].strip().startswith("#"):
                    line -= 1
                lines = emit.yaml_entry(str(key), value, col, self.style)
                self._splice(self._starts[line], self._starts[line],
                             self.newline.join(lines) + self.newline + self.newline)
            for parent, items in self._inserts.items():
                if any(parent[:len(d)] == d for d in self._deleted):
                    raise EditError(f"insert into deleted {'/'.join(map(str, parent))}")
                self._render_inserts(parent, self.get(parent), items)
            splices = sorted(self._splices, key=lambda s: (s.start, s.end, -s.depth, s.order))
        finally:
            self._splices, self._order = saved, order
        out: list[str] = []
        pos = 0
        for s in splices:
            if s.start < pos:
                raise EditError("two edits overlap")
            out.append(self.text[pos:s.start])
            out.append(s.text)
            pos = s.end
        out.append(self.text[pos:])
        return "".join(out)

    def snapshot(self) -> Any:
        import copy

        return copy.deepcopy((self._splices, self._inserts, self._deleted, self._order,
                              self.replaced, self._top))

    def restore(self, snap: Any) -> None:
        (self._splices, self._inserts, self._deleted, self._order, self.replaced,
         self._top) = snap

    # ------------------------------------------------------------------ internals
    def _pending(self, path: Path, create: bool = True) -> Any:
        """The not-yet-written value at `path` when a prefix of it is a pending insert
        (missing mappings on the way are created, unless `create` is False)."""
        groups = [((), [(k, v) for _, k, v in self._top]), *self._inserts.items()]
        for parent, items in groups:
            n = len(parent)
            if len(path) <= n or tuple(path[:n]) != parent:
                continue
            for key, value in items:
                if key is not None and key == path[n]:
                    node = value
                    for k in path[n + 1:]:
                        if isinstance(node, dict) and k in node:
                            node = node[k]
                        elif isinstance(node, dict) and create:
                            node[k] = {}
                            node = node[k]
                        else:
                            return None
                    return node
        return None

    def _splice(self, start: int, end: int, text: str, depth: int = 0) -> None:
        self._order += 1
        self._splices.append(_Splice(start, end, text, self._order, depth))

    def _flow(self, node: Any) -> bool:
        return self.is_json or bool(getattr(node, "fa", None) and node.fa.flow_style())

    # --- spans
    def _key_pos(self, container: Any, key: Any) -> tuple[int, int]:
        if isinstance(container, dict):
            return tuple(container.lc.key(key))  # type: ignore[return-value]
        return self._dash_pos(container, key)

    def _dash_pos(self, seq: CommentedSeq, index: int) -> tuple[int, int]:
        line, col = seq.lc.item(index)
        if self._flow(seq):
            return line, col
        text = self.lines[line]
        dash = text.rfind("-", 0, col + 1) if col < len(text) else -1
        if dash < 0 or (dash < len(text) and text[dash] != "-"):
            # the item's value starts on a later line than its dash (rare): find the dash
            while line > 0 and not self.lines[line].lstrip().startswith("-"):
                line -= 1
            dash = self.lines[line].index("-")
        return line, dash

    def _block_end_line(self, line: int, col: int, is_key: bool) -> int:
        """Last line (inclusive) of the block entry starting at (line, col)."""
        end = line
        for i in range(line + 1, len(self.lines)):
            raw = self.lines[i]
            stripped = raw.strip()
            if not stripped:
                continue
            ind = _indent(raw)
            if stripped.startswith("#") and ind <= col:
                continue
            if ind < col or (ind == col and not (is_key and stripped.startswith("- "))):
                break
            if ind == col and is_key and stripped.startswith("- "):
                # a non-indented sequence under this key continues it, one under a
                # sibling key does not (the sibling's line would have broken already)
                end = i
                continue
            end = i
        return end

    def _value_end(self, offset: int) -> int:
        """End offset of the flow/JSON value starting at `offset`."""
        text = self.text
        i = offset
        if text.startswith("!", i):  # a tag before a flow value
            i = text.index(" ", i) + 1
        ch = text[i]
        if ch in "{[":
            depth = 0
            while i < len(text):
                c = text[i]
                if c in "\"'":
                    i = self._string_end(i)
                    continue
                if c in "{[":
                    depth += 1
                elif c in "}]":
                    depth -= 1
                    if depth == 0:
                        return i + 1
                i += 1
            raise EditError("unbalanced brackets")
        if ch in "\"'":
            return self._string_end(i)
        m = re.compile(r"[^,}\]\n\r#]*").match(text, i)
        return i + len(m.group(0).rstrip()) if m else i

    def _string_end(self, i: int) -> int:
        quote = self.text[i]
        j = i + 1
        while j < len(self.text):
            c = self.text[j]
            if quote == '"' and c == "\\":
                j += 2
                continue
            if c == quote:
                if quote == "'" and self.text.startswith("''", j):
                    j += 2
                    continue
                return j + 1
            j += 1
        raise EditError("unterminated string")

    def _close_of(self, node: Any) -> tuple[int, int]:
        """Offsets of a flow collection's opening and closing bracket."""
        line, col = node.lc.line, node.lc.col
        start = self.offset(line, col)
        if self.text[start] not in "{[":
            # ruamel points at the first key for some flow mappings; search back
            start = self.text.rfind("{" if isinstance(node, dict) else "[", 0, start + 1)
        end = self._value_end(start)
        return start, end - 1

    def _entry_span(self, container: Any, key: Any) -> tuple[int, int]:
        """Offsets to delete for one entry (with its separator in flow style)."""
        line, col = self._key_pos(container, key)
        if self._flow(container):
            start = self.offset(line, col)
            if isinstance(container, dict):
                vline, vcol = container.lc.value(key)
                end = self._value_end(self.offset(vline, vcol))
            else:
                end = self._value_end(start)
            keys = list(container) if isinstance(container, dict) else list(range(len(container)))
            if keys.index(key) > 0:
                j = start - 1
                while self.text[j] in " \t\r\n":
                    j -= 1
                if self.text[j] == ",":
                    start = j
                return start, end
            j = end
            while self.text[j] in " \t\r\n":
                j += 1
            if self.text[j] == ",":
                j += 1
                while self.text[j] in " \t":
                    j += 1
                end = j
            return start, end
        last = self._block_end_line(line, col, isinstance(container, dict))
        first = line
        # comment lines directly above the entry, at its indent, go with it
        while first > 0:
            above = self.lines[first - 1]
            if above.strip().startswith("#") and _indent(above) == col:
                first -= 1
            else:
                break
        # `- Key: v` where the entry shares its line with a dash: the item's first key
        if _indent(self.lines[line]) != col and isinstance(container, dict) and \
                len(container) > 1 and list(container).index(key) == 0:
            raise EditError("cannot delete the first key of a sequence item")
        return self.offset(first, 0), self._starts[last + 1]

    # --- replacing
    def _replace(self, container: CommentedMap, key: Any, value: Any) -> None:
        vline, vcol = container.lc.value(key)
        kline, kcol = container.lc.key(key)
        old = container[key]
        if self._flow(container):
            start = self.offset(vline, vcol)
            end = self._value_end(start)
            self._splice(start, end, self._flow_value(value, kline))
            return
        if not isinstance(old, dict | list) or (getattr(old, "fa", None) and old.fa.flow_style()
                                                and vline == kline):
            start = self.offset(vline, vcol) if vline == kline else None
            if start is not None and not isinstance(old, dict | list):
                end = start + len(_scalar_text(self.lines[vline][vcol:]))
                inline = emit._inline(value, self.style)
                if inline is not None and "\n" not in inline:
                    self._splice(start, end, inline)
                    return
        # rewrite the whole entry
        last = self._block_end_line(kline, kcol, True)
        start = self.offset(kline, kcol)
        end = self._starts[last + 1]
        lines = emit.yaml_entry(str(key), value, kcol, self.style)
        text = self.newline.join(lines)[kcol:] + self.newline
        self._splice(start, end, text)

    def _replace_item(self, seq: CommentedSeq, index: int, value: Any) -> None:
        line, col = seq.lc.item(index)
        start = self.offset(line, col)
        if self._flow(seq):
            self._splice(start, self._value_end(start), self._flow_value(value, line))
            return
        dline, dash = self._dash_pos(seq, index)
        last = self._block_end_line(dline, dash, False)
        lines = emit.yaml_item(value, dash, self.style)
        self._splice(self.offset(dline, 0), self._starts[last + 1],
                     self.newline.join(lines) + self.newline)

    def _flow_value(self, value: Any, line: int) -> str:
        if self.is_json:
            return emit.json_text(value, _indent(self.lines[line]), self.style.unit)

        return emit.yaml_flow(value, self.style)

    # --- inserting
    def _render_inserts(self, path: Path, container: Any, items: list[tuple[Any, Any]]) -> None:
        if self._flow(container):
            self._insert_flow(path, container, items)
        else:
            self._insert_block(path, container, items)

    def _insert_block(self, path: Path, container: Any, items: list[tuple[Any, Any]]) -> None:
        if not container:
            raise EditError("cannot insert into an empty block collection")
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        last_key = keys[-1]
        line, col = self._key_pos(container, last_key)
        is_key = isinstance(container, dict)
        if is_key and _indent(self.lines[line]) != col:
            # the mapping starts on a dash line (`- Key: v`): keys sit at the key column
            pass
        end_line = self._block_end_line(line, col, is_key)
        out: list[str] = []
        for key, value in items:
            if is_key:
                out.extend(emit.yaml_entry(str(key), value, col, self.style))
            else:
                out.extend(emit.yaml_item(value, col, self.style))
        at = self._starts[end_line + 1]
        text = self.newline.join(out) + self.newline
        if at == len(self.text) and not self.text.endswith(("\n", "\r")):
            text = self.newline + text.rstrip("\r\n")
        self._splice(at, at, text, len(path))

    def _insert_flow(self, path: Path, container: Any, items: list[tuple[Any, Any]]) -> None:
        import json

        open_at, close_at = self._close_of(container)
        is_map = isinstance(container, dict)
        oline, cline = self.line_of(open_at), self.line_of(close_at)
        keys = list(container) if is_map else list(range(len(container)))
        remaining = [k for k in keys if (*path, k) not in self._deleted]

        def entry(key: Any, value: Any, indent: int | None) -> str:
            if not self.is_json:
                body = emit.yaml_flow(value, self.style)
                return (emit.yaml_scalar(key) + ": " + body) if is_map else body
            if indent is None:
                body = json.dumps(emit.long_form(value), ensure_ascii=False)
            else:
                body = emit.json_text(value, indent, self.style.unit)
            return (json.dumps(key) + ": " + body) if is_map else body

        inside = self.text[open_at + 1:close_at].strip()
        if oline == cline and (remaining or not self.is_json or inside):
            # one line: `{A: 1}` -> `{A: 1, K: v}`
            texts = [entry(k, v, None) for k, v in items]
            sep = ", " if remaining else ""
            self._splice(close_at, close_at, sep + ", ".join(texts), len(path))
            return
        if remaining:
            first = next(iter(container)) if is_map else 0
            indent = self._key_pos(container, first)[1]
            j = close_at - 1
            while self.text[j] in " \t\r\n":
                j -= 1
            texts = [" " * indent + entry(k, v, indent) for k, v in items]
            self._splice(j + 1, j + 1, "," + self.newline + ("," + self.newline).join(texts))
            return
        indent = _indent(self.lines[oline]) + self.style.unit
        texts = [" " * indent + entry(k, v, indent) for k, v in items]
        if inside:
            raise EditError("cannot insert into a collection whose entries are all deleted")
        self._splice(open_at + 1, close_at,
                     self.newline + ("," + self.newline).join(texts) + self.newline
                     + " " * _indent(self.lines[cline]))


def _deep_merge(into: dict[Any, Any], new: dict[Any, Any]) -> None:
    for k, v in new.items():
        if isinstance(into.get(k), dict) and isinstance(v, dict):
            _deep_merge(into[k], v)
        else:
            into[k] = v


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _scalar_text(rest: str) -> str:
    """The scalar at the start of `rest` (one line), without a trailing comment."""
    rest = rest.rstrip("\r\n")
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        j = 1
        while j < len(rest):
            if rest[j] == quote:
                if quote == "'" and rest[j:j + 2] == "''":
                    j += 2
                    continue
                return rest[:j + 1]
            if quote == '"' and rest[j] == "\\":
                j += 1
            j += 1
        return rest
    m = re.search(r"\s+#", rest)
    return (rest[:m.start()] if m else rest).rstrip()
