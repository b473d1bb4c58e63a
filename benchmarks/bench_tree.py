"""An organisation-sized tree: files/s and the client's peak memory, local pool vs Dask.

    .venv/bin/python benchmarks/bench_tree.py [--files 20000] [--corpus DIR] [--keep DIR]

Builds a synthetic tree of --files templates: copies (hard links where possible) of the
CloudFormation/SAM templates of ../shared/corpus/serverless-patterns under generated
names (`org/team-017/svc-00342/template.yaml`, a hundred services per team), then runs,
each over the whole tree with `--no-cache --format jsonl -o /dev/null` (results
streamed: the client holds a small summary per file, not the results):

- `advisor analyze --jobs 1`
- `advisor analyze --jobs 2`
- `advisor analyze --executor dask --jobs 2` (a LocalCluster of two worker processes)

and prints files/s (whole process, start-up and the LocalCluster's start included) and the
client process's peak resident memory (VmHWM of the `advisor` process itself, sampled
from /proc; worker processes are not counted: they hold one file at a time). The three
outputs are compared byte for byte. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "serverless-patterns"


def build(root: Path, sources: list[Path], count: int) -> None:
    for i in range(count):
        src = sources[i % len(sources)]
        target = root / f"team-{i // 100:03d}" / f"svc-{i:05d}" / f"template{src.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, target)
        except OSError:
            shutil.copyfile(src, target)


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(cmd: list[str], out_path: Path) -> tuple[float, float, int]:
    """Wall time, the process's peak RSS (MB, sampled until it exits), exit code."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(REPO)
    start = time.perf_counter()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, peak_rss_mb(proc.pid))
            time.sleep(0.05)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1, 2):
        sys.stderr.write(err[-2000:])
    return wall, peak, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from benchmarks.bench_batch import templates_of

    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    sources = [Path(p) for p in templates_of(args.corpus)]
    tmp = tempfile.mkdtemp(prefix="advisor-tree-")
    root = args.keep or Path(tmp) / "org"
    try:
        start = time.perf_counter()
        build(root, sources, args.files)
        print(f"tree: {args.files} templates ({len(sources)} distinct) under {root}, built in "
              f"{time.perf_counter() - start:.1f} s; cores: {os.cpu_count()}; "
              f"load average {os.getloadavg()[0]:.1f}")
        base = [sys.executable, "-m", "advisor", "analyze", str(root), "--no-cache",
                "--format", "jsonl"]
        runs = [("--jobs 1", [*base, "--jobs", "1"]), ("--jobs 2", [*base, "--jobs", "2"]),
                ("--executor dask --jobs 2 (LocalCluster)",
                 [*base, "--executor", "dask", "--jobs", "2"])]
        outputs = []
        print(f"{'run':42} {'seconds':>8} {'files/s':>8} {'client peak MB':>15}")
        for label, cmd in runs:
            out = Path(tmp) / f"out-{len(outputs)}.jsonl"
            wall, peak, code = run(cmd, out)
            outputs.append(out)
            print(f"{label:42} {wall:8.1f} {args.files / wall:8.1f} {peak:15.0f}  (exit {code})",
                  flush=True)
        first = outputs[0].read_bytes()
        same = all(o.read_bytes() == first for o in outputs[1:])
        lines = first.count(b"\n")
        print(f"outputs byte-identical: {same}; {lines} lines ({args.files} results + summary)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
