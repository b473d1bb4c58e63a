"""`advisor fix` over the labelled corpus: how many applied rewrites get a verified patch.

For every input of the corpus manifest (each CloudFormation/SAM template; each Terraform
folder as one module) the default rewrites are patched with verification on, the diff is
applied with `git apply` in a scratch copy (and the result compared byte for byte with
the patched text), and fixing the patched copy again must change nothing.

Prints: applied rewrites, patched and verified / total (target >= 90%), the rest each
with its reason (target 100%), `git apply` successes, idempotence, lines removed by the
patches (only replaced values and JSON separators should be), per-rule counts and the
reasons for what was not patched.

Usage: .venv/bin/python benchmarks/fix_corpus.py [--corpus DIR] [--json] [--limit N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "serverless-patterns"


def corpus_inputs(corpus: Path) -> list[tuple[str, str]]:
    """(entry folder, input path relative to the folder) for every manifest input."""
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    out = []
    for entry in manifest.get("entries", []):
        folder = entry["folder"]
        if entry.get("format") == "terraform":
            dirs = sorted({str(Path(t).parent) for t in entry.get("templates", [])
                           if t.endswith(".tf") and "modules/" not in t})
            out.extend((folder, d) for d in (dirs or ["."]))
        else:
            out.extend((folder, t) for t in entry.get("templates", [])
                       if t.endswith((".yaml", ".yml", ".json", ".template")))
    return out


@contextlib.contextmanager
def _cwd(path: Path) -> Any:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def measure(corpus: Path = DEFAULT_CORPUS, limit: int | None = None,
            apply: str = "default") -> dict[str, Any]:
    from advisor.fix import fix_source
    from advisor.pipeline import Options

    options = Options(apply=apply, estimates=False)

    totals: Counter[str] = Counter()
    by_rule: Counter[tuple[str, str]] = Counter()
    reasons: Counter[str] = Counter()
    failed_checks: Counter[str] = Counter()
    inputs = corpus_inputs(corpus)[:limit]
    with tempfile.TemporaryDirectory(prefix="fix-corpus-") as tmp:
        for folder, rel in inputs:
            work = Path(tmp) / folder
            if not work.exists():
                shutil.copytree(corpus / folder, work, symlinks=False)
            with _cwd(Path(tmp)):
                target = str(Path(folder) / rel) if rel != "." else folder
                target = target.rstrip("/")
                fix = fix_source(target, options, verify=True)
                totals["inputs"] += 1
                if fix.errors and not fix.rewrites:
                    totals["inputs with errors"] += 1
                for r in fix.rewrites:
                    totals["applied"] += 1
                    state = "verified" if r.status == "patched" and r.verified else (
                        "patched, not verified" if r.status == "patched" else "not patched")
                    by_rule[(r.rule, state)] += 1
                    totals[state] += 1
                    if r.status != "patched":
                        totals["not patched, with reason"] += bool(r.reason.strip())
                        reasons[f"{r.rule}: {r.reason[:110]}"] += 1
                    elif not r.verified:
                        failed_checks[f"{r.rule}: {r.failed_check}"] += 1
                if not fix.changed:
                    continue
                totals["patched inputs"] += 1
                diff = fix.diff()
                totals["lines added"] += sum(1 for x in diff.splitlines()
                                             if x.startswith("+") and not x.startswith("+++"))
                totals["lines removed"] += sum(1 for x in diff.splitlines()
                                               if x.startswith("-") and not x.startswith("---"))
                if fix.checks.get("idempotent") == "ok":
                    totals["idempotent"] += 1
                totals["git apply ok"] += _git_apply(Path(tmp), diff, fix)
    applied = totals["applied"] or 1
    rest = totals["applied"] - totals["verified"]
    return {
        "inputs": totals["inputs"],
        "inputs_with_errors": totals["inputs with errors"],
        "applied_rewrites": totals["applied"],
        "patched_and_verified": totals["verified"],
        "patched_and_verified_pct": round(100 * totals["verified"] / applied, 1),
        "patched_not_verified": totals["patched, not verified"],
        "not_patched": totals["not patched"],
        "not_patched_with_reason": totals["not patched, with reason"],
        "rest_with_reason_pct": round(100 * (totals["not patched, with reason"]
                                             + totals["patched, not verified"]) / rest, 1)
        if rest else 100.0,
        "patched_inputs": totals["patched inputs"],
        "git_apply_ok": totals["git apply ok"],
        "idempotent": totals["idempotent"],
        "lines_added": totals["lines added"],
        "lines_removed": totals["lines removed"],
        "by_rule": {f"{rule} [{state}]": n for (rule, state), n in sorted(by_rule.items())},
        "not_patched_reasons": dict(reasons.most_common()),
        "failed_checks": dict(failed_checks.most_common()),
    }


def _git_apply(root: Path, diff: str, fix: Any) -> int:
    """Apply the diff to a fresh copy with `git apply`; 1 when it applies and gives
    exactly the patched text."""
    with tempfile.TemporaryDirectory(prefix="fix-apply-") as scratch:
        for f in fix.changed:
            dest = Path(scratch) / os.path.relpath(f.path, root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(f.old, "utf-8", newline="")
        (Path(scratch) / "fix.patch").write_text(diff, "utf-8", newline="")
        proc = subprocess.run(["git", "apply", "--unsafe-paths", "fix.patch"], cwd=scratch,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return 0
        for f in fix.changed:
            dest = Path(scratch) / os.path.relpath(f.path, root)
            if dest.read_bytes().decode("utf-8") != f.new:
                return 0
    return 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--apply", choices=["default", "all"], default="default",
                    help="which rewrites to patch (as `advisor fix --apply`)")
    args = ap.parse_args()
    figures = measure(args.corpus, args.limit, args.apply)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"inputs: {figures['inputs']} ({figures['inputs_with_errors']} with input errors)")
    print(f"applied rewrites: {figures['applied_rewrites']}")
    print(f"patched and verified: {figures['patched_and_verified']} / "
          f"{figures['applied_rewrites']} = {figures['patched_and_verified_pct']}% "
          "(target >= 90%)")
    print(f"patched, a check failed (named): {figures['patched_not_verified']}")
    print(f"not patched: {figures['not_patched']}, with a reason: "
          f"{figures['not_patched_with_reason']}")
    print(f"the rest with a reason or a named failed check: {figures['rest_with_reason_pct']}%"
          " (target 100%)")
    print(f"git apply: {figures['git_apply_ok']} / {figures['patched_inputs']} patched inputs")
    print(f"idempotent (fix of the patched file is empty): {figures['idempotent']} / "
          f"{figures['patched_inputs']}")
    print(f"diff lines: +{figures['lines_added']} -{figures['lines_removed']}")
    print("by rule:")
    for k, v in figures["by_rule"].items():
        print(f"  {v:4d}  {k}")
    if figures["failed_checks"]:
        print("failed checks:")
        for k, v in figures["failed_checks"].items():
            print(f"  {v:4d}  {k}")
    print("not patched, why:")
    for k, v in figures["not_patched_reasons"].items():
        print(f"  {v:4d}  {k}")


if __name__ == "__main__":
    main()
