"""Result cache: a rerun over an unchanged corpus vs a cold run, and the bytes they print.

    .venv/bin/python benchmarks/bench_cache.py [--repeat N] [--corpus DIR ...]

For each corpus directory (default: ../shared/corpus/serverless-patterns, and the whole
../shared/corpus when present) and each of `--format json`, `text`, `sarif`:

- cold: `advisor analyze DIR` with an empty cache directory (every input analysed, the
  cache written), best of --repeat, each time with a fresh cache;
- warm: the same command again over the unchanged files (every result from the cache),
  best of --repeat;
- the output of the warm run is compared byte for byte with the cold run's and with a
  `--no-cache` run's.

Whole process, start-up included, default `--jobs`. Target (issue 17): warm >= 20x faster
than cold, same bytes. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpus"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPATH"] = str(REPO)
    return out


def run(cmd: list[str]) -> tuple[float, float, bytes]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env(), check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1, 2):
        sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), \
        proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpora = args.corpus or [p for p in (SHARED / "serverless-patterns", SHARED) if p.is_dir()]
    if not corpora:
        print(f"no corpus at {SHARED}", file=sys.stderr)
        return 2
    print(f"cores: {os.cpu_count()}; best of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'corpus':28} {'format':7} {'cold s':>7} {'warm s':>7} {'cold cpu':>8} "
          f"{'warm cpu':>8} {'speed-up':>8} {'same bytes':>10}")
    for corpus in corpora:
        for fmt in ("json", "text", "sarif"):
            with tempfile.TemporaryDirectory() as tmp:
                base = [sys.executable, "-m", "advisor", "analyze", str(corpus),
                        "--format", fmt]
                cold = (float("inf"), 0.0, b"")
                for i in range(args.repeat):
                    got = run([*base, "--cache-dir", f"{tmp}/cold{i}"])
                    cold = min(cold, got, key=lambda r: r[0])
                cache = f"{tmp}/cold0"
                warm = min((run([*base, "--cache-dir", cache]) for _ in range(args.repeat)),
                           key=lambda r: r[0])
                fresh = run([*base, "--no-cache"])[2]
                same = warm[2] == cold[2] == fresh
                print(f"{corpus.name:28} {fmt:7} {cold[0]:7.2f} {warm[0]:7.3f} {cold[1]:8.2f}"
                      f" {warm[1]:8.3f} {cold[0] / warm[0]:7.1f}x {same!s:>10}")
    print("target: warm >= 20x faster than cold, byte-identical output")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
