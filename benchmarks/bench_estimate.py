"""Benchmark: estimate a 10,000-node design (target < 0.5 s). Prints figures only.

Run: .venv/bin/python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import time

from advisor.estimate import estimate
from advisor.model import Architecture

KINDS = ["apigw", "lambda", "sqs", "lambda", "dynamodb", "sns", "lambda", "firehose", "s3", "sfn"]


def build(n_nodes: int = 10_000) -> Architecture:
    """Chains of services behind clients, with fan-out and a few cycles."""
    arch = Architecture(name="bench")
    arch.workload = {"requests": 100e6, "payload": 2048}
    chain = len(KINDS)
    for c in range(n_nodes // (chain + 1)):
        client = f"c{c:05d}"
        arch.add_node(client, "client")
        prev = client
        for i, kind in enumerate(KINDS):
            name = f"n{c:05d}_{i}"
            arch.add_node(name, kind, {"memory": 512 * 1024**2} if kind == "lambda" else {})
            arch.add_edge(prev, name, props={"batch": 10} if kind == "lambda" and i == 3 else {})
            prev = name
        arch.add_edge(f"n{c:05d}_5", f"n{c:05d}_8", props={"fanout": 2})
        if c % 10 == 0:
            arch.add_edge(f"n{c:05d}_6", f"n{c:05d}_1")  # a cycle
    arch.resolve_modes()
    return arch


def main() -> None:
    arch = build()
    n, e = arch.graph.number_of_nodes(), arch.graph.number_of_edges()
    times, cpu = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        est = estimate(arch)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best, worst = min(times), max(times)
    print(f"estimate: {n} nodes, {e} edges")
    print(f"  best {best * 1000:.0f} ms, worst {worst * 1000:.0f} ms over 5 runs (target < 500 ms)")
    print(f"  CPU time best {min(cpu) * 1000:.0f} ms (wall time suffers on a loaded machine)")
    print(f"  monthly ${est.monthly_usd:,.2f}, {len(est.components)} components")
    print(f"  {'PASS' if best < 0.5 else 'FAIL'}")


if __name__ == "__main__":
    main()
