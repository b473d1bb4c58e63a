"""The line markers of data.yaml (`markers_python`, `markers_js`) in a handler's code.

A marker is a regular expression matched line by line: comment lines and import lines are
skipped (importing a helper is not using it), and each line that matches is recorded
with the text it matched. Most markers appear in no line of a given file, so each is
first looked for as plain text: the longest run of literal characters every match of
the pattern contains (`aws_access_key_id` of `\\baws_access_key_id\\s*=`), found once
per pattern; a line (or the whole code) that does not hold it is not searched.
"""

from __future__ import annotations

import re

from advisor.importers.handlers.verdict import Evidence

_IMPORT_LINE = re.compile(
    r"^\s*(?:import\b|from\s+\S+\s+import\b|(?:const|let|var)\s.*\brequire\s*\()")
_compiled: dict[str, tuple[re.Pattern[str], str]] = {}


def required_text(pattern: str) -> str:
    """The longest run of characters every match of `pattern` holds, in order: its
    top-level literals (not those inside groups, branches or repeats); "" when there is
    none or the pattern ignores case."""
    try:
        from re import _parser  # the standard library's own reading of the pattern

        parsed = _parser.parse(pattern)
    except Exception:  # an unreadable pattern is only not pre-checked
        return ""
    if parsed.state.flags & re.IGNORECASE:
        return ""
    best = run = ""
    for op, arg in parsed.data:
        if op == _parser.LITERAL:
            run += chr(arg)
            best = run if len(run) > len(best) else best
        else:
            run = ""
    return best


def _pattern(pattern: str) -> tuple[re.Pattern[str], str]:
    """(the compiled pattern, the text each match holds), worked out once a pattern."""
    found = _compiled.get(pattern)
    if found is None:
        found = _compiled[pattern] = (re.compile(pattern), required_text(pattern))
    return found


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, code) of the lines markers are looked for in: an import line as
    an empty line, a `#` comment cut when the line holds no quote, comment lines left out."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if _IMPORT_LINE.match(line):
            out.append((i, ""))
            continue
        code = line.split("#", 1)[0] if "#" in line and "'" not in line \
            and '"' not in line else line
        if code.lstrip().startswith("#"):
            continue
        out.append((i, code))
    return out


def markers(text: str, table: dict[str, list[str]]) -> list[Evidence]:
    """data.yaml markers found in the code, with their line."""
    wanted = [(kind, *_pattern(pat)) for kind, patterns in table.items() for pat in patterns]
    wanted = [w for w in wanted if w[2] in text]  # a code line is a part of the text
    if not wanted:
        return []
    out = []
    lines = _code_lines(text)
    for kind, rx, needed in wanted:
        for i, code in lines:
            if needed not in code:
                continue
            m = rx.search(code)
            if m:
                out.append(Evidence(i, kind, m.group(0).strip().rstrip("(").strip()))
    return out
