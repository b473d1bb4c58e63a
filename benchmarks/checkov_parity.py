"""Parity with checkov on the corpus: its in-scope findings, flagged by us on the same resource.

checkov cannot share archadvisor's venv (it pins `networkx<2.7` against our `>=3.2`, and
its `bc-python-hcl2` installs a second `hcl2` module over python-hcl2's), so it lives in
its own venv, `.venv-peers/` (`make peer-deps`, run by `make test`; the version is pinned
in benchmarks/peer-requirements.txt so the figures do not move with checkov's releases).
It is found there, else through $CHECKOV, else on PATH.

One checkov process reads the whole corpus folder (`-d`; frameworks cloudformation and
terraform; JSON output: mixing `-f` and `-d` makes it print one JSON document per target
and run five times slower); its findings are then kept for the corpus's inputs only
(templates, and Terraform root modules with their local modules). They are reduced to
(input, check id, resource, file) and cached under `.cache/peer-parity/`, keyed by the
checkov version, its flags and the bytes of every file of the corpus
(peer_parity.cached), so a rerun on an unchanged corpus reads the cache instead of
running checkov (about 20 s).

The judging (scope, false positives, matching) is peer_parity.compare_findings, with
benchmarks/peer_scope.yaml.

Run: `.venv/bin/python benchmarks/checkov_parity.py [CORPUS_DIR] [--no-cache]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import peer_parity  # noqa: E402

ROOT = peer_parity.ROOT
PEER_VENV = ROOT / ".venv-peers"
FRAMEWORKS = ("cloudformation", "terraform")
# --skip-download: no policy/guideline download from the vendor's platform (no API key,
# no network); --compact: no code blocks. Not --quiet: it drops the list of files
# checkov could not parse, which the report names.
FLAGS = ("--framework", *FRAMEWORKS, "--output", "json", "--compact", "--skip-download")
TIMEOUT_S = 1800
# (input, check id, resource id, file declaring the resource), paths relative to the corpus
Found = list[tuple[str, str, str, str]]


def checkov_command() -> list[str] | None:
    """How to run checkov here, or None when it is not installed."""
    local = PEER_VENV / "bin" / "checkov"
    if local.is_file():
        return [str(local)]
    env = os.environ.get("CHECKOV")
    if env:
        return [env]
    found = shutil.which("checkov")
    return [found] if found else None


def checkov_version(cmd: list[str]) -> str:
    out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=120,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def _resource_id(check_type: str, resource: str) -> str:
    """checkov names a CloudFormation resource `AWS::Type.LogicalId`, Terraform by address."""
    if check_type == "cloudformation" and "." in resource:
        return resource.rsplit(".", 1)[1]
    return resource


def _input_of(file_abs: Path, check_type: str, inputs: list[Path]) -> Path | None:
    """The input a finding belongs to: the template itself, or the Terraform root module
    whose folder holds the file (modules included: the deepest matching root wins)."""
    if check_type == "cloudformation":
        return file_abs if file_abs in inputs else None
    roots = [d for d in inputs if d.is_dir() and file_abs.is_relative_to(d)]
    return max(roots, key=lambda d: len(d.parts)) if roots else None


def parse_report(raw: Any, corpus: Path, inputs: list[Path]) -> tuple[Found, list[str]]:
    """checkov's JSON (one report, or a list of them per framework) -> findings, plus the
    files it could not parse."""
    reports = raw if isinstance(raw, list) else [raw]
    by_path = {p.resolve(): p for p in inputs}
    resolved = list(by_path)
    found: set[tuple[str, str, str, str]] = set()
    unreadable: set[str] = set()
    for report in reports:
        if not isinstance(report, dict):
            continue
        check_type = str(report.get("check_type") or "")
        results = report.get("results") or {}
        for name in results.get("parsing_errors") or ():
            unreadable.add(str((corpus / name).resolve()))
        for item in results.get("failed_checks") or ():
            file_abs = Path(item.get("file_abs_path") or item.get("file_path") or "").resolve()
            owner = _input_of(file_abs, check_type, resolved)
            if owner is None:
                continue
            found.add((str(by_path[owner].relative_to(corpus)), str(item["check_id"]),
                       _resource_id(check_type, str(item["resource"])),
                       str(file_abs.relative_to(corpus.resolve()))))
    crashes = sorted(str(Path(u).relative_to(corpus.resolve())) for u in unreadable
                     if Path(u).is_relative_to(corpus.resolve()))
    return sorted(found), crashes


def run_checkov(corpus: Path, inputs: list[Path], *, use_cache: bool = True,
                cache_dir: Path | None = None) -> tuple[Found, list[str], dict[str, Any]]:
    """checkov's failed checks on `inputs`, from the cache when nothing changed.

    Returns (findings, files checkov could not parse, run info: version, cached, seconds).
    """
    cmd = checkov_command()
    if cmd is None:
        raise RuntimeError("checkov is not installed (make peer-deps)")
    version = checkov_version(cmd)

    def scan() -> dict[str, Any]:
        args = [*cmd, *FLAGS, "--directory", str(corpus)]
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, env=env,
                              check=False, cwd=str(corpus))
        if proc.returncode not in (0, 1):  # 1 = some checks failed
            raise RuntimeError(f"checkov exited {proc.returncode}: {proc.stderr[-2000:]}")
        found, crashes = parse_report(json.loads(proc.stdout or "[]"), corpus, inputs)
        return {"seconds": round(time.perf_counter() - start, 1), "found": found,
                "crashes": crashes}

    key = peer_parity.cache_key(corpus, inputs, f"checkov {version} {' '.join(FLAGS)}")
    data, hit = peer_parity.cached("checkov", key, scan, use_cache=use_cache,
                                   cache_dir=cache_dir)
    info = {"version": version, "cached": hit, "seconds": data["seconds"]}
    return [tuple(f) for f in data["found"]], list(data["crashes"]), info


LAST_RUN: dict[str, Any] = {}


def compare(corpus: Path = peer_parity.DEFAULT_CORPUS, *, use_cache: bool = True) -> peer_parity.Parity:
    """checkov parity on every input of the corpus (CloudFormation/SAM and Terraform)."""
    inputs = peer_parity.corpus_inputs(corpus)
    found, crashes, info = run_checkov(corpus, inputs, use_cache=use_cache)
    LAST_RUN.clear()
    LAST_RUN.update(info)
    per_input: dict[Path, list[peer_parity.PeerFinding]] = {}
    for rel, rule, resource, file in found:
        per_input.setdefault(corpus / rel, []).append(
            peer_parity.PeerFinding(rule, resource, corpus / file))
    scope = {k: v for k, v in peer_parity.load_scope().items() if v.peer == "checkov"}
    parity = peer_parity.compare_findings(corpus, f"checkov {info['version']}", per_input,
                                          scope, len(inputs))
    parity.peer_crashes = crashes
    return parity


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=peer_parity.DEFAULT_CORPUS)
    parser.add_argument("--no-cache", action="store_true", help="run checkov even if cached")
    parser.add_argument("--examples", type=int, default=peer_parity.EXAMPLES)
    args = parser.parse_args(argv)
    if checkov_command() is None:
        sys.exit("checkov is not installed: `make peer-deps` creates .venv-peers/")
    start = time.perf_counter()
    parity = compare(args.corpus, use_cache=not args.no_cache)
    peer_parity.print_parity(parity, args.examples)
    print(f"checkov run: {LAST_RUN['seconds']} s"
          f"{' (cached)' if LAST_RUN['cached'] else ''}; "
          f"whole comparison {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
