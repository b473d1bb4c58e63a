"""The result cache (advisor/batch/cache.py): reruns read results back, byte for byte.

Each test builds its own small project in tmp_path, runs `advisor analyze` in-process
with `--cache-dir` pointing into tmp_path, and compares against a `--no-cache` run of
the same files: a cached answer must be exactly what a fresh analysis says, and any change
to an input, to a file it points to or to the configuration must be seen.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor import batch
from advisor.batch import cache as cache_mod
from advisor.cli import _register_all, cli

REPO = Path(__file__).resolve().parents[1]
_register_all()

GLUE = '''import json, os, boto3
sqs = boto3.client("sqs")

def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["Q"], MessageBody=json.dumps(event["body"]))
    return {"statusCode": 202}
'''
LOGIC = '''import boto3
s3 = boto3.client("s3")
sqs = boto3.client("sqs")

def handler(event, context):
    obj = s3.get_object(Bucket="b", Key=event["key"])
    sqs.send_message(QueueUrl="q", MessageBody=obj["Body"].read().decode())
'''
SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod}
  Forward:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment: {Variables: {Q: !Ref Queue}}
      Events:
        Post: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /in, Method: post}}
  Queue:
    Type: AWS::SQS::Queue
"""
DSL = 'architecture "d"\nclient c\napigw a { type = rest, auth = none }\nlambda f\nc -> a -> f\n'


def project(root: Path) -> Path:
    files = {
        "svc/template.yaml": SAM,
        "svc/src/app.py": GLUE,
        "design.arch": DSL,
        "config.yaml": "name: not a template\n",
        "broken.arch": 'architecture "b"\nlambda f {\n',
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def analyze(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(cli, ["analyze", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, res.stdout, res.stderr


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "sarif", "markdown"])
def test_warm_rerun_is_byte_identical_to_a_fresh_run(tmp_path: Path, fmt: str) -> None:
    root = project(tmp_path / "p")
    args = [".", "--format", fmt, "-j", "1", "--cache-dir", str(tmp_path / "c")]
    cold = analyze(args, root)
    stored = cache_files(tmp_path / "c")
    warm = analyze(args, root)
    fresh = analyze([*args, "--no-cache"], root)
    assert cold[0] == warm[0] == fresh[0] == 2  # broken.arch is an input error
    assert warm[1] == cold[1] == fresh[1]
    assert cache_files(tmp_path / "c") == stored  # the warm run read them, wrote none
    entries = [p for p in stored if "." not in p.name]
    parts = [p for p in stored if "." in p.name]
    assert len(entries) == 4  # one per input
    # text and SARIF keep each result's part of the report beside its entry
    assert len(parts) == (4 if fmt in ("text", "sarif") else 0)


def cache_files(directory: Path) -> dict[Path, int]:
    """The cache's entries and parts (not its .gitignore and tag), with their mtimes."""
    return {p: p.stat().st_mtime_ns for p in directory.rglob("*")
            if p.is_file() and p.parent.name != directory.name}


def test_every_input_kind_is_served_from_the_cache(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    inputs = batch.discover([str(root)])
    settings = batch.Settings()
    store = cache_mod.ResultCache.for_settings(tmp_path / "c", settings)
    first = batch.run(inputs, settings, cache=store)
    assert not any(o.cached for o in first)
    again = cache_mod.ResultCache.for_settings(tmp_path / "c", settings)
    second = batch.run(inputs, settings, cache=again)
    assert [o.cached for o in second] == [True] * len(inputs)
    assert [o.status for o in second] == [o.status for o in first] == [
        "input-error", "skipped", "ok", "ok"]
    assert (again.hits, again.misses) == (4, 0)
    assert [o.result.to_dict() for o in second] == [o.result.to_dict() for o in first]


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_editing_a_handler_file_invalidates_its_template(tmp_path: Path, fmt: str) -> None:
    # text and SARIF: the parts kept beside the entry go stale with it
    root = project(tmp_path / "p")
    args = ["svc/template.yaml", "--format", fmt, "-j", "1",
            "--cache-dir", str(tmp_path / "c")]
    _, glue, _ = analyze(args, root)
    (root / "svc/src/app.py").write_text(LOGIC)
    _, logic, _ = analyze(args, root)
    _, fresh, _ = analyze([*args, "--no-cache"], root)
    assert logic == fresh
    assert logic != glue  # the handler's verdict is part of the result: the test is live
    (root / "svc/src/app.py").write_text(GLUE)
    assert analyze(args, root)[1] == glue  # and back


def test_text_parts_are_kept_per_width(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p")
    args = [".", "--format", "text", "-j", "1", "--cache-dir", str(tmp_path / "c")]
    out = {}
    for width in ("60", "120", "60"):
        monkeypatch.setenv("COLUMNS", width)
        out[width] = analyze(args, root)[1]
        assert out[width] == analyze([*args, "--no-cache"], root)[1]
    assert out["60"] != out["120"]  # the width changes the text: the test is live
    parts = [p for p in cache_files(tmp_path / "c") if "." in p.name]
    assert len(parts) == 2 * 4  # each input's section at each width


def test_sarif_parts_follow_the_working_directory(tmp_path: Path) -> None:
    # SARIF makes absolute paths under the working directory relative: a part made from
    # one directory is not the part for another
    root = project(tmp_path / "p")
    target = str(root / "svc" / "template.yaml")
    args = [target, "--format", "sarif", "-j", "1", "--cache-dir", str(tmp_path / "c")]
    inside = analyze(args, root)[1]
    outside = analyze(args, tmp_path)[1]
    assert inside != outside
    assert analyze(args, root)[1] == inside == analyze([*args, "--no-cache"], root)[1]
    assert analyze(args, tmp_path)[1] == outside == analyze([*args, "--no-cache"], tmp_path)[1]


@pytest.mark.parametrize("fmt", ["text", "sarif"])
def test_a_report_of_parts_is_the_report_of_the_results(tmp_path: Path, fmt: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # the parts path (workers and the cache hand over each result's part) against the
    # writer given the full results of the same files
    from advisor.pipeline import Report, analyze_source
    from advisor.report import write

    monkeypatch.setenv("COLUMNS", "100")
    root = project(tmp_path / "p")
    files = ["svc/template.yaml", "design.arch", "broken.arch"]
    args = [*files, "--format", fmt, "-j", "1", "--cache-dir", str(tmp_path / "c")]
    cold, warm = analyze(args, root)[1], analyze(args, root)[1]
    monkeypatch.chdir(root)
    direct = write(Report([analyze_source(f) for f in files]), fmt, color=False, width=100)
    if fmt == "text":  # the command adds its summary table after the report
        assert cold.startswith(direct) and len(cold) > len(direct)
    else:
        assert cold == direct
    assert warm == cold


def test_a_handler_file_that_appears_invalidates_its_template(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / "svc/src/app.py").unlink()
    args = ["svc/template.yaml", "--format", "json", "-j", "1",
            "--cache-dir", str(tmp_path / "c")]
    _, missing, _ = analyze(args, root)
    (root / "svc/src/app.py").write_text(GLUE)
    _, found, _ = analyze(args, root)
    assert found == analyze([*args, "--no-cache"], root)[1]
    assert found != missing


def test_configuration_and_patterns_are_part_of_the_key(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    base = ["design.arch", "--format", "json", "-j", "1", "--cache-dir", str(tmp_path / "c")]
    _, everything, _ = analyze(base, root)
    _, selected, _ = analyze([*base, "--select", "SEC-"], root)
    assert selected == analyze([*base, "--select", "SEC-", "--no-cache"], root)[1]
    assert selected != everything
    (root / ".archadvisor.yaml").write_text("requests: 50M/month\n")
    _, busier, _ = analyze(base, root)
    assert busier == analyze([*base, "--no-cache"], root)[1] != everything
    settings = batch.Settings()
    other = batch.Settings(options=batch.Settings().options.__class__(region="eu-west-1"))
    assert cache_mod.run_key(settings) != cache_mod.run_key(other)


def test_cache_directory_ignores_itself_and_no_cache_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    analyze(["design.arch", "-j", "1", "--no-cache"], root)
    assert not (root / ".archadvisor_cache").exists()
    analyze(["design.arch", "-j", "1"], root)  # default: in the working directory
    assert (root / ".archadvisor_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (root / ".archadvisor_cache" / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55")
    # and a walk never treats the cache's own files as inputs
    assert all(".archadvisor_cache" not in i.path for i in batch.discover([str(root)]))


def test_config_can_turn_the_cache_off_or_move_it(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / ".archadvisor.yaml").write_text("cache: false\n")
    analyze(["design.arch", "-j", "1"], root)
    assert not (root / ".archadvisor_cache").exists()
    (root / ".archadvisor.yaml").write_text("cache-dir: build/advisor-cache\n")
    analyze(["design.arch", "-j", "1"], root)
    assert (root / "build" / "advisor-cache" / ".gitignore").exists()


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch /tmp/archadvisor-cache-pwned",))


def test_a_forged_entry_executes_nothing_and_is_analysed_afresh(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    args = ["design.arch", "--format", "text", "-j", "1", "--cache-dir", str(tmp_path / "c")]
    _, honest, _ = analyze(args, root)
    (entry,) = [p for p in (tmp_path / "c").rglob("*") if p.is_file() and p.parent.name != "c"
                and "." not in p.name and p.name != "CACHEDIR.TAG"]  # not its text part
    data = entry.read_bytes()
    header_end = data.index(b"\n", len(cache_mod.MAGIC))
    header = json.loads(data[len(cache_mod.MAGIC):header_end])
    fragment = data[header_end + 1:header_end + 1 + header["sizes"][0]]
    evil = pickle.dumps(_Boom())
    header["sizes"] = [len(fragment), len(evil)]
    forged = cache_mod.MAGIC + json.dumps(header).encode() + b"\n" + fragment + evil
    entry.write_bytes(forged)
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        cache_mod.decode_entry(forged)[1].load()
    # the entry's header changed, so its text part no longer matches; the text writer
    # needs the objects, which do not load: analysed again
    _, again, _ = analyze(args, root)
    assert not Path("/tmp/archadvisor-cache-pwned").exists()
    assert again == honest


def test_unwritable_cache_directory_does_not_stop_the_run(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would go")
    code, out, _ = analyze(["design.arch", "--format", "json", "-j", "1",
                            "--cache-dir", str(blocker / "cache")], root)
    assert code in (0, 1) and json.loads(out)["results"][0]["source"] == "design.arch"


def test_concurrent_runs_share_a_cache_safely(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    for i in range(12):  # enough files for the two runs to overlap
        (root / f"d{i}.arch").write_text(DSL.replace('"d"', f'"d{i}"'))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "advisor", "analyze", ".", "--format", "json", "-j", "1",
           "--cache-dir", str(tmp_path / "c")]
    procs = [subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    fresh = subprocess.run([*cmd, "--no-cache"], cwd=root, env=env, capture_output=True,
                           timeout=300, check=False)
    assert all(o[0] == fresh.stdout for o in outs), [o[1][-500:] for o in outs]
    assert not [p for p in (tmp_path / "c").rglob(".tmp-*")]  # no half-written entry left
    warm = subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=300, check=False)
    assert warm.stdout == fresh.stdout


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_a_warm_rerun_loads_no_result_objects(tmp_path: Path, fmt: str) -> None:
    # what keeps a rerun fast: every result comes as plain data and parts, so neither
    # the model (networkx) nor the diagram output (pydot) is imported, nothing unpickled;
    # with no usage file about, not even the YAML parser
    root = project(tmp_path / "p")
    args = ["analyze", ".", "--format", fmt, "-j", "1", "--cache-dir", str(tmp_path / "c"),
            "-o", os.devnull]
    probe = ("import sys, pickle\nfrom advisor.cli import main\n"
             "loads = []\nclass Spy(pickle.Unpickler):\n"
             "    def load(self):\n        loads.append(1)\n        return super().load()\n"
             "pickle.Unpickler = Spy\n"
             f"sys.argv = ['advisor', *{args!r}]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('networkx' in sys.modules, 'pydot' in sys.modules, len(loads),\n"
             "      'yaml' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def run() -> str:
        return subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, check=True,
                              capture_output=True, text=True).stdout.split()

    assert run() == ["True", "False", "0", "True"]  # cold: analysed here
    assert run() == ["False", "False", "0", "False"]
