"""`advisor fmt`: comments, order and values kept; layout normalised; a fixpoint."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from test_dsl_roundtrip import architectures

from advisor.dsl import parse_text, to_text
from advisor.dslfmt import format_text

ROOT = Path(__file__).resolve().parents[1]

MESSY = """# top of file
architecture "x"  # the name

# the queue
sqs   q {fifo=true,  visibility=60s}   # trailing
lambda f


group "g" { # group comment
  # inside
  sns t
  # end of group
}  # after group
f->q [label="x"]
f ->
  t
# final
"""


def comments(text: str) -> list[str]:
    return re.findall(r"#[^\n]*", text)


def test_messy_file_keeps_every_comment_in_order() -> None:
    out = format_text(MESSY)
    assert [c.strip() for c in comments(out)] == [c.strip() for c in comments(MESSY)]
    assert "sqs    q { fifo = true, visibility = 60s }  # trailing" in out
    assert "f -> q [label = \"x\"]" in out and "f -> t" in out
    assert "\n\n\n" not in out  # at most one blank line
    assert out.index("lambda f") < out.index('group "g"') < out.index("f -> q")


def test_format_keeps_the_graph_and_is_a_fixpoint() -> None:
    for sample in sorted((ROOT / "samples").glob("*.arch")):
        text = sample.read_text("utf-8")
        out = format_text(text, str(sample))
        assert parse_text(out).signature() == parse_text(text).signature(), sample
        assert format_text(out) == out, sample
        assert comments(out) == [c.rstrip() for c in comments(text)], sample


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures())
def test_format_of_generated_designs(arch) -> None:  # type: ignore[no-untyped-def]
    text = to_text(arch)
    out = format_text(text)
    assert parse_text(out).signature() == arch.signature()
    assert format_text(out) == out


def test_every_bundled_design_is_in_canonical_form() -> None:
    """The samples users copy from are what `advisor fmt` writes (a fixpoint), so a user
    who runs `advisor fmt --check` on a copy of one sees no change."""
    from pathlib import Path

    from advisor.dslfmt import format_text

    root = Path(__file__).resolve().parents[1] / "samples"
    designs = sorted(root.rglob("*.arch"))
    assert len(designs) > 10
    for path in designs:
        text = path.read_text("utf-8")
        assert format_text(text, str(path)) == text, path
