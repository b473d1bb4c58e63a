"""`advisor.memo.once` gives what `functools.cached_property` gives: the value computed
on the first read, once per instance, kept on the instance."""

from __future__ import annotations

from functools import cached_property

from advisor.engine.edit import Delta
from advisor.memo import once
from advisor.model import Architecture


class Counted:
    def __init__(self, base: int) -> None:
        self.base = base
        self.calls = 0

    @once
    def doubled(self) -> int:
        """Twice the base."""
        self.calls += 1
        return self.base * 2

    @cached_property
    def doubled_slow(self) -> int:
        return self.base * 2


def test_once_computes_once_per_instance_as_cached_property() -> None:
    a, b = Counted(3), Counted(5)
    assert (a.doubled, a.doubled, b.doubled) == (a.doubled_slow, a.doubled_slow, b.doubled_slow)
    assert (a.calls, b.calls) == (1, 1)
    assert a.__dict__["doubled"] == 6  # kept on the instance, like cached_property
    assert Counted.doubled.__doc__ == "Twice the base."


def test_delta_properties_read_the_design_once() -> None:
    arch = Architecture(name="d")
    arch.add_node("q", "sqs", {})
    arch.add_node("f", "lambda", {})
    arch.add_edge("q", "f", mode="poll")
    arch.add_node("dlq", "sqs", {"is_dlq": True})
    arch.add_edge("q", "dlq", mode="async", label="dead letters")
    before_edges = {("q", "f"): {"mode": "poll", "props": {}}}
    d = Delta(nodes={"q": {"kind": "sqs", "props": {}}, "gone": {"kind": "sqs", "props": {}}},
              edges=before_edges, after=arch, added=["dlq"], touched={"q"})
    assert d.removed == ["gone"]
    assert d.new_edges == [("q", "dlq")]
    arch.graph.remove_edge("q", "dlq")  # read already: the delta keeps what it worked out
    assert d.new_edges == [("q", "dlq")]
    assert d.structural is True
