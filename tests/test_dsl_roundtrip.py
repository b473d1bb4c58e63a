"""Property: printing an Architecture and parsing it again gives the same graph.

Hypothesis generates random architectures through the model API (every kind, props of
every catalog type, groups, suppressions, edges with modes and props), prints them with
`to_text` and parses the text back; the semantic signatures must be equal.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import catalog
from advisor.dsl import KEYWORDS, SELF_LOOP_OK, parse_text, to_text
from advisor.model import EDGE_MODES, Architecture, Group

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
TEXT = st.text(max_size=20)
FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
NON_NEGATIVE = st.one_of(st.integers(0, 10**12), st.floats(0, 1e12, allow_nan=False))


def value_for(spec: catalog.PropSpec, names: list[str]) -> st.SearchStrategy[Any]:
    t = spec.type
    if spec.min is not None or spec.max is not None:  # bounded by an AWS limit
        low = spec.min if spec.min is not None else 0
        high = spec.max if spec.max is not None else 10**9
        return st.integers(int(low), int(high))
    if t in ("size", "duration", "rate"):
        return NON_NEGATIVE
    if t == "int":
        return st.integers(-1000, 10**9)
    if t == "number":
        return st.one_of(st.integers(-10**6, 10**9), FINITE)
    if t == "ratio":
        return st.floats(0, 1)
    if t == "bool":
        return st.booleans()
    if t == "enum":
        return st.sampled_from(spec.values)
    if t == "ref":
        return st.sampled_from(names)
    if t == "list":
        return st.lists(st.one_of(TEXT, st.integers(0, 100), st.booleans()), max_size=3)
    return TEXT


@st.composite
def architectures(draw: st.DrawFn) -> Architecture:
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    arch = Architecture(name=draw(TEXT))
    if draw(st.booleans()):
        arch.workload = {"requests": draw(NON_NEGATIVE), "payload": draw(NON_NEGATIVE)}
    group_names = draw(st.lists(TEXT, max_size=3, unique=True))
    groups = [(g,) for g in group_names]
    if len(groups) >= 2:
        groups.append((group_names[0], group_names[1]))
    arch.groups = [Group(g) for g in groups]
    for name in names:
        kind = draw(st.sampled_from([k for k in catalog.kind_names() if k != "resource"]))
        specs = catalog.props_of(kind)
        chosen = draw(st.lists(st.sampled_from(sorted(specs)), max_size=4, unique=True))
        props = {p: draw(value_for(specs[p], names)) for p in chosen}
        group = draw(st.sampled_from([(), *groups]))
        ignore = draw(st.frozensets(st.from_regex(r"[A-Z]{2,4}-[A-Z0-9]{1,6}", fullmatch=True),
                                    max_size=2))
        arch.add_node(name, kind, props, group=group, ignore=ignore)
    edge_specs = catalog.edge_props()
    for _ in range(draw(st.integers(0, 10))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if a == b and arch.kind(a) not in SELF_LOOP_OK:
            continue
        chosen = draw(st.lists(st.sampled_from(sorted(edge_specs)), max_size=3, unique=True))
        props = {p: draw(value_for(edge_specs[p], names)) for p in chosen}
        arch.add_edge(a, b, mode=draw(st.sampled_from([None, *EDGE_MODES])),
                      label=draw(st.one_of(st.none(), TEXT.filter(bool))), props=props)
    arch.resolve_modes()
    return arch


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures())
def test_print_then_parse_is_identity(arch: Architecture) -> None:
    text = to_text(arch)
    again = parse_text(text, "generated.arch")
    assert again.signature() == arch.signature(), text
    assert to_text(again) == text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_random_text_raises_only_our_error(text: str) -> None:
    from advisor.errors import AdvisorError

    try:
        parse_text(text, "fuzz.arch")
    except AdvisorError as exc:
        assert exc.diagnostics and all(d.line >= 1 and d.column >= 1 for d in exc.diagnostics)
