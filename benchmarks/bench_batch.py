"""Batch throughput: `advisor analyze` over the corpus templates vs cfn-lint on the same files.

    .venv/bin/python benchmarks/bench_batch.py [--repeat N] [--corpus DIR] [--profile]

In one session, runs alternated so machine load hits every tool alike:

1. `advisor analyze --no-cache` (a cold run: every file analysed) on the CloudFormation/
   SAM templates of ../shared/corpus/serverless-patterns (the files a directory walk
   analyses), all patterns and estimates on, `--format json`, `text` and `sarif`, with
   the default `--jobs` (the machine's cores) and `--jobs 1`;
2. `cfn-lint` and `cfn-lint -a cfn_lint_serverless.rules` on exactly those files (one
   process for all of them: their fastest use);
3. bare libyaml: a fresh Python process that only parses the same files with PyYAML's C
   loader (CloudFormation tags accepted), the floor any YAML-reading tool stands on.

Every figure is the wall-clock time of a fresh process, start-up included, best of
--repeat runs, plus its CPU time (user + system, children included). Targets (issue 17):
advisor >= 10x cfn-lint + cfn-lint-serverless, and within 4x of bare libyaml.
`--profile` also prints where a cold `--jobs 1` run spends its time, by owner (imports,
the pattern pack's JSON-Schema validation, importers, engine, estimates, report).
Prints a table; nothing is asserted (speed is not a unit test).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "serverless-patterns"
YAML_ONLY = """
import sys, yaml
class L(yaml.CSafeLoader):
    pass
L.add_multi_constructor("!", lambda loader, suffix, node: None)
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        yaml.load(handle.read(), Loader=L)
"""


def env() -> dict[str, str]:
    """The user's environment: bytecode caches on (a session may turn them off)."""
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPATH"] = str(REPO)
    return out


def timed(cmd: list[str], repeat: int, cwd: str | None = None) -> tuple[float, float, int]:
    """Best wall time and the CPU time of that run (children included), last exit code."""
    best, best_cpu, code = float("inf"), 0.0, 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=env(), cwd=cwd, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if wall < best:
            best, best_cpu = wall, cpu
        code = proc.returncode
        if code not in (0, 1, 2, 4, 6, 8, 10, 12, 14):  # cfn-lint uses bit flags
            sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
    return best, best_cpu, code


def find_tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def templates_of(corpus: Path) -> list[str]:
    sys.path.insert(0, str(REPO))
    from advisor.batch import discover

    inputs = discover([str(corpus)])
    return [i.path for i in inputs if i.kind == "file" and not i.error
            and i.path.endswith((".yaml", ".yml", ".json", ".template"))
            and _is_template(i.path)]


def _is_template(path: str) -> bool:
    from advisor.importers import detect_format
    from advisor.importers.reading import read_text

    try:
        return detect_format(read_text(path), path) == "cloudformation"
    except Exception:
        return False


def profile(templates: list[str]) -> None:
    """Where a cold `--jobs 1` JSON run spends its time, by owner (cProfile, in-process)."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "prof"
        code = ("import sys; from advisor.cli import main; "
                f"sys.argv=['advisor','analyze','--no-cache','-j','1','--format','json',"
                f"'-o','{os.devnull}',*{templates!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass")
        cProfile.runctx(code, {}, {}, str(out))
        stats = pstats.Stats(str(out)).stats
    total = max(v[3] for v in stats.values())

    def cum(path_end: str, name: str) -> float:
        return sum(v[3] for k, v in stats.items() if k[0].endswith(path_end) and k[2] == name)

    rows = [
        ("imports (every module)", cum("<frozen importlib._bootstrap>", "_find_and_load")),
        ("pattern pack load (engine/loader.py load_file)", cum("engine/loader.py", "load_file")),
        ("  of which JSON-Schema validation", cum("jsonschema/validators.py", "iter_errors")),
        ("importers (load_any)", cum("importers/__init__.py", "load_any")),
        ("engine run", cum("engine/core.py", "run")),
        ("estimates (estimate, all calls)", cum("estimate/estimator.py", "estimate")),
        ("  of which attach_alternative_deltas", cum("estimate/estimator.py",
                                                     "attach_alternative_deltas")),
        ("JSON report (encode_result + assembly)", cum("report/jsonout.py", "encode_result")
         + cum("report/jsonout.py", "report_bytes")),
        ("regular-expression compiles", cum("re/__init__.py", "_compile")),
    ]
    print("\nwhere a cold --jobs 1 run spends its time (cProfile, share of the whole run;")
    print("nested rows overlap their parents; imports overlap the rest):")
    for label, sec in rows:
        print(f"  {label:50s} {100 * sec / total:5.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    templates = templates_of(args.corpus)
    n = len(templates)
    advisor = [sys.executable, "-m", "advisor", "analyze", "--no-cache", "-o", os.devnull]
    cfn_lint = find_tool("cfn-lint")
    print(f"corpus: {args.corpus}: {n} CloudFormation/SAM templates; cores: {os.cpu_count()};"
          f" best of {args.repeat}; load average {os.getloadavg()[0]:.1f}")
    subprocess.run([*advisor, "--format", "json", *templates[:3]], env=env(),
                   capture_output=True, check=False)  # bytecode caches written once

    runs: list[tuple[str, list[str]]] = [
        ("libyaml parse only (python -c, CSafeLoader)", [sys.executable, "-c", YAML_ONLY,
                                                          *templates]),
    ]
    for fmt in ("json", "text", "sarif"):
        runs.append((f"advisor --format {fmt} (default --jobs)", [*advisor, "--format", fmt,
                                                                  *templates]))
    runs.append(("advisor --format json --jobs 1", [*advisor, "--format", "json", "-j", "1",
                                                    *templates]))
    if cfn_lint:
        runs.append(("cfn-lint", [cfn_lint, "--", *templates]))
        runs.append(("cfn-lint -a cfn_lint_serverless.rules",
                     [cfn_lint, "-a", "cfn_lint_serverless.rules", "--", *templates]))
    results: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):  # alternate: one run of each, then again
        for label, cmd in runs:
            wall, cpu, _code = timed(cmd, 1)
            if label not in results or wall < results[label][0]:
                results[label] = (wall, cpu)

    peer = results.get("cfn-lint -a cfn_lint_serverless.rules")
    floor = results["libyaml parse only (python -c, CSafeLoader)"]
    print()
    print(f"{'run':46} {'wall s':>7} {'cpu s':>6} {'tpl/s':>7} {'vs cfn-lint+sls':>15} "
          f"{'vs libyaml':>10}")
    for label, (wall, cpu) in results.items():
        ratio = f"x{peer[0] / wall:.1f}" if peer else "-"
        over = f"{wall / floor[0]:.1f}x"
        print(f"{label:46} {wall:7.2f} {cpu:6.2f} {n / wall:7.1f} {ratio:>15} {over:>10}")
    print("targets: advisor >= x10 of cfn-lint + cfn-lint-serverless; <= 4x libyaml")
    if args.profile:
        profile(templates)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
