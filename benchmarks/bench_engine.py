"""Engine benchmark: full analysis (all patterns + rewriting to a fixpoint) of generated
architectures of 1k, 10k and 100k nodes. Target: 10k nodes in under 2 s, near-linear.

    .venv/bin/python benchmarks/bench_engine.py [--sizes 1000,10000,100000] [--apply all]

Each generated architecture repeats a 10-node cell mixing clean parts with glue, missing
DLQs, stream sources and APIs, so every round of matching and rewriting has real work.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor.engine import Engine
from advisor.model import Architecture

CELL = 10  # nodes per cell


def generate(nodes: int) -> Architecture:
    arch = Architecture(name=f"bench-{nodes}")
    arch.workload = {"requests": 10_000_000}
    for i in range(max(1, nodes // CELL)):
        p = f"c{i}_"
        add = arch.add_node
        add(p + "app", "client")
        add(p + "api", "apigw", {"type": "rest", "auth": "iam"})
        add(p + "fwd", "lambda", {"glue": True})
        add(p + "jobs", "sqs")
        add(p + "worker", "lambda", {"memory": 512 * 1024**2, "timeout": 30_000})
        add(p + "topic", "sns")
        add(p + "relay", "lambda", {})
        add(p + "stream", "kinesis")
        add(p + "consume", "lambda", {"glue": False, "memory": 1024**3, "timeout": 10_000})
        add(p + "table", "dynamodb")
        for a, b in [("app", "api"), ("api", "fwd"), ("fwd", "jobs"), ("jobs", "worker"),
                     ("worker", "topic"), ("topic", "relay"), ("relay", "stream"),
                     ("stream", "consume"), ("consume", "table")]:
            arch.add_edge(p + a, p + b)
        if i:  # link cells so the graph is one component
            arch.add_edge(f"c{i - 1}_consume", p + "jobs")
    arch.resolve_modes()
    return arch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--apply", default="default", choices=["default", "all", "none"])
    args = parser.parse_args()
    engine = Engine.default()
    print(f"{len(engine.patterns)} patterns, apply={args.apply}")
    print(f"{'nodes':>8} {'edges':>8} {'findings':>9} {'changes':>8} {'seconds':>8}"
          f" {'cpu s':>8} {'us/node':>8}")
    first: tuple[int, float] | None = None
    for size in (int(s) for s in args.sizes.split(",")):
        arch = generate(size)
        start, cpu = time.perf_counter(), time.process_time()
        out = engine.run(arch, apply=args.apply)
        secs, cpu = time.perf_counter() - start, time.process_time() - cpu
        n = arch.graph.number_of_nodes()
        print(f"{n:>8} {arch.graph.number_of_edges():>8} {len(out.findings):>9}"
              f" {len(out.changes):>8} {secs:>8.2f} {cpu:>8.2f} {cpu / n * 1e6:>8.1f}")
        first = first or (n, cpu)
    if first:
        print(f"CPU time per node, largest vs smallest size: "
              f"{cpu / n / (first[1] / first[0]):.2f}x (1.0 = linear); "
              f"wall seconds depend on machine load, CPU seconds less so")


if __name__ == "__main__":
    main()
