"""What a JavaScript / TypeScript handler does with its batch, its errors and the results
of batch APIs: the facts of facts_python.py, read from the code text (comments dropped)
with the bracket matching of javascript.py. Recorded only when the code shows them beyond
doubt; a value the scan cannot follow (returned, passed on, chained with `.then`)
records nothing.

- `first-record-only`: every `Records` read takes `[0]` (`event.Records[0]`,
  `event?.Records?.[0]`, `event["Records"][0]`, `const [record] = event.Records`), at
  least one on the handler's event parameter, and the event is not destructured;
- `catch-all`: `try { ... } catch (e) { ... }` (JavaScript catches every error) around an
  SDK call (or a call to a function of the file that makes one) whose catch block does
  not `throw`, reject, call back with the error, exit, or record the failure; and
  `Promise.allSettled(...)` in a function that makes SDK calls, whose outcomes that
  function at most logs (every rejection becomes a result no one rethrows);
- `per-record-call`: an SDK call that changes something (or an HTTP call) inside a loop
  over the records (`for (... of event.Records)`, `for (...; i < event.Records.length; ...)`,
  `event.Records.map/forEach(...)`), directly or in a function of the file called there;
- `unchecked-result`: the result of a batch API (data.yaml `batch_results`) is discarded
  (`await client.send(new PutEventsCommand(...))`) or only logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from advisor.importers.handlers.verdict import (
    Evidence,
    SdkCall,
    batch_result_fields,
    changes_something,
    data,
    norm,
)


@dataclass(frozen=True)
class CallSite:
    """Where an SDK call was found: `pos` its first character (the client variable, or
    `new` of a v3 command), `open_paren` its argument list's `(`."""

    pos: int
    open_paren: int
    call: SdkCall
    command: bool  # a v3 `new XCommand(...)`, sent with `client.send(...)`


_RECORDS = re.compile(r"(?:\?\.|\.)\s*Records\b|\[\s*['\"]Records['\"]\s*\]")
_RECORDS_WORD = re.compile(r"(?<![\w$'\"])Records(?![\w$'\"])")
_ZERO = re.compile(r"\s*(?:\?\.)?\[\s*0\s*\]")
_DESTRUCTURE_FIRST = re.compile(r"\[\s*[A-Za-z_$][\w$]*\s*\]\s*=\s*(?:await\s+)?$")
_EVENT_DESTRUCTURED = re.compile(r"\}\s*(?::\s*[\w.<>\[\]]+\s*)?=\s*(?:await\s+)?(?:event|evt)\b"
                                 r"|\(\s*\{[^}]*\bRecords\b[^}]*\}")
_TRY = re.compile(r"\btry\s*\{")
_CATCH = re.compile(r"\s*catch\s*(?:\(([^)]*)\))?\s*\{")
_RECORDS_FAILURE = re.compile(
    r"\bthrow\b|\breject\s*\(|\bcallback\s*\(\s*(?!null\b|undefined\b)[A-Za-z_$]|"
    r"\bcontext\s*\.\s*fail\s*\(|\bprocess\s*\.\s*exit\s*\(|\.\s*(?:push|add|set)\s*\(|"
    r"[Ff]ail|\bitemIdentifier\b")
_FUNCTION = re.compile(
    r"\bfunction\s+([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*(?::\s*[^{]+)?\{|"
    r"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)"
    r"\s*(?::\s*[^=]+)?=>\s*\{")
_LOG_LINE = re.compile(r"^\s*(?:await\s+)?(?:console|logger|log|LOGGER|tracer|metrics)\s*\.")


@dataclass(frozen=True)
class Loop:
    """A loop of the code: `over` the text of what it iterates, its body from `start` to
    `end` (a `for` block or statement, or the arguments of `.map(...)`)."""

    over: str
    start: int
    end: int
    # a loop over no one value (`while (more)`, `do`, `for (let i = 0; ...)`): how it is
    # written, for a fact's text
    how: str = ""


def handler_facts(code: str, sites: list[CallSite], handler_params: set[str],
                  balanced, records: Callable[[str], bool]) -> list[Evidence]:  # type: ignore[no-untyped-def]
    """`records(text)`: the value is a part of the event itself (its records:
    javascript._JsOrigins.read_from_event)."""
    def line_at(pos: int) -> int:
        return code.count("\n", 0, pos) + 1

    out: list[Evidence] = []
    first = _first_record_only(code, handler_params)
    if first is not None:
        out.append(Evidence(line_at(first), "first-record-only",
                            "reads only event.Records[0], never the other records of the batch"))
    bodies = _function_bodies(code, balanced) if sites else []
    for pos, text in (*_catch_all(code, sites, bodies, balanced),
                      *_settled_all(code, sites, bodies, balanced)):
        out.append(Evidence(line_at(pos), "catch-all", text))
    for site, how in _unchecked(code, sites, balanced):
        fields = batch_result_fields(site.call)
        out.append(Evidence(site.call.line, "unchecked-result",
                            f"{site.call.text()}: {how}, so {fields[0]} is never read"
                            " (failed entries come back in the response, not as an error)"))
    every = loops(code, balanced) if sites else []
    writes = [s for s in sites if changes_something(s.call)]
    found = _per_record(code, every, writes, bodies, records, False, http=True)
    if found is not None:
        out.append(Evidence(line_at(found[0]), "per-record-call", found[1]))
    aux = set(data()["aux_services"]) | set(data()["sdk_libraries"])
    reads = [s for s in sites if not changes_something(s.call) and norm(s.call.service) not in aux]
    found = _per_record(code, every, reads, bodies, records, True, http=False)
    if found is not None:
        out.append(Evidence(line_at(found[0]), "per-record-read", found[1]))
    return out


@cache
def _defines(name: str) -> re.Pattern[str]:
    """`function fetch(`, `const fetch = (...) =>` / `= async function`: the module
    writes its own function of that name (a `const fetch = require("node-fetch")` is
    still the client)."""
    n = re.escape(name)
    return re.compile(rf"\bfunction\s*\*?\s*{n}\s*\(|\b(?:const|let|var)\s+{n}\s*"
                      rf"(?::[^=;]+)?=\s*(?:async\s*)?(?:function\b|\([^()]*\)\s*=>|"
                      rf"[A-Za-z_$][\w$]*\s*=>)")


def defines_function(code: str, name: str) -> bool:
    """The module writes its own function `name` (see _defines)."""
    return _defines(name).search(code) is not None


# ------------------------------------------------------------------ Records[0] only
def _first_record_only(code: str, handler_params: set[str]) -> int | None:
    if _EVENT_DESTRUCTURED.search(code):
        return None
    accesses = list(_RECORDS.finditer(code))
    spans = {m.start() + m.group(0).index("Records") for m in accesses}
    for word in _RECORDS_WORD.finditer(code):
        if word.start() in spans:
            continue
        rest = code[word.end():word.end() + 3]
        if re.match(r"\s*:", rest) or code[word.start() - 1:word.start()] in ("'", '"'):
            continue  # an object key (PutRecords' `Records: [...]`), not a read
        return None  # `Records` used as a variable
    first: list[int] = []
    for m in accesses:
        root = re.search(r"([A-Za-z_$][\w$]*)\s*$", code[:m.start()])
        if _ZERO.match(code, m.end()):
            if root and root.group(1) in handler_params:
                first.append(m.start())
            continue
        if root and root.group(1) in handler_params and \
                _DESTRUCTURE_FIRST.search(code[:root.start()]):
            first.append(m.start())
            continue
        return None  # iterated, counted, passed on: the batch is seen
    return min(first) if first else None


# ------------------------------------------------------------------ per-record calls
_FOR = re.compile(r"\bfor\s*(?:await\s*)?\(")
_WHILE = re.compile(r"\bwhile\s*\(|\bdo\s*(?=\{)")
_FOR_OF = re.compile(r"\s*(?:(?:const|let|var)\s+)?(?:[A-Za-z_$][\w$]*|\[[^\]]*\]|\{[^}]*\})"
                     r"\s+(?:of|in)\s+([\s\S]+)$")
_FOR_LENGTH = re.compile(r"<=?\s*([A-Za-z_$][\w$.?\[\]'\"]*?)\s*(?:\?\.|\.)\s*length\b")
_ITERATE = re.compile(r"(?:\?\.|\.)\s*(?:map|forEach|flatMap)\s*\(")
_STATEMENT = re.compile(r"[^;\n]*")
_CALLBACK = re.compile(r"\(\s*([A-Za-z_$][\w$]*)\s*\)")
MAX_RECEIVER = 400  # characters of the expression before `.map(` read back


def loops(code: str, balanced) -> list[Loop]:  # type: ignore[no-untyped-def]
    """The loops of the code, in order: `for (x of/in EXPR)`, `for (...; i < EXPR.length;
    ...)`, `EXPR.map/forEach/flatMap(...)`; any other `for`, a `while` and a `do` with
    what they iterate as their header (`for (let i = 0; i < N; i++)`, `while (more)`:
    no part of the event, but a loop)."""
    out = []
    for m in [*_FOR.finditer(code), *_WHILE.finditer(code)]:
        header = balanced(code, m.end() - 1) if m.group(0).endswith("(") else ""
        inner = header[1:-1]
        of = _FOR_OF.match(inner) if m.group(0).startswith("for") and ";" not in inner else None
        length = _FOR_LENGTH.search(inner) if of is None else None
        over = of.group(1) if of else length.group(1) if length else inner
        body = m.end() - 1 + len(header) if header else m.end()
        while body < len(code) and code[body].isspace():
            body += 1
        if m.group(0).startswith("while") and code[body:body + 1] == ";":
            continue  # the `while (...)` closing a `do { ... }`
        end = body + len(balanced(code, body)) if code[body:body + 1] == "{" else \
            _STATEMENT.match(code, body).end()  # type: ignore[union-attr]
        word = m.group(0).split("(")[0].strip()
        how = "" if of or length else \
            "do ... while" if word == "do" else f"{word} {' '.join(inner.split())}"
        out.append(Loop(over.strip(), body, end, how))
    for m in _ITERATE.finditer(code):
        receiver = _receiver(code, m.start())
        if receiver:
            start = m.end() - 1
            out.append(Loop(receiver, start, start + len(balanced(code, start))))
    return sorted(out, key=lambda loop: loop.start)


def _receiver(code: str, dot: int) -> str:
    """The expression before `.map(` at `dot`: names, members, calls and brackets,
    read backwards (`event.Records`, `(event.Records || [])`, `JSON.parse(r.body).items`)."""
    i = dot
    while i > 0 and code[i - 1].isspace():
        i -= 1
    end = i
    stop = max(0, end - MAX_RECEIVER)  # a longer receiver (a minified bundle) is not read
    while i > stop:
        ch = code[i - 1]
        if ch.isalnum() or ch in "_$.?":
            i -= 1
        elif ch in ")]":
            opener, depth = "(" if ch == ")" else "[", 0
            j = i - 1
            while j >= stop:
                depth += (code[j] == ch) - (code[j] == opener)
                if depth == 0:
                    break
                j -= 1
            if j < stop:
                return ""
            i = j
        else:
            break
    return code[i:end].strip() if i > stop or stop == 0 else ""


def _per_record(code: str, every: list[Loop], wanted: list[CallSite],
                bodies: list[tuple[str, int, int]], records: Callable[[str], bool],
                any_loop: bool, http: bool) -> tuple[int, str] | None:
    """The first of `wanted` (or, with `http`, an HTTP call) made in a loop over the
    event's records (`records`), directly or in a function of the file called there;
    with `any_loop`, in any loop, said so (facts_python._in_record_loop, for
    JavaScript)."""
    makers = _functions_with_calls(bodies, wanted)
    clients = [n for n in data()["http_js"] if "." not in n and not defines_function(code, n)] \
        if http else []
    if not wanted and not clients:
        return None
    for loop in every:
        # what the loop makes, found before what it iterates is read (most loops make no
        # call: their expression is not worked out)
        made = [(s.pos, s.call.text(), "") for s in wanted if loop.start <= s.pos < loop.end]
        body = code[loop.start:loop.end]
        for c in re.finditer(r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*\(", body):
            name = c.group(1)
            if name in makers:
                made.append((loop.start + c.start(), makers[name].text(), f" (through {name})"))
            elif name in clients:
                made.append((loop.start + c.start(), f"an HTTP call ({name})", ""))
        callback = _CALLBACK.fullmatch(body)  # `.map(processRecord)`: called for each item
        if callback and callback.group(1) in makers:
            name = callback.group(1)
            made.append((loop.start, makers[name].text(), f" (through {name})"))
        if not made:
            continue
        if records(loop.over):
            each = "for each record"
        elif any_loop:
            over = " ".join((loop.how or loop.over).split()).replace("; ", ", ")
            over = over if len(over) <= 40 else over[:37] + "..."
            each = f"in a loop ({over})" if loop.how else f"for each item of {over}"
        else:
            continue
        pos, what, through = min(made)
        return pos, f"{what} {each}{through}"
    return None


# ------------------------------------------------------------------ catch-all
def _functions_with_calls(bodies: list[tuple[str, int, int]],
                          sites: list[CallSite]) -> dict[str, SdkCall]:
    """Functions of the file by name -> the first of `sites` in their body."""
    out: dict[str, SdkCall] = {}
    for name, body_start, body_end in bodies if sites else ():
        inside = [s for s in sites if body_start <= s.pos < body_end]
        if name and inside:
            out.setdefault(name, inside[0].call)
    return out


def _function_bodies(code: str, balanced) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    """(name, start, end) of the body of each function `_FUNCTION` finds (worked out
    once: the catch-all and the per-record checks both ask)."""
    found = []
    for m in _FUNCTION.finditer(code):
        body_start = m.end() - 1
        found.append((m.group(1) or m.group(2), body_start,
                      body_start + len(balanced(code, body_start))))
    return found


def _catch_all(code: str, sites: list[CallSite], bodies: list[tuple[str, int, int]],
               balanced) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    makers = _functions_with_calls(bodies, sites)
    out = []
    handling: list[tuple[int, int]] = []  # catch blocks: a try inside one handles the handling
    for m in _TRY.finditer(code):
        if any(lo <= m.start() < hi for lo, hi in handling):
            continue
        body_start = m.end() - 1
        body = balanced(code, body_start)
        body_end = body_start + len(body)
        c = _CATCH.match(code, body_end)
        if c is None:
            continue  # try/finally: nothing is caught
        catch_start = c.end() - 1
        catch_body = balanced(code, catch_start)
        catch_end = catch_start + len(catch_body)
        handling.append((catch_start, catch_end))
        around = [s.call for s in sites if body_start <= s.pos < body_end]
        if not around:
            called = [makers[n] for n in re.findall(r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*\(", body)
                      if n in makers]
            around = called[:1]
        if not around:
            continue
        if any(catch_start <= s.pos < catch_end for s in sites) or \
                _RECORDS_FAILURE.search(catch_body):
            continue
        written = f"catch ({c.group(1).strip()})" if c.group(1) is not None else "catch"
        out.append((c.start() + c.group(0).index("catch"),
                    f"`{written}` catches every error around {around[0].text()} (line"
                    f" {around[0].line}) and does not rethrow"))
    return out


_ALL_SETTLED = re.compile(r"\bPromise\s*\.\s*allSettled\s*\(")


def _settled_all(code: str, sites: list[CallSite], bodies: list[tuple[str, int, int]],
                 balanced) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """`Promise.allSettled(...)` in the function that makes the SDK calls it waits for,
    its outcomes at most logged there: a rejection is settled into a result, and nothing
    after it rethrows, rejects or records a failure (`_RECORDS_FAILURE`), so the
    invocation succeeds whatever failed. Nothing is recorded when the outcomes leave the
    function (returned, chained with `.then`, passed on), which the scan does not follow."""
    out = []
    for m in _ALL_SETTLED.finditer(code):
        around = [(lo, hi) for _, lo, hi in bodies if lo <= m.start() < hi]
        lo, hi = min(around, key=lambda span: span[1] - span[0]) if around else (0, len(code))
        inside = [s.call for s in sites if lo <= s.pos < hi]
        if not inside:
            continue
        close = m.end() - 1 + len(balanced(code, m.end() - 1))
        prefix = _statement_prefix(code, m.start())
        named = re.fullmatch(r"\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:await\s*)?",
                             prefix)
        if named is None and not re.fullmatch(r"\s*await\s*", prefix):
            continue  # returned, passed on or kept in a way not read here
        after = code[close:hi]
        if re.match(r"\s*\.\s*then\b", after) or _RECORDS_FAILURE.search(after):
            continue
        if named is not None and re.search(
                rf"\breturn\b[^;\n]*(?<![\w$.]){re.escape(named.group(1))}(?![\w$])", after):
            continue
        out.append((m.start(), f"`Promise.allSettled` settles every error of {inside[0].text()}"
                    f" (line {inside[0].line}) and nothing rethrows a rejection"))
    return out


# ------------------------------------------------------------------ batch results
def _statement_prefix(code: str, pos: int) -> str:
    """The code of the statement before `pos`: from the last `;`, `{` or `}`, or the start
    of the line (code without semicolons), unless the line before continues into it
    (`const result =` / `await` / an open call)."""
    start = max(code.rfind(ch, 0, pos) for ch in ";{}")
    lines = code[start + 1:pos].split("\n")
    out = lines[-1]
    for prev in reversed(lines[:-1]):
        if not prev.rstrip().endswith(("=", "await", "(", ",")):
            break
        out = prev + "\n" + out
    return out


def _end_of(code: str, open_paren: int, balanced) -> int:  # type: ignore[no-untyped-def]
    end = open_paren + len(balanced(code, open_paren))
    m = re.match(r"\s*\.\s*promise\s*\(\s*\)", code[end:])
    return end + (m.end() if m else 0)


def _unchecked(code: str, sites: list[CallSite], balanced) -> list[tuple[CallSite, str]]:  # type: ignore[no-untyped-def]
    out = []
    for site in sites:
        fields = batch_result_fields(site.call)
        if not fields:
            continue
        start, open_paren = site.pos, site.open_paren
        prefix = _statement_prefix(code, start)
        if site.command:
            sent = re.search(r"([A-Za-z_$][\w$.]*)\s*\.\s*send\s*\(\s*$", prefix)
            if sent is None:
                var = re.fullmatch(r"\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*", prefix)
                if var is None:
                    continue
                use = re.search(r"([A-Za-z_$][\w$.]*)\s*\.\s*send\s*\(\s*" + re.escape(var.group(1))
                                + r"\s*\)", code[start:])
                if use is None:
                    continue
                start = start + use.start()
                open_paren = start + use.group(0).index("(", len(use.group(1)))
                prefix = _statement_prefix(code, start)
            else:
                prefix = prefix[:sent.start()]
                open_paren = code.rfind("(", 0, start)
        how = _how_used(code, prefix, _end_of(code, open_paren, balanced), fields)
        if how:
            out.append((site, how))
    return out


def _how_used(code: str, prefix: str, end: int, fields: tuple[str, ...]) -> str | None:
    after = code[end:end + 40]
    if re.fullmatch(r"\s*(?:await\s+)?", prefix):
        return "the result is discarded" if re.match(r"\s*(?:;|\n|\}|$)", after) else None
    m = re.fullmatch(r"\s*(?:(?:const|let|var)\s+)?([A-Za-z_$][\w$]*)\s*(?::\s*[^=]+)?=\s*"
                     r"(?:await\s+)?", prefix)
    if m and re.match(r"\s*(?:;|\n|\}|$)", after):
        return _var_use(code, m.group(1), end, fields)
    d = re.fullmatch(r"\s*(?:const|let|var)\s*\{([^}]*)\}\s*=\s*(?:await\s+)?", prefix)
    if d:
        keys = {k.split(":")[0].strip() for k in d.group(1).split(",")}
        return None if keys & set(fields) else "the fields it reads do not include failures"
    return None


def _var_use(code: str, var: str, end: int, fields: tuple[str, ...]) -> str | None:
    lines = code.split("\n")
    for u in re.finditer(r"(?<![\w$.])" + re.escape(var) + r"(?![\w$])", code[end:]):
        pos = end + u.end()
        rest = code[pos:pos + 60]
        if any(re.match(rf"\s*(?:\?\.|\.)\s*{f}\b|\s*(?:\?\.)?\[\s*['\"]{f}['\"]", rest)
               for f in fields):
            return None  # checked
        line = lines[code.count("\n", 0, pos)]
        if _LOG_LINE.match(line):
            continue
        return None  # returned, passed on, stored: not followed
    return f"`{var}` is only logged or unused"
