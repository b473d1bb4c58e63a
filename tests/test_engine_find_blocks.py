"""`matcher.find` runs a kind's candidates through all its patterns a block at a time
(for the CPU's caches); what it finds must not depend on that order: the same matches,
in the same order, as one pattern after another over every candidate, with suppressed
matches dropped and each blocked binding recorded under its own rule."""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text
from advisor.engine import Engine, matcher
from advisor.engine.context import Ctx

CELL = """client app{i}
apigw  api{i}   {{ type = rest, tracing = true, endpoint = regional }}
lambda fwd{i}   {{ glue = true }}
sqs    jobs{i}
lambda work{i}  {{ memory = 512MB, timeout = 30s }}
sns    topic{i}
lambda relay{i}
app{i} -> api{i} -> fwd{i} -> jobs{i} -> work{i} -> topic{i} -> relay{i}
"""


def design(cells: int):  # type: ignore[no-untyped-def]
    arch = parse_text('architecture "blocks"\n' + "".join(CELL.format(i=i) for i in range(cells)),
                      "blocks.arch")
    arch.resolve_modes()
    # every third queue ignores the reliability rules: those matches must be dropped
    for i in range(0, cells, 3):
        arch.graph.nodes[f"jobs{i}"]["ignore"] = frozenset({"REL-"})
    return arch


def one_pattern_at_a_time(arch, patterns):  # type: ignore[no-untyped-def]
    ctx = Ctx(arch)
    m = matcher.Matcher(ctx)
    found = [x for p in patterns for x in m.run(p) if not matcher.suppressed(ctx, x)]
    return matcher.drop_superseded(found)


@pytest.mark.parametrize("block", [1, 3, 256])
def test_find_in_blocks_finds_what_one_pattern_at_a_time_finds(
        monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    engine = Engine.default()
    arch = design(7)
    want = [(x.pattern.id, x.nodes, x.likely, x.fields, x.extra)
            for x in one_pattern_at_a_time(arch, engine.patterns)]
    monkeypatch.setattr(matcher, "BLOCK", block)
    blocked: list[matcher.BlockedMatch] = []
    got = matcher.find(arch, engine.patterns, blocked=blocked)
    assert [(x.pattern.id, x.nodes, x.likely, x.fields, x.extra) for x in got] == want
    assert not any(x.pattern.id.startswith("REL-") and "jobs0" in x.nodes for x in got)
    assert any(x.pattern.id.startswith("REL-") and "jobs1" in x.nodes for x in got)
    # each blocked binding under its own rule (REST-only features block the HTTP switch)
    rest = [b for b in blocked if b.pattern.id == "COST-APIGW-REST-TO-HTTP"]
    assert sorted(b.nodes[0] for b in rest) == sorted(f"api{i}" for i in range(7))
    assert all("X-Ray tracing" in b.reason for b in rest)
