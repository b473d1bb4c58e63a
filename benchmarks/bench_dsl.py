"""Parse + validate time per node for generated DSL files of 1k, 10k and 100k nodes.

Run on demand: `.venv/bin/python benchmarks/bench_dsl.py`. Targets (issue 2): 10,000 nodes
in under 1 s on a 2-core machine; the 100k/10k time ratio under 12 (linear growth).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.dsl import parse_text

KINDS = ["apigw", "lambda", "sqs", "lambda", "dynamodb"]


def generate(nodes: int) -> str:
    """Chains of api -> lambda -> queue -> lambda -> table, five nodes each, in groups."""
    lines = ['architecture "generated"', "workload { requests = 10M/month, payload = 2KB }"]
    for chain in range(nodes // 5):
        names = [f"n{chain}_{i}" for i in range(5)]
        lines.append(f'group "g{chain % 50}" {{')
        lines.append(f"  apigw {names[0]} {{ type = http, auth = jwt }}")
        lines.append(f"  lambda {names[1]} {{ memory = 512MB, timeout = 10s, duration = 80ms }}")
        lines.append(f"  sqs {names[2]} {{ visibility = 60s }}")
        lines.append(f"  lambda {names[3]} {{ memory = 256MB }}")
        lines.append(f"  dynamodb {names[4]}")
        lines.append("}")
        lines.append(" -> ".join(names) + " [label = \"flow\"]")
    return "\n".join(lines) + "\n"


def measure(nodes: int, repeat: int = 3) -> float:
    text = generate(nodes)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()  # CPU time: steadier than wall time on a shared machine
        arch = parse_text(text, f"gen-{nodes}.arch")
        best = min(best, time.process_time() - start)
        assert arch.graph.number_of_nodes() == nodes
    return best


def main() -> None:
    results = {}
    for n in (1_000, 10_000, 100_000):
        seconds = measure(n, repeat=3 if n < 100_000 else 1)
        results[n] = seconds
        print(f"{n:>7} nodes: {seconds:7.3f} s CPU  ({seconds / n * 1e6:6.1f} us/node)")
    ratio = results[100_000] / results[10_000]
    print(f"100k/10k ratio: {ratio:.1f} (target < 12); 10k target < 1 s: "
          f"{'met' if results[10_000] < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
