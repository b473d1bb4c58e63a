"""The JSON report: `Report.to_dict()` (contract: docs/internals.md, "The JSON report"),
sorted keys, stable bytes.

The bytes are exactly those of `json.dumps(report.to_dict(), sort_keys=True, indent=2,
ensure_ascii=False)`, produced about ten times faster with orjson:

- each result is encoded on its own (`encode_result`), so a batch worker or the result
  cache can hand over a result already encoded (`fragments=`) and the report is only
  assembled here;
- orjson writes some floats differently from Python (`0.0000166667` or `1e-7` where
  `json` writes `1.66667e-05` and `1e-07`); those tokens are rewritten to Python's
  `repr` (the same double, so the same shortest digits). In indented JSON a number
  value always stands alone on its line, which makes the rewrite exact;
- anything orjson refuses (an integer beyond 64 bits, a lone surrogate) falls back to
  the standard library for that result.

`jsonl` (`write_lines`) is one compact result per line, then one line with the summary,
for streaming a large batch without holding the report in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    orjson = None  # type: ignore[assignment]

_OPTS = 0 if orjson is None else (
    orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATACLASS)
_COMPACT = 0 if orjson is None else (
    orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS)
# floats orjson writes unlike `repr`: below 1e-4 in positional form, or any negative
# exponent (repr pads it to two digits)
_SUSPECT = re.compile(rb"\d(?:\.\d+)?e-\d|0\.0000\d")
# a line whose value is one number (indented JSON puts every number on its own line)
_NUMBER_LINE = re.compile(
    rb'( *(?:"(?:[^"\\]|\\.)*": )?)(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(,?)')


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def _dumps_stdlib(data: Any) -> bytes:
    import json

    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False,
                      default=_default).encode("utf-8", errors="surrogatepass")


def _suspects(out: bytes) -> list[int]:
    """Where `_SUSPECT` matches in `out`, in order (at least one position in each line it
    matches in): found with `bytes.find` for what every match holds (`e-` between
    digits, `0.0000` and a digit), ten times faster than the regex over the whole text
    of a large report, most of which is digits."""
    at: list[int] = []
    for needle, before, after in ((b"e-", 1, 2), (b"0.0000", 0, 6)):
        i = out.find(needle)
        while i != -1:
            if (i >= before and out[i - before:i - before + 1].isdigit() if before else True) \
                    and out[i + after:i + after + 1].isdigit():
                at.append(i)
            i = out.find(needle, i + 1)
    at.sort()
    return at


def _python_floats(out: bytes) -> bytes:
    """Rewrite the number tokens orjson formats unlike Python's repr (see the docstring)."""
    hits = _suspects(out)
    if not hits:
        return out
    pieces: list[bytes] = []
    done = 0
    seen = -1
    for hit in hits:
        start = out.rfind(b"\n", 0, hit) + 1
        if start < done or start == seen:
            continue  # this line was handled already
        seen = start
        end = out.find(b"\n", hit)
        end = len(out) if end == -1 else end
        line = _NUMBER_LINE.fullmatch(out, start, end)
        if line is None:
            continue  # the match is inside a string
        number = line.group(2)
        fixed = repr(float(number)).encode() if b"." in number or b"e" in number \
            else number
        pieces += [out[done:line.start(2)], fixed]
        done = line.end(2)
    pieces.append(out[done:])
    return b"".join(pieces)


def encode(data: Any) -> bytes:
    """`json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)`, as UTF-8."""
    if orjson is None:
        return _dumps_stdlib(data)
    try:
        return _python_floats(orjson.dumps(data, default=_default, option=_OPTS))
    except (TypeError, ValueError, orjson.JSONEncodeError):
        return _dumps_stdlib(data)


def decode(data: bytes) -> Any:
    """What `encode` wrote, read back (the same values: a float is the same double)."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits: json reads it
            pass
    import json

    return json.loads(data)


def encode_result(result: Any, show_blocked: bool = False) -> bytes:
    """One result's JSON, at the top level (`write` indents it into the report);
    `show_blocked`: with what rules would have flagged but for a reason."""
    return encode(result.to_dict(show_blocked) if show_blocked else result.to_dict())


def _indent(fragment: bytes, by: bytes) -> bytes:
    return by + fragment.replace(b"\n", b"\n" + by)


def report_bytes(report: Any, fragments: Iterable[bytes | None] | None = None) -> bytes:
    """The whole report; `fragments[i]`, when given, is `encode_result(results[i])`."""
    from advisor.gcpause import paused

    results = list(report.results)
    given = list(fragments) if fragments is not None else [None] * len(results)
    shown = bool(getattr(report, "show_blocked", False))
    with paused():  # a large design's report is millions of small objects
        encoded = [frag if frag is not None else encode_result(r, shown)
                   for r, frag in zip(results, given, strict=True)]
        head = encode(_top_level(report))
    if not encoded:
        return head + b"\n"
    marker = b'  "results": []'
    at = head.index(marker)
    pieces = [head[:at], b'  "results": [\n']
    for i, frag in enumerate(encoded):
        if i:
            pieces.append(b",\n")
        pieces.append(_indent(frag, b"    "))
    pieces += [b"\n  ]", head[at + len(marker):], b"\n"]
    return b"".join(pieces)


class _Encoded:
    """A result whose JSON is already encoded: `Report.to_dict()` gets a placeholder for
    it, everything else (the summary reads findings, errors, estimates) reads through."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def to_dict(self, *_: Any) -> None:
        return None


def _top_level(report: Any) -> dict[str, Any]:
    """`report.to_dict()` with `"results": []`, without converting any result: whatever
    the report puts at its top level (schema version, summary, ...) is kept."""
    proxy = object.__new__(type(report))  # a shallow copy (copy.copy is slower here)
    proxy.__dict__.update(vars(report))
    proxy.results = [_Encoded(r) for r in report.results]
    top = dict(proxy.to_dict())
    top["results"] = []
    return top


def write(report: Any, *, indent: int = 2, fragments: Iterable[bytes | None] | None = None,
          **_: Any) -> str:
    if indent != 2:
        import json

        return json.dumps(report.to_dict(), sort_keys=True, indent=indent,
                          ensure_ascii=False, default=_default) + "\n"
    return report_bytes(report, fragments).decode("utf-8", errors="surrogatepass")


def line(data: Any) -> bytes:
    """One compact JSON line (sorted keys) for `jsonl`, newline included."""
    if orjson is not None:
        try:
            return orjson.dumps(data, default=_default, option=_COMPACT) + b"\n"
        except (TypeError, ValueError, orjson.JSONEncodeError):
            pass
    import json

    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_default).encode("utf-8", errors="surrogatepass") + b"\n"


def result_line(fragment: bytes) -> bytes:
    """The `jsonl` line of a result from its indented fragment (`encode_result`)."""
    if orjson is not None:
        try:
            return orjson.dumps(orjson.loads(fragment), option=_COMPACT) + b"\n"
        except (TypeError, ValueError, orjson.JSONEncodeError):
            pass
    import json

    return line(json.loads(fragment))


def summary_line(report: Any) -> bytes:
    """The last `jsonl` line: the report's top level without the results."""
    top = _top_level(report)
    del top["results"]
    return line(top)


def write_lines(report: Any, *, fragments: Iterable[bytes | None] | None = None,
                **_: Any) -> str:
    """`jsonl`: one line per result, in input order, then `{"schema_version", "summary"}`."""
    results = list(report.results)
    given = list(fragments) if fragments is not None else [None] * len(results)
    shown = bool(getattr(report, "show_blocked", False))
    out = [result_line(f if f is not None else encode_result(r, shown))
           for r, f in zip(results, given, strict=True)]
    out.append(summary_line(report))
    return b"".join(out).decode("utf-8", errors="surrogatepass")


__all__ = ["decode", "encode", "encode_result", "line", "report_bytes", "result_line", "summary_line",
           "write", "write_lines"]
