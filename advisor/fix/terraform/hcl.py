"""HCL: spliced edits to `.tf` files, and new text written as `terraform fmt` would.

Blocks are found with the importer's parser (advisor.importers.terraform.hcl: blocks with
their lines and attributes); their extent is found by matching braces in the text
(strings, `${...}` interpolations, heredocs and comments skipped). Edits insert before a
block's closing brace, replace one attribute's value, or append a block to the file;
every other byte stays.

`terraform fmt` rules the writer follows (tested in tests/test_fix_terraform.py):
two spaces per level; in a run of consecutive single-line attributes the `=` signs are
aligned (keys padded to the longest); an attribute whose value spans lines, a nested
block, a blank line or a comment ends the run; object constructors follow the same rule
inside; one blank line between top-level blocks. Inserted attributes start a new run
after a blank line, so the alignment of the lines already there never changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from advisor.fix.cfn.template import Unpatchable

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Raw(str):
    """An HCL expression written as is (`aws_sqs_queue.orders.arn`)."""


@dataclass
class Call:
    """`name(arg)` with a multi-line object argument: `jsonencode({ ... })`."""

    name: str
    arg: Any


@dataclass
class Nested:
    """A nested block: `name { ... }` (entries: list of (key, value))."""

    entries: list[tuple[str, Any]]


# ------------------------------------------------------------------ writing
def value_lines(value: Any, indent: int) -> list[str]:
    """A value's text; the first line goes after `key = `, later lines are indented."""
    if isinstance(value, Raw):
        return [str(value)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, str):
        return [json.dumps(value)]
    if isinstance(value, Call):
        inner = value_lines(value.arg, indent)
        return [f"{value.name}({inner[0]}", *inner[1:-1], inner[-1] + ")"] if len(inner) > 1 \
            else [f"{value.name}({inner[0]})"]
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        body = body_lines([(k, v) for k, v in value.items()], indent + 2, object_keys=True)
        return ["{", *body, " " * indent + "}"]
    if isinstance(value, list):
        if all(isinstance(v, str | int | float | bool) for v in value):
            return ["[" + ", ".join(value_lines(v, indent)[0] for v in value) + "]"]
        out = ["["]
        for i, item in enumerate(value):
            lines = value_lines(item, indent + 2)
            lines[0] = " " * (indent + 2) + lines[0]
            if i < len(value) - 1:
                lines[-1] += ","
            out.extend(lines)
        out.append(" " * indent + "]")
        return out
    raise TypeError(f"cannot write {value!r} as HCL")


def _key(key: str, object_keys: bool) -> str:
    return key if _IDENT.match(key) else json.dumps(key)


def body_lines(entries: list[tuple[str, Any]], indent: int, object_keys: bool = False
               ) -> list[str]:
    """Attributes and nested blocks at `indent`, aligned in runs as `terraform fmt` does."""
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        out.extend(" " * indent + k.ljust(width) + " = " + v for k, v in run)
        run.clear()

    for key, value in entries:
        if isinstance(value, Nested):
            flush()
            out.append(" " * indent + f"{key} {{")
            out.extend(body_lines(value.entries, indent + 2))
            out.append(" " * indent + "}")
            continue
        lines = value_lines(value, indent)
        k = _key(key, object_keys)
        if len(lines) == 1:
            run.append((k, lines[0]))
            continue
        flush()
        out.append(" " * indent + f"{k} = {lines[0]}")
        out.extend(lines[1:])
    flush()
    return out


def resource_text(rtype: str, name: str, entries: list[tuple[str, Any]]) -> str:
    return "\n".join([f'resource "{rtype}" "{name}" {{', *body_lines(entries, 2), "}"]) + "\n"


# ------------------------------------------------------------------ reading and editing
@dataclass
class _Splice:
    start: int
    end: int
    text: str
    order: int


class HclFile:
    module_prefix = ""  # `module.x.` when the file belongs to a local module

    def __init__(self, path: str, text: str) -> None:
        from advisor.errors import AdvisorError
        from advisor.importers.terraform.hcl import parse_hcl

        self.path = path
        self.text = text
        try:
            self.blocks = parse_hcl(text, path, None)
        except AdvisorError as exc:
            raise Unpatchable(f"{path} cannot be read: {exc.diagnostics[0].message}") from exc
        self._starts = [0]
        for line in text.splitlines(keepends=True):
            self._starts.append(self._starts[-1] + len(line))
        self.splices: list[_Splice] = []
        self.appended: list[str] = []
        # pending inserts: closing-brace offset -> (opening offset, indent, entries)
        self.inserts: dict[int, tuple[int, int, list[tuple[str, Any]]]] = {}
        self.removed: set[int] = set()  # lines of blocks removed
        self.removals: list[tuple[int, int]] = []  # their spans (merged when rendered)
        self._order = 0

    # --- finding
    def resource(self, rtype: str, name: str) -> Any:
        for b in self.blocks:
            if b.type == "resource" and b.labels == (rtype, name):
                return b
        return None

    def resources(self, rtype: str | None = None) -> list[Any]:
        return [b for b in self.blocks if b.type == "resource"
                and (rtype is None or b.labels[0] == rtype)]

    def block_at(self, line: int) -> Any:
        for b in self.blocks:
            if b.line == line:
                return b
        return None

    def open_brace(self, line: int) -> int:
        """Offset of the `{` that opens the block starting at 1-based `line`."""
        start = self._starts[line - 1]
        i = start
        while i < len(self.text):
            c = self.text[i]
            if c == '"':
                i = self._string_end(i)
                continue
            if c == "{":
                return i
            i += 1
        raise Unpatchable(f"no block opens at line {line} of {self.path}")

    def close_brace(self, open_at: int) -> int:
        depth, i, text = 0, open_at, self.text
        while i < len(text):
            c = text[i]
            if c == '"':
                i = self._string_end(i)
                continue
            if c == "#" or text.startswith("//", i):
                i = text.find("\n", i)
                i = len(text) if i < 0 else i
                continue
            if text.startswith("/*", i):
                j = text.find("*/", i + 2)
                i = len(text) if j < 0 else j + 2
                continue
            if text.startswith("<<", i):
                m = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n").match(text, i)
                if m:
                    end = re.compile(rf"^[ \t]*{re.escape(m.group(1))}[ \t]*$", re.MULTILINE)
                    found = end.search(text, m.end())
                    i = found.end() if found else len(text)
                    continue
            if c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        raise Unpatchable(f"unbalanced braces in {self.path}")

    def _string_end(self, i: int) -> int:
        text, j, interp = self.text, i + 1, 0
        while j < len(text):
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if text.startswith("${", j) or text.startswith("%{", j):
                interp += 1
                j += 2
                continue
            if c == "}" and interp:
                interp -= 1
            elif c == '"' and not interp:
                return j + 1
            elif c == "\n" and not interp:
                return j
            j += 1
        return j

    def nested(self, block: Any, *names: str) -> Any:
        """The nested block at `names` inside `block` (None when missing)."""
        node = block
        for n in names:
            node = next((b for b in node.blocks if b.type == n), None)
            if node is None:
                return None
        return node

    # --- editing
    def _splice(self, start: int, end: int, text: str) -> None:
        self._order += 1
        self.splices.append(_Splice(start, end, text, self._order))

    def indent_of(self, line: int) -> int:
        raw = self.text[self._starts[line - 1]:self._starts[line]] if line < len(
            self._starts) else ""
        return len(raw) - len(raw.lstrip(" "))

    def insert(self, block: Any, entries: list[tuple[str, Any]]) -> None:
        """Add attributes / nested blocks at the end of `block`, as a new run (entries
        added to one block by several edits form one run)."""
        open_at = self.open_brace(block.line)
        close_at = self.close_brace(open_at)
        inner = self.text[open_at + 1:close_at]
        line_start = self.text.rfind("\n", 0, close_at) + 1
        if inner.strip() and self.text[line_start:close_at].strip():
            raise Unpatchable(f"the block at line {block.line} of {self.path} closes on a "
                              "line with other content")
        pending = self.inserts.setdefault(close_at, (open_at, self.indent_of(block.line) + 2,
                                                     []))
        for key, value in entries:
            pending[2][:] = [(k, v) for k, v in pending[2] if k != key or
                             isinstance(v, Nested)]
            pending[2].append((key, value))

    def _removal_splices(self) -> list[_Splice]:
        """Removed blocks' spans, adjacent or overlapping ones merged."""
        out: list[_Splice] = []
        for start, end in sorted(self.removals):
            if out and start <= out[-1].end:
                out[-1].end = max(out[-1].end, end)
            else:
                out.append(_Splice(start, end, "", 0))
        return out

    def _insert_splices(self) -> list[_Splice]:
        out = []
        for close_at, (open_at, indent, entries) in sorted(self.inserts.items()):
            lines = body_lines(entries, indent)
            inner = self.text[open_at + 1:close_at]
            if not inner.strip():  # `{}` or `{\n}`
                out.append(_Splice(open_at + 1, close_at, "\n" + "\n".join(lines) + "\n"
                                   + " " * (indent - 2), 0))
                continue
            line_start = self.text.rfind("\n", 0, close_at) + 1
            prev_end = line_start - 1
            prev_start = self.text.rfind("\n", 0, max(prev_end, 0)) + 1
            blank = not self.text[prev_start:prev_end].strip()
            # after the last line of content: a blank line, then the new run
            out.append(_Splice(line_start, line_start,
                               ("" if blank else "\n") + "\n".join(lines) + "\n", 0))
        return out

    def set_value(self, block: Any, key: str, value: Any) -> None:
        """Replace a single-line attribute's value (insert it when missing)."""
        line = block.attr_lines.get(key) if hasattr(block, "attr_lines") else None
        if key not in block.attrs or not line:
            self.insert(block, [(key, value)])
            return
        start, end = self._starts[line - 1], self._starts[line]
        raw = self.text[start:end]
        m = re.match(rf"^(\s*{re.escape(key)}\s*=\s*)(.*?)(\s*(#.*|//.*)?)(\r?\n)?$", raw)
        if not m or m.group(2).rstrip().endswith(("{", "[", "(")):
            raise Unpatchable(f"{key} at line {line} of {self.path} spans several lines")
        new = value_lines(value, self.indent_of(line))
        if len(new) != 1:
            raise Unpatchable(f"{key} needs a multi-line value")
        self._splice(start + m.start(2), start + m.end(2), new[0])

    def delete_attr(self, block: Any, key: str) -> None:
        """Remove a single-line attribute (nothing when it is not set)."""
        line = block.attr_lines.get(key) if hasattr(block, "attr_lines") else None
        if key not in block.attrs or not line:
            return
        if self.raw_value(block, key) is None or self.raw_value(block, key).endswith(
                ("{", "[", "(")):
            raise Unpatchable(f"{key} at line {line} of {self.path} spans several lines")
        self._splice(self._starts[line - 1], self._starts[line], "")

    def raw_value(self, block: Any, key: str) -> str | None:
        """The source text of a single-line attribute's value, or None."""
        line = block.attr_lines.get(key) if hasattr(block, "attr_lines") else None
        if not line:
            return None
        raw = self.text[self._starts[line - 1]:self._starts[line]]
        m = re.match(rf"^\s*{re.escape(key)}\s*=\s*(.*?)\s*(#.*|//.*)?$", raw.rstrip("\r\n"))
        return m.group(1) if m else None

    def remove(self, block: Any) -> None:
        """Delete a top-level block: its lines, the comment lines directly above it and
        one blank line after it."""
        open_at = self.open_brace(block.line)
        close_at = self.close_brace(open_at)
        first = block.line - 1
        lines = self.text.splitlines(keepends=True)
        while first > 0 and lines[first - 1].lstrip().startswith(("#", "//")):
            first -= 1
        end = self.text.find("\n", close_at)
        end = len(self.text) if end < 0 else end + 1
        if end < len(self.text) and self.text[end:end + 1] == "\n":
            end += 1
        elif first > 0 and not lines[first - 1].strip() and end >= len(self.text):
            first -= 1  # the file's last block: its blank line above goes
        start = self._starts[first]
        if any(s.start < end and start < s.end for s in self.splices):
            raise Unpatchable(f"the block at line {block.line} of {self.path} is edited and "
                              "removed at once")
        self.removals.append((start, end))
        self.removed.add(block.line)

    def append(self, text: str) -> None:
        self.appended.append(text)

    def snapshot(self) -> Any:
        import copy

        return (list(self.splices), list(self.appended), self._order,
                copy.deepcopy(self.inserts), set(self.removed), list(self.removals))

    def restore(self, snap: Any) -> None:
        import copy

        self.splices, self.appended, self._order = list(snap[0]), list(snap[1]), snap[2]
        self.inserts = copy.deepcopy(snap[3])
        self.removed = set(snap[4])
        self.removals = list(snap[5])

    def render(self) -> str:
        out, pos = [], 0
        splices = self.splices + self._insert_splices() + self._removal_splices()
        for s in sorted(splices, key=lambda s: (s.start, s.end, s.order)):
            if s.start < pos:
                raise Unpatchable("two edits overlap")
            out.append(self.text[pos:s.start])
            out.append(s.text)
            pos = s.end
        out.append(self.text[pos:])
        text = "".join(out)
        if self.appended:
            if text and not text.endswith("\n"):
                text += "\n"
            elif text.endswith("\n\n") and self.removals:
                text = text.rstrip("\n") + "\n"  # a removed last block left its blank line
            text += "".join("\n" + block for block in self.appended)
        return text
