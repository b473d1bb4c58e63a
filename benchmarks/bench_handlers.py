"""Handler inspection: reading every handler source the corpus templates name.

    .venv/bin/python benchmarks/bench_handlers.py [--corpus DIR] [--passes N]

The templates of ../shared/corpus/serverless-patterns are imported once (as `advisor
analyze` imports them) to learn which handler files and inline sources their functions
name, with the `Handler` function of each; then every one of those is inspected again,
cold (the per-process report memo emptied), --passes times. Prints the CPU and wall
milliseconds of the best pass and of the first, by language, and the objects a pass
leaves for the cyclic collector (0: everything it builds is freed as it goes, which the
collector pause during inspection relies on). Issue 17: handler inspection was the
largest share of the import in a profile of the corpus run. Nothing asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "serverless-patterns"
sys.path.insert(0, str(REPO))


def recorded_inspections(templates: list[str]) -> list[tuple[str, str, str, str | None]]:
    """(kind, file path or source text, language, handler function) of every inspection
    importing the templates makes."""
    from advisor.importers import load_any
    from advisor.importers.cloudformation import code

    seen: list[tuple[str, str, str, str | None]] = []
    real_file, real_source = code.inspect_file, code.inspect_source

    def on_file(path, function=None):  # type: ignore[no-untyped-def]
        seen.append(("file", str(path), "", function))
        return real_file(path, function)

    def on_source(text, language, **kw):  # type: ignore[no-untyped-def]
        seen.append(("source", text, language, kw.get("function")))
        return real_source(text, language, **kw)

    code.inspect_file, code.inspect_source = on_file, on_source
    try:
        for path in templates:
            try:
                load_any(path)
            except Exception:  # a template that does not import names no handler
                continue
    finally:
        code.inspect_file, code.inspect_source = real_file, real_source
    return seen


def one_pass(inspections: list[tuple[str, str, str, str | None]]) -> dict[str, tuple[float, float]]:
    """CPU and wall seconds by language of inspecting each once, cold."""
    from advisor.importers import handlers
    from advisor.importers.handlers import inspect_file, inspect_source, language_of

    getattr(handlers, "_REPORTS", {}).clear()  # the memo (absent before it was added)
    out: dict[str, tuple[float, float]] = {}
    for kind, what, language, function in inspections:
        lang = language or language_of(what) or "python"
        cpu, wall = time.process_time(), time.perf_counter()
        if kind == "file":
            inspect_file(what, function)
        else:
            inspect_source(what, language, function=function)
        spent = out.get(lang, (0.0, 0.0))
        out[lang] = (spent[0] + time.process_time() - cpu, spent[1] + time.perf_counter() - wall)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_batch import templates_of

    templates = templates_of(args.corpus)
    inspections = recorded_inspections(templates)
    files = {w for k, w, _, _ in inspections if k == "file"}
    print(f"{len(templates)} templates name {len(inspections)} handler inspections "
          f"({len(files)} files, {len(inspections) - sum(k == 'file' for k, *_ in inspections)} "
          f"inline sources); load average {os.getloadavg()[0]:.1f}")
    passes = [one_pass(inspections) for _ in range(args.passes)]
    gc.disable()
    gc.collect()
    one_pass(inspections)
    left = gc.collect()
    gc.enable()

    def total(p: dict[str, tuple[float, float]], i: int) -> float:
        return sum(v[i] for v in p.values()) * 1000

    best = min(passes, key=lambda p: total(p, 0))
    for label, p in (("first pass", passes[0]), ("best pass", best)):
        langs = ", ".join(f"{lang} {v[0] * 1000:.1f}" for lang, v in sorted(p.items()))
        print(f"{label:11s} CPU {total(p, 0):6.1f} ms ({langs}); wall {total(p, 1):6.1f} ms")
    print(f"objects left for the cyclic collector by one pass: {left}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
