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
    warm = analyze(args, root)
    fresh = analyze([*args, "--no-cache"], root)
    assert cold[0] == warm[0] == fresh[0] == 2  # broken.arch is an input error
    assert warm[1] == cold[1] == fresh[1]
    entries = [p for p in (tmp_path / "c").rglob("*") if p.is_file() and p.parent.name != "c"]
    assert len(entries) == 4  # one per input: the warm run read them, wrote none


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


def test_editing_a_handler_file_invalidates_its_template(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    args = ["svc/template.yaml", "--format", "json", "-j", "1",
            "--cache-dir", str(tmp_path / "c")]
    _, glue, _ = analyze(args, root)
    (root / "svc/src/app.py").write_text(LOGIC)
    _, logic, _ = analyze(args, root)
    _, fresh, _ = analyze([*args, "--no-cache"], root)
    assert logic == fresh
    assert logic != glue  # the handler's verdict is part of the result: the test is live
    (root / "svc/src/app.py").write_text(GLUE)
    assert analyze(args, root)[1] == glue  # and back


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
                and not p.name.startswith(".") and p.name != "CACHEDIR.TAG"]
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
    _, again, _ = analyze(args, root)  # the text writer needs the objects: analysed again
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
