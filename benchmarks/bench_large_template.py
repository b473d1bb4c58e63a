"""One very large CloudFormation template: import, engine, estimates, report, each timed.

    .venv/bin/python benchmarks/bench_large_template.py [--sizes 5000,60000] [--cli] [--ring]

The template is generated here (nothing read from disk but the tool itself): cells of
five resources, the shape real event-driven stacks repeat,

    Topic (AWS::SNS::Topic)
    Queue (AWS::SQS::Queue)
    Subscription (AWS::SNS::Subscription: TopicArn !Ref Topic, Endpoint !GetAtt Queue.Arn)
    Function (AWS::Lambda::Function: its environment !Ref's the next cell's topic)
    Mapping (AWS::Lambda::EventSourceMapping: !GetAtt Queue.Arn -> !Ref Function)

so every cell has an SNS -> SQS -> Lambda path, each function publishes to the next cell
(one connected design, a chain: the last function publishes nowhere; with `--ring` it
publishes to the first cell, one cycle through the whole design), and the patterns
find something in every cell (queues without a dead-letter queue, functions without
one, ...).

For each size it prints the wall and CPU seconds of each phase in this process (YAML
load + import, engine, the before/after estimates, every alternative's deltas, the JSON
report) and the peak resident memory; `--cli` also times the whole
`advisor analyze FILE --format json --no-cache --timeout 600` process, the way a user (or
the hostile-directory test, with its 30 s per-file budget) runs it. Target (issue 17):
the 60,000-resource template analysed in under 30 s and under 2 GiB. Nothing asserted.
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CELL_RESOURCES = 5


def template(resources: int, ring: bool = False) -> str:
    """A CloudFormation template of about `resources` resources (whole cells); `ring`:
    the last function publishes to the first cell's topic (one cycle through them all)."""
    cells = max(1, resources // CELL_RESOURCES)
    out = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"]
    for i in range(cells):
        target = i + 1 if i + 1 < cells else 0 if ring and cells > 1 else None
        env = (f"""
      Environment:
        Variables:
          NEXT_TOPIC: !Ref Topic{target}""" if target is not None else "")
        out.append(f"""  Topic{i}:
    Type: AWS::SNS::Topic
  Queue{i}:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Subscription{i}:
    Type: AWS::SNS::Subscription
    Properties:
      Protocol: sqs
      TopicArn: !Ref Topic{i}
      Endpoint: !GetAtt Queue{i}.Arn
  Function{i}:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      MemorySize: 256
      Timeout: 30
      Role: arn:aws:iam::123456789012:role/worker
      Code: {{ZipFile: "def handler(event, context):\\n    return event"}}{env}
  Mapping{i}:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      BatchSize: 10
      EventSourceArn: !GetAtt Queue{i}.Arn
      FunctionName: !Ref Function{i}""")
    return "\n".join(out) + "\n"


def corpus_template(copies: int, corpus: Path) -> str:
    """One JSON template holding `copies` copies of every CloudFormation/SAM template of
    the corpus, each copy's ids (resources, parameters, conditions, mappings) suffixed
    with its number and every reference to them renamed alike: every resource type and
    wiring rule real templates use, at scale (SAM `Globals` are left out: one template
    has one)."""
    import json
    import re

    from advisor.importers.cloudformation.template import load_template

    sections = ("Parameters", "Conditions", "Mappings", "Resources")
    sources = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json", ".template") or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
            tpl = load_template(text, str(path))
        except Exception:  # not a template, or not one we read: not part of the mix
            continue
        if not isinstance(tpl, dict) or not isinstance(tpl.get("Resources"), dict):
            continue
        sources.append(json.dumps(tpl, default=str))
    merged: dict[str, dict] = {k: {} for k in sections}
    serverless = False
    for n, text in enumerate(sources):
        ids = {k for sec in sections for k in json.loads(text).get(sec) or {}}
        if not ids:
            continue
        pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(
            re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
        for i in range(copies):
            suffix = f"C{n}x{i}"
            renamed = json.loads(pattern.sub(lambda m, s=suffix: m.group(1) + s, text))
            serverless = serverless or "Serverless" in str(renamed.get("Transform"))
            for sec in sections:
                if isinstance(renamed.get(sec), dict):
                    merged[sec].update(renamed[sec])
    out: dict = {"AWSTemplateFormatVersion": "2010-09-09"}
    if serverless:
        out["Transform"] = "AWS::Serverless-2016-10-31"
    out.update({k: v for k, v in merged.items() if v})
    return json.dumps(out)


def _phase(label: str, fn: Any, rows: list[tuple[str, float, float]]) -> Any:
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    rows.append((label, time.perf_counter() - start, time.process_time() - cpu))
    return value


def in_process(path: str) -> list[tuple[str, float, float]]:
    """Each phase of one analysis, timed in this process, with the cyclic collector
    paused as `advisor analyze` pauses it for each file (advisor/batch/unit.py)."""
    from advisor.gcpause import paused

    with paused():
        return _phases(path)


def _phases(path: str) -> list[tuple[str, float, float]]:
    from advisor.pipeline import Estimates, Options, Report, load_architecture, run_engine
    from advisor.report.jsonout import report_bytes

    rows: list[tuple[str, float, float]] = []
    options = Options()
    from advisor.pipeline import engine_for

    _phase("pattern pack (load, once per run)", lambda: engine_for(options), rows)
    arch = _phase("read + import (load_any)", lambda: load_architecture(path), rows)
    estimates = Estimates(options)
    outcome = _phase("engine (match, choose, rewrite)",
                     lambda: run_engine(arch, options, estimates=estimates), rows)
    _phase("estimate before + after", lambda: (estimates.of(arch), estimates.of(outcome.after)),
           rows)
    from advisor.pipeline import FileResult, attach_deltas

    findings = list(outcome.findings)
    alts = sum(len(f.alternatives) for f in findings)
    _phase(f"alternatives' deltas ({len(findings)} findings, {alts} alternatives)",
           lambda: attach_deltas(arch, findings, estimates), rows)
    result = FileResult(source=path, format=arch.format, findings=findings, before=arch,
                        after=outcome.after, changes=list(outcome.changes),
                        before_estimate=estimates.of(arch),
                        after_estimate=estimates.of(outcome.after))
    _phase("JSON report", lambda: report_bytes(Report([result])), rows)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,60000")
    parser.add_argument("--cli", action="store_true", help="also time the whole CLI process")
    parser.add_argument("--ring", action="store_true",
                        help="the cells in a ring (one cycle) instead of a chain")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"large-{size}.yaml"
            path.write_text(template(size, ring=args.ring), encoding="utf-8")
            print(f"\n{size} resources ({path.stat().st_size / 1e6:.1f} MB of YAML)")
            code = (f"import sys; sys.path.insert(0, {str(REPO)!r});"
                    "from benchmarks.bench_large_template import in_process, resource;"
                    f"rows = in_process({str(path)!r});"
                    "[print(f'  {l:62} {w:7.2f} s {c:7.2f} s CPU') for l, w, c in rows];"
                    "print(f'  {\"total\":62} {sum(r[1] for r in rows):7.2f} s '"
                    "f'{sum(r[2] for r in rows):7.2f} s CPU');"
                    "print(f'  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"
                    " / 1024:.0f} MB')")
            subprocess.run([sys.executable, "-c", code], check=False)
            if args.cli:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "advisor", "analyze", str(path), "--format", "json",
                     "--no-cache", "--jobs", "1", "--timeout", "600", "-o", os.devnull],
                    capture_output=True, check=False)
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                print(f"  whole `advisor analyze` process: {wall:.2f} s, {cpu:.2f} s CPU, "
                      f"peak RSS {after.ru_maxrss / 1024:.0f} MB, exit {proc.returncode}")
    print("\ntarget: 60,000 resources analysed in < 30 s and < 2 GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
