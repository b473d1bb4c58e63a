"""Rule documentation from the pattern YAML: one Markdown page (docs/patterns.md, written
by tools/gen_pattern_docs.py) and the text of `advisor explain`. The YAML is the single
source; nothing here is hand-written per rule. It sits above the engine (it reads DSL
examples and runs them through an engine fed as the pipeline feeds it); the engine
renders no documentation.

Placeholders (`{n0}`, `{functions}`, ...) in alternative titles and the message are
filled from the pattern's own `bad` example, run through the engine, so a reader sees
"Replace relay by an EventBridge Pipe from orders to notify", not "{n1}". Where the
example gives no finding (a broken pack), role words stand in ("the source", "the
function", "the target"). The "What it matches" line is generated from `match`, so it
always says what the rule really looks for, whatever the prose description says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from advisor import catalog
from advisor.dsl import parse_text, to_text
from advisor.engine import Engine, Finding, Pattern
from advisor.engine.choose import judged
from advisor.engine.limits import limits
from advisor.errors import AdvisorError
from advisor.memo import by_identity
from advisor.pipeline import node_traffic

# the catalog page's own order, most urgent first (not the framework's order,
# advisor.vocabulary.PILLARS, which reports use)
PILLAR_ORDER = ("security", "reliability", "cost-optimization", "performance-efficiency",
                "operational-excellence", "sustainability")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHEN = {"default": "applied by `optimize`", "opt-in": "applied with `--apply all`",
        "manual": "offered, never applied automatically"}
JUDGED_WHEN = {  # see advisor.engine.choose.worse
    "cost-optimization": "it costs more", "sustainability": "it costs more",
    "performance-efficiency": "it costs more and is not faster, or is slower and not cheaper",
}


def _ordered(patterns: Iterable[Pattern]) -> list[Pattern]:
    return sorted(patterns, key=lambda p: (PILLAR_ORDER.index(p.pillar), p.id))


def _anchor(pid: str) -> str:
    return pid.lower()


# ---------------------------------------------------------------- filled-in text
def _example_engine(p: Pattern) -> Engine:
    """An engine of this one pattern, with the traffic the pipeline hands in."""
    return Engine([p], traffic=node_traffic)


@by_identity
def _example_finding(p: Pattern) -> Finding | None:
    """The pattern's finding on its own `bad` example (None if it gives none)."""
    try:
        arch = parse_text(p.examples["bad"], f"{p.id}.arch")
        found = _example_engine(p).run(arch, apply="none").findings
    except (AdvisorError, ValueError):
        return None
    return next((f for f in found if f.rule == p.id), None)


def example_after(p: Pattern) -> str | None:
    """What `advisor optimize --apply all` makes of the `bad` example, as DSL (None for
    advice-only and manual rules, or an example that does not parse)."""
    if not p.rewrites or p.apply == "manual":
        return None
    try:
        arch = parse_text(p.examples["bad"], f"{p.id}.arch")
        return to_text(_example_engine(p).run(arch, apply="all").after)
    except AdvisorError:
        return None


def _role(p: Pattern, i: int) -> str:
    """A role word for chain node i: the source / the function / the target / the <kind>."""
    chain = p.chain
    spec = chain[i] if i < len(chain) else {}
    kinds = spec.get("kind")
    kind = kinds if isinstance(kinds, str) else (kinds[0] if kinds and len(kinds) == 1 else None)
    if kind == "lambda":
        return "the function"
    if len(chain) > 1 and i == 0:
        return "the source"
    if len(chain) > 1 and i == len(chain) - 1:
        return "the target"
    return f"the {_short(kind)}" if kind else "the node"


def _fill(p: Pattern, text: str) -> str:
    """Placeholders in `text` as role words (used where no example value is known)."""
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if re.fullmatch(r"n\d+", name):
            return _role(p, int(name[1:]))
        return {"subject": _role(p, p.subject), "functions": "the functions",
                "chain": "the chain", "target": "the target service"}.get(
            name, name.replace("_", " "))

    return PLACEHOLDER.sub(repl, text)


def alternative_titles(p: Pattern) -> list[str]:
    """Each alternative's title with the example's node names (role words as fallback)."""
    f = _example_finding(p)
    out = []
    for i, alt in enumerate(p.alternatives):
        title = f.alternatives[i].title if f is not None and i < len(f.alternatives) \
            else alt["title"]
        out.append(_fill(p, title))
    return out


def example_message(p: Pattern) -> str:
    """The message the rule gives on its `bad` example."""
    f = _example_finding(p)
    return _fill(p, f.message if f is not None else (p.message or p.title))


def example_must_add(p: Pattern) -> list[str]:
    """What the user must add for the first alternative, on the `bad` example."""
    f = _example_finding(p)
    if f is None or not f.alternatives or not f.alternatives[0].applicable:
        return []
    alt = f.alternatives[0]
    _ = alt.after  # building it works out what must be added
    return [str(m["detail"]) + (" (changes what the system does: never applied by default)"
                                if m.get("changes_behaviour") else "") for m in alt.must_add]


def fix_safety(p: Pattern) -> str:
    """What `--apply default` may change: the pattern's own words, after what the level
    says (a rule that is never applied by default says so whatever its words)."""
    if not p.rewrites:
        head = "Advice only: `--apply default` changes nothing."
    elif p.apply == "manual":
        head = "Never applied by `--apply default` (offered; applied only when chosen by id)."
    elif p.apply == "opt-in":
        head = "Not applied by `--apply default` (applied with `--apply all`)."
    else:
        confirmed = (" when the glue is confirmed (stated, or the handler read), never on"
                     " structure alone," if any(spec.get("glue") for spec in p.chain)
                     or p.id.startswith("GLUE-") else "")
        head = (f"Applied by `--apply default`{confirmed} after the safety invariants pass"
                " (paths, auth, ordering/filters/batching, no orphan or phantom node, the"
                " integration exists) and only if it changes nothing the system does.")
    return f"{head} {p.fix_safety}".strip() if p.fix_safety else head


def known_problems(p: Pattern) -> list[str]:
    return list(p.known_problems) or ["None known."]


# ---------------------------------------------------------------- the match, in words
def _short(kind: str | None) -> str:
    if not kind:
        return "node"
    title = catalog.title_of(kind)
    for prefix in ("Amazon ", "AWS "):
        title = title.removeprefix(prefix)
    return title


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _cond(c: dict[str, Any]) -> str:
    name = c["prop"]
    for key, word in (("equals", "="), ("not_equals", "!="), ("lt", "<"), ("le", "<="),
                      ("gt", ">"), ("ge", ">=")):
        if key in c:
            v = c[key]
            v = str(v).lower() if isinstance(v, bool) else v
            return f"{name} {word} {v}"
    if "in" in c:
        return f"{name} in [{', '.join(map(str, c['in']))}]"
    if "not_in" in c:
        return f"{name} not in [{', '.join(map(str, c['not_in']))}]"
    if "missing" in c:
        return f"{name} {'not stated' if c['missing'] else 'stated'}"
    if "truthy" in c:
        return f"{name} {'on' if c['truthy'] else 'off'}"
    return name


def _names(v: Any) -> list[str]:
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def _spec_text(spec: dict[str, Any]) -> str:
    kinds = _names(spec.get("kind"))
    cats = _names(spec.get("category"))
    if kinds:
        text = _either([_short(k) for k in kinds])
    elif cats:
        text = "any " + _either(cats) + " node"
    else:
        text = "any node"
    extras = [_cond(c) for c in spec.get("props", ())]
    if spec.get("glue"):
        extras.append("only forwarding (glue)")
    for nb in spec.get("no_out", ()):
        extras.append("no successor " + _spec_text(nb))
    for nb in spec.get("no_in", ()):
        extras.append("no predecessor " + _spec_text(nb))
    extras += [w.replace("_", " ") for w in spec.get("where", ())]
    return text + (f" [{'; '.join(extras)}]" if extras else "")


def describe_match(p: Pattern) -> str:
    """The chain the rule matches, generated from `match` (kinds, props, predicates)."""
    chain = p.chain
    edges = list(p.match.get("edges", [])) + [None] * len(chain)
    parts = [_spec_text(chain[0])]
    for i in range(1, len(chain)):
        e = edges[i - 1] or {}
        marks = [f"mode {_either(_names(e['mode']))}"] if e.get("mode") else []
        marks += [_cond(c) for c in e.get("props", ())]
        marks += [w.replace("_", " ") for w in e.get("where", ())]
        arrow = f" -[{'; '.join(marks)}]-> " if marks else " -> "
        parts.append(arrow + _spec_text(chain[i]))
    text = "".join(parts)
    params = p.match.get("params", {})
    via = params.get("glue_via")
    if via:
        routes = [[via]] if isinstance(via, str) else [[v] if isinstance(v, str) else v
                                                        for v in via]
        words = [" then ".join(_short(k) for k in r) if r else "directly" for r in routes]
        text += f"; the source must reach the target natively through {_either(words)}"
    elif any(spec.get("glue") for spec in chain):
        text += "; the source must reach the target natively"
    if any(spec.get("glue") for spec in chain):
        limited = sorted({t for lim in limits() for t in lim.targets})
        last = chain[-1]
        hit = [k for k in _names(last.get("kind")) if k in limited]
        if hit or (last.get("category") and not last.get("kind")):
            text += (" and within the sub-type limits of each mechanism (e.g. a pipe, a rule"
                     " or Scheduler reaches REST APIs only, not HTTP or WebSocket APIs)")
    where = p.match.get("where", ())
    if where:
        text += "; " + ", ".join(w.replace("_", " ") for w in where)
    return text + "."


# ---------------------------------------------------------------- pages
def _alternatives(p: Pattern) -> list[str]:
    lines = []
    for i, (alt, title) in enumerate(zip(p.alternatives, alternative_titles(p), strict=True), 1):
        kind = "rewrite" if alt.get("ops") else "advice"
        when = WHEN[p.apply]
        if p.apply != "manual" and judged(p):
            worse = JUDGED_WHEN.get(p.pillar, "it costs more and is not faster")
            when += f" unless the estimates show {worse}"
        note = f" ({kind}; {when})" if kind == "rewrite" and i == 1 else f" ({kind})"
        lines.append(f"{i}. {title}{note}")
    return lines


def render_markdown(patterns: Iterable[Pattern]) -> str:
    """The whole catalog as Markdown, deterministic (sorted by pillar then id)."""
    ordered = _ordered(patterns)
    out = [
        "# Pattern catalog",
        "",
        "<!-- Generated by tools/gen_pattern_docs.py from patterns/*.yaml; do not edit. -->",
        "",
        f"{len(ordered)} patterns. `advisor explain RULE` prints one of these pages;",
        "`advisor patterns` lists them. The messages and fixes below name the nodes of each",
        "rule's *Before* example; on your design they name your nodes.",
        "",
        "| id | pillar | severity | title | peer rules |",
        "|---|---|---|---|---|",
    ]
    for p in ordered:
        peers = ", ".join(p.equivalents) or "—"
        out.append(f"| [{p.id}](#{_anchor(p.id)}) | {p.pillar} | {p.severity} | {p.title}"
                   f" | {peers} |")
    for p in ordered:
        out += ["", f"## {p.id}", "", f"**{p.title}** — {p.pillar}, {p.severity}", ""]
        out += ["**What it finds.** " + p.description, ""]
        out += ["**What it matches.** " + describe_match(p), ""]
        out += ["**Why it matters.** " + p.rationale, ""]
        out += ["**Before** (triggers the rule):", "", "```", p.examples["bad"].rstrip(), "```",
                ""]
        out += ["**Message on it.** " + example_message(p), ""]
        out += ["**After** (does not):", "", "```", p.examples["good"].rstrip(), "```", ""]
        out += ["**The fix.**", "", *_alternatives(p), ""]
        must = example_must_add(p)
        if must:
            out += ["**What you must add** (on the example):", "", *[f"- {m}" for m in must], ""]
        out += ["**Fix safety.** " + fix_safety(p), ""]
        if p.caveats:
            out += ["**Caveats.**", "", *[f"- {_fill(p, c)}" for c in p.caveats], ""]
        out += ["**Known problems.**", "", *[f"- {_fill(p, k)}" for k in known_problems(p)], ""]
        if p.equivalents:
            out += ["**Peer rules** (a suppression of any of these also suppresses this rule): "
                    + ", ".join(f"`{e}`" for e in p.equivalents), ""]
        out += ["**References.**", "", *[f"- <{r}>" for r in p.references]]
    return "\n".join(out) + "\n"


def render_text(p: Pattern, after_example: str | None = None) -> str:
    """`advisor explain RULE`: the same content as the docs page, for a terminal."""
    lines = [f"{p.id}: {p.title}", f"pillar: {p.pillar}   severity: {p.severity}"
             f"   rewrite: {p.apply}"]
    if p.equivalents:
        lines.append("peer rules: " + ", ".join(p.equivalents))
    lines += ["", "What it finds", "  " + p.description, "", "What it matches",
              "  " + describe_match(p), "", "Why it matters", "  " + p.rationale, "",
              "Before (triggers the rule)"]
    lines += ["  " + ln for ln in p.examples["bad"].rstrip().splitlines()]
    lines += ["", "Message on it", "  " + example_message(p)]
    lines += ["", "After (does not)"]
    lines += ["  " + ln for ln in p.examples["good"].rstrip().splitlines()]
    if after_example:
        lines += ["", "What `advisor optimize --apply all` makes of the before example"]
        lines += ["  " + ln for ln in after_example.rstrip().splitlines()]
    lines += ["", "The fix"] + ["  " + a for a in _alternatives(p)]
    must = example_must_add(p)
    if must:
        lines += ["", "What you must add (on the example)"] + [f"  - {m}" for m in must]
    lines += ["", "Fix safety", "  " + fix_safety(p)]
    if p.caveats:
        lines += ["", "Caveats"] + [f"  - {_fill(p, c)}" for c in p.caveats]
    lines += ["", "Known problems"] + [f"  - {_fill(p, k)}" for k in known_problems(p)]
    lines += ["", "References"] + [f"  - {r}" for r in p.references]
    lines.append(f"\nSuppress on a node: `# advisor: ignore {p.id}`; for a run: --ignore {p.id}")
    return "\n".join(lines) + "\n"
