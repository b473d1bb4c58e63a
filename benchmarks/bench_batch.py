"""Batch throughput: `advisor analyze` over the whole corpus vs cfn-lint on the same templates.

    .venv/bin/python benchmarks/bench_batch.py [--repeat N] [--corpus DIR]

Runs, in the same session and on the same machine:

1. `advisor analyze` on the CloudFormation/SAM templates of ../shared/corpus/serverless-
   patterns (the files `advisor.batch.discover` picks), `--jobs 1` and `--jobs 2`, with
   every built-in pattern and the estimates on (the defaults), JSON to /dev/null;
2. `cfn-lint` on exactly those templates, one process for all of them (its fastest use),
   and again with the serverless rules (`-a cfn_lint_serverless.rules`) when installed;
3. `advisor analyze` on the whole corpus directory (templates and Terraform modules).

Every figure is wall-clock time of a fresh process, start-up included, best of --repeat
runs; templates/s = templates / seconds. The ratio is advisor's throughput over
cfn-lint's (target: >= 5x). Prints a table; nothing is asserted (speed is not a test).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "serverless-patterns"


def timed(cmd: list[str], repeat: int) -> tuple[float, int]:
    """Best wall time of `repeat` runs, and the last exit code."""
    best, code = float("inf"), 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=env, check=False)
        best = min(best, time.perf_counter() - start)
        code = proc.returncode
        if code not in (0, 1, 2, 4, 6, 8, 10, 12, 14):  # cfn-lint uses bit flags
            sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
    return best, code


def find_tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2

    from advisor.batch import discover

    inputs = discover([str(args.corpus)])
    templates = [i.path for i in inputs if i.kind == "file" and not i.path.endswith(".arch")]
    modules = [i.path for i in inputs if i.kind == "module"]
    n = len(templates)
    advisor = [sys.executable, "-m", "advisor", "analyze", "--format", "json",
               "-o", os.devnull]
    rows: list[tuple[str, int, float]] = []
    print(f"corpus: {args.corpus}")
    print(f"inputs: {len(inputs)} ({n} CloudFormation/SAM templates, "
          f"{len(modules)} Terraform modules); cores: {os.cpu_count()}; best of {args.repeat}")

    for jobs in (1, 2):
        sec, code = timed([*advisor, "--jobs", str(jobs), *templates], args.repeat)
        rows.append((f"advisor analyze --jobs {jobs} (templates)", n, sec))
        print(f"  advisor --jobs {jobs}: exit {code}")

    cfn_lint = find_tool("cfn-lint")
    baseline: float | None = None
    if cfn_lint:
        sec, code = timed([cfn_lint, "--", *templates], args.repeat)
        rows.append(("cfn-lint (one process, all templates)", n, sec))
        baseline = n / sec
        print(f"  cfn-lint: exit {code}")
        probe = subprocess.run([cfn_lint, "-a", "cfn_lint_serverless.rules", "--",
                                templates[0]], capture_output=True, check=False)
        if b"Traceback" not in probe.stderr and probe.returncode < 32:
            sec, code = timed([cfn_lint, "-a", "cfn_lint_serverless.rules", "--", *templates],
                              args.repeat)
            rows.append(("cfn-lint -a cfn_lint_serverless.rules", n, sec))
            print(f"  cfn-lint + serverless rules: exit {code}")
        else:
            print("  cfn-lint serverless rules: not usable here "
                  f"({probe.stderr.decode(errors='replace').strip()[-200:]})")
    else:
        print("  cfn-lint: not installed; no ratio")

    sec, code = timed([*advisor, "--jobs", "2", str(args.corpus)], args.repeat)
    rows.append(("advisor analyze --jobs 2 (whole corpus dir)", len(inputs), sec))

    print()
    print(f"{'run':46} {'inputs':>6} {'seconds':>8} {'inputs/s':>9} {'vs cfn-lint':>11}")
    for label, count, sec in rows:
        rate = count / sec
        ratio = f"{rate / baseline:.2f}x" if baseline else "-"
        print(f"{label:46} {count:6d} {sec:8.2f} {rate:9.1f} {ratio:>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
