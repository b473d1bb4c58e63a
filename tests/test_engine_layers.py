"""The engine's layers and the one-way flow, checked on the import statements themselves.

match (pure: architecture -> matches) -> choose (alternatives, the judge's verdict) ->
rewrite (apply the choice), each reading only the layers below it; no cycle among the
engine's modules; the engine imports no estimates, DSL, pipeline or writer; writers
import neither the engine nor the pipeline. Every import counts, also one inside a
function (a late import hides a cycle, it does not remove it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ADVISOR = Path(__file__).resolve().parents[1] / "advisor"
ENGINE = ADVISOR / "engine"

# module -> layer; a module may import only modules of the layers ALLOWED lists
LAYER = {
    # the pattern model, the read view and the shared vocabulary of patterns
    "pattern": "data", "findings": "data", "conditions": "data",
    "context": "data", "limits": "data", "routes": "data", "evidence": "data", "apis": "data",
    "pipeinput": "data", "deliveryinput": "data",
    "predicates": "match", "matcher": "match", "handler_checks": "match",
    # the op interpreter: what one alternative does to a working copy
    "edit": "edit", "rewriters": "edit", "ops": "edit",
    "choose": "choose", "invariants": "choose", "obligations": "choose", "stake": "choose",
    "rewrite": "rewrite",
    "loader": "assembly", "core": "assembly", "__init__": "assembly",
}
ALLOWED = {
    "data": {"data"},
    "match": {"data", "match"},
    "edit": {"data", "edit"},
    "choose": {"data", "match", "edit", "choose"},
    "rewrite": {"data", "match", "edit", "choose", "rewrite"},
    "assembly": set(LAYER.values()),
}
# what the engine must never import: data flows frontend -> engine -> estimates -> writers
NOT_FOR_THE_ENGINE = ("advisor.estimate", "advisor.dsl", "advisor.pipeline",
                      "advisor.importers", "advisor.report", "advisor.render",
                      "advisor.commands", "advisor.cli", "advisor.batch", "advisor.ruledocs",
                      "app")


def imported(path: Path) -> set[str]:
    """Every module an `import` / `from ... import` in the file names (any depth)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module != "advisor.engine":
                out.add(node.module)
                continue
            for a in node.names:  # `from advisor.engine import limits`: the submodule
                sub = (ENGINE / f"{a.name}.py").exists()
                out.add(f"advisor.engine.{a.name}" if sub else "advisor.engine")
    return out


def engine_imports() -> dict[str, set[str]]:
    """Engine module -> the engine modules it imports (by short name)."""
    deps = {}
    for path in sorted(ENGINE.glob("*.py")):
        names = set()
        for mod in imported(path):
            if mod.startswith("advisor.engine."):
                names.add(mod.removeprefix("advisor.engine.").split(".")[0])
            elif mod == "advisor.engine" and path.stem != "__init__":
                names.add("__init__")
        deps[path.stem] = names - {path.stem}
    return deps


def test_every_engine_module_has_a_layer() -> None:
    missing = sorted(set(engine_imports()) - set(LAYER))
    assert not missing, f"declare the layer of {missing} in this test (and docs/internals.md)"


@pytest.mark.parametrize("module", sorted(LAYER))
def test_each_layer_reads_only_the_layers_below(module: str) -> None:
    deps = engine_imports().get(module, set())
    layer = LAYER[module]
    wrong = sorted(d for d in deps if LAYER.get(d, "?") not in ALLOWED[layer])
    assert not wrong, f"{module} ({layer}) imports {wrong} ({[LAYER.get(d) for d in wrong]})"
    if module != "__init__":
        assert "__init__" not in deps, f"{module} imports the package, which imports it"


def test_no_import_cycle_among_engine_modules() -> None:
    g = nx.DiGraph([(m, d) for m, ds in engine_imports().items() for d in ds])
    cycles = list(nx.simple_cycles(g))
    assert not cycles, cycles


def test_the_engine_imports_no_estimates_dsl_pipeline_or_writers() -> None:
    for path in sorted(ENGINE.glob("*.py")):
        bad = sorted(m for m in imported(path)
                     if m.startswith(NOT_FOR_THE_ENGINE) or m in ("advisor.engine.docs",))
        assert not bad, f"{path.name} imports {bad}"


def test_writers_read_a_report_only() -> None:
    for path in sorted((ADVISOR / "report").glob("*.py")):
        bad = sorted(m for m in imported(path)
                     if m.startswith(("advisor.engine", "advisor.pipeline", "advisor.estimate",
                                      "advisor.importers", "advisor.dsl")))
        assert not bad, f"{path.name} imports {bad}"


def test_the_layer_check_sees_late_imports(tmp_path: Path) -> None:
    """The checker itself: an import inside a function counts."""
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from advisor.estimate.propagate import propagate\n"
                   "    from advisor.engine import limits\n", "utf-8")
    got = imported(src)
    assert "advisor.estimate.propagate" in got and "advisor.engine.limits" in got
