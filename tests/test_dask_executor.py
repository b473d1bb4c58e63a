"""`--executor dask`: the per-file unit on dask.distributed workers (a LocalCluster).

One small LocalCluster (2 single-threaded worker processes) serves the library-level
tests through `scheduler=ADDRESS` (the `--scheduler` path); the CLI test lets the
command start and stop its own LocalCluster. Results must be the same bytes as
`--jobs 1`, in input order, with a hanging file reported as timed out (the files run in
a child process of each Dask worker) and the others unaffected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor import batch
from advisor.report import jsonout
from tests.test_batch import CFN_YAML, DSL, slow_analyzer, write

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")

REPO = Path(__file__).resolve().parents[1]
TREE = {
    "a/design.arch": DSL,
    "a/template.yaml": CFN_YAML,
    "a/config.yaml": "name: x\n",
    "b/broken.arch": "this is not a design\n",
    "b/queue.yaml": CFN_YAML.replace("Q:", "Other:"),
    "c/main.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n',
}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.daemon": False}), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=40) as cluster:
        yield cluster.scheduler_address


def _json(outcomes: list[batch.Outcome]) -> list[bytes]:
    return [jsonout.encode_result(o.result) for o in outcomes]


def test_dask_results_match_jobs_1_in_order(tmp_path: Path, scheduler: str) -> None:
    write(tmp_path, TREE)
    inputs = batch.discover([str(tmp_path)])
    settings = batch.Settings(timeout=60)
    local = batch.run(inputs, settings, jobs=1)
    remote = batch.run(inputs, settings, jobs=2, executor="dask", scheduler=scheduler)
    assert [o.result.source for o in remote] == [i.path for i in inputs]
    assert [o.status for o in remote] == [o.status for o in local] == [
        "skipped", "ok", "ok", "input-error", "ok", "ok"]
    assert _json(remote) == _json(local)


def test_dask_worker_isolates_a_hanging_file(scheduler: str) -> None:
    names = ["a0", "hang1", "a2", "bug3", "a4"]
    inputs = [batch.Input(f"/virtual/{n}") for n in names]
    out = batch.run(inputs, batch.Settings(timeout=2, analyzer=slow_analyzer), jobs=2,
                    executor="dask", scheduler=scheduler)
    assert [o.result.source for o in out] == [i.path for i in inputs]
    assert [o.status for o in out] == ["ok", "timeout", "ok", "internal-error", "ok"]
    assert "timed out after 2 s" in out[1].result.errors[0].message


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "advisor", "analyze", *args], cwd=cwd,
                          capture_output=True, env=env, timeout=300, check=False)


def test_cli_dask_local_cluster_is_byte_identical_to_jobs_1(tmp_path: Path) -> None:
    write(tmp_path / "tree", TREE)
    base = ["tree", "--no-cache", "--format"]
    for fmt in ("json", "jsonl"):
        one = _cli([*base, fmt, "--jobs", "1"], tmp_path)
        dask_run = _cli([*base, fmt, "--executor", "dask", "--jobs", "2"], tmp_path)
        assert dask_run.returncode == one.returncode == 2, dask_run.stderr[-2000:]
        assert dask_run.stdout == one.stdout
        assert b"Traceback" not in dask_run.stderr
    lines = one.stdout.decode().splitlines()
    assert len(lines) == len(TREE) + 1  # one line per input, then the summary
    assert json.loads(lines[-1])["summary"]["files"] == len(TREE)
