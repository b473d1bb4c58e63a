"""Run every benchmark in turn and print its figures (`make bench`).

Each benchmark is a script that prints its own figures and targets; this runs them in
separate processes so one's imports and caches do not flatter another's numbers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "bench_dsl.py",  # issue 2: parse + validate per node
    "bench_engine.py",  # issue 4: full analysis of generated designs
    "bench_estimate.py",  # issue 5: estimating a 10k-node design
    "bench_app.py",  # issue 7: page rerun after pasting a 200-node design
    "bench_diagrams.py",  # issue 18: the four diagrams of a 200-node, 13-stack design
    "corpus_report.py",  # issue 3: corpus import, glue agreement, throughput vs cfn-lint
    "bench_batch.py",  # issues 8, 17: analyze over the corpus vs cfn-lint and bare libyaml
    "bench_handlers.py",  # issue 17: reading every handler source the corpus templates name
    "bench_cache.py",  # issue 17: warm rerun from the result cache vs a cold run
    "bench_tree.py",  # issue 17: 20,000-template tree, --jobs 1/2 and Dask, client memory
    "peer_parity.py",  # findings vs cfn-lint + serverless-rules on the same resources
    "sam_equivalence.py",  # issue 11: SAM template vs SAM's own expansion, same graph
]


def main() -> int:
    status = 0
    for name in ORDER:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], check=False)
        print(f"=== {name}: exit {proc.returncode} in {time.perf_counter() - start:.1f} s", flush=True)
        status = status or proc.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
