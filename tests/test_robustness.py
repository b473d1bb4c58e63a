"""Hostile and random input: the front ends raise only AdvisorError, with a location.

Fuzzing (hypothesis) covers the DSL parser (`advisor.dsl.parse_text`) and both importers
through `advisor.importers.load_any` (CloudFormation-ish YAML/JSON and Terraform-ish text
written to temporary files), with random and mutated inputs. The fixed cases are the
classic attacks: YAML alias bombs, deep nesting, `!!python/...` tags, invalid UTF-8,
binary files, 50 MB files, symlink loops in a tree, unreadable files.

Every test states its time and memory bound in a comment. The bounds are enforced, not
just hoped for, in `test_cli_survives_all_hostile_files_within_limits`: that run goes
through `advisor analyze --jobs 2`, whose workers have a per-file timeout and a 2 GB
address-space cap, so a regression shows up as a timeout or crash result, not a hung CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.errors import AdvisorError

REPO = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def load_any(path: str) -> object:
    from advisor.importers import load_any as real

    return real(path)


def assert_located(exc: AdvisorError, path: str | None = None) -> None:
    """Every diagnostic names the input and a 1-based line and column."""
    assert exc.diagnostics, "AdvisorError without diagnostics"
    for d in exc.diagnostics:
        assert d.line >= 1 and d.column >= 1, d
        assert d.message
        if path is not None:
            assert os.path.basename(path) in d.path or d.path == path, (d.path, path)


def only_advisor_error(fn: object, *args: object, path: str | None = None) -> None:
    """Call fn; success or AdvisorError (with a location) are fine, anything else fails."""
    try:
        fn(*args)  # type: ignore[operator]
    except AdvisorError as exc:
        assert_located(exc, path)


# ------------------------------------------------------------------ mutation helpers

DSL_SEED = """architecture "seed"
workload { requests = 10M/month, payload = 2KB }
client   browser
apigw    ingest  { type = rest, auth = none }
lambda   forward { memory = 1024MB, duration = 120ms, runtime = python3.12 }
firehose delivery
s3       lake    { encryption = sse-kms }
group "analytics" {
  sqs audit { fifo = true }   # advisor: ignore REL-SQS-DLQ
}
browser -> ingest -> forward -> delivery -> lake
forward -> audit [mode = async, label = "x", batch = 10]
"""

CFN_SEED = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: !Ref Stage}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      MemorySize: 512
      Events:
        Post: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: post}}
      Environment:
        Variables: {QUEUE: !GetAtt Queue.Arn, NAME: !Sub '${AWS::StackName}-x'}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
  Dlq: {Type: AWS::SQS::Queue}
Outputs:
  Url: {Value: !Join ['', ['https://', !Ref Api]]}
"""

TF_SEED = """variable "name" { default = "orders" }
locals { prefix = "${var.name}-x" }
resource "aws_sqs_queue" "q" {
  name = local.prefix
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 3 })
}
resource "aws_sqs_queue" "dlq" { name = "dlq" }
resource "aws_lambda_function" "f" {
  function_name = "f"
  runtime       = "python3.12"
  memory_size   = 512
  handler       = "app.handler"
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_sqs_queue.q.arn
  function_name    = aws_lambda_function.f.arn
  batch_size       = 10
}
module "m" { source = "./missing" }
"""

TOKENS = ["{", "}", "[", "]", "->", "=", ",", ":", "\n", "\"", "#", "!Ref ", "!GetAtt ",
          "&a ", "*a", "${", "10M/month", "1024MB", "-", "  ", "\t", "\x00", "\ufeff", "é",
          "resource ", "module ", "Resources:", "Type: ", "AWS::SQS::Queue", "lambda ",
          "null", "true", "1e309", "-0", "'", "|", ">", "---", "...", "%YAML 1.1"]


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    """The seed with a few random edits: deletions, insertions of tokens, duplications."""
    text = seed
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "insert", "dup", "swap"]))
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 40)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)))
            text = text[:i] + piece + text[i:]
        elif op == "dup":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[i:j] + text[:i] + text[j:]
    return text


def write_tmp(name: str, data: str | bytes) -> str:
    directory = tempfile.mkdtemp(prefix="fuzz-")
    path = os.path.join(directory, name)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as h:
        h.write(data)
    return path


# ------------------------------------------------------------------ fuzzing: DSL

# Bound: 120 examples x < 50 ms each (inputs are under 2 KB); memory < 50 MB.
@FUZZ
@given(st.text(max_size=400))
def test_fuzz_dsl_random_text(text: str) -> None:
    from advisor.dsl import parse_text

    only_advisor_error(parse_text, text, "fuzz.arch", path="fuzz.arch")


# Bound: 120 examples x < 50 ms each; memory < 50 MB.
@FUZZ
@given(mutated(DSL_SEED))
def test_fuzz_dsl_mutated(text: str) -> None:
    from advisor.dsl import parse_text

    only_advisor_error(parse_text, text, "fuzz.arch", path="fuzz.arch")


# ------------------------------------------------------------------ fuzzing: CloudFormation

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["Type", "Properties", "Ref", "Fn::GetAtt", "Fn::Sub",
                                       "Events", "DependsOn", "Condition", "x"]) | st.text(
                                           max_size=6), inner, max_size=4),
    max_leaves=20,
)
resource_types = st.sampled_from([
    "AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::Serverless::Function",
    "AWS::ApiGateway::RestApi", "AWS::SNS::Topic", "AWS::Events::Rule",
    "AWS::StepFunctions::StateMachine", "AWS::DynamoDB::Table", "AWS::Nope::Nope", "",
])
templates = st.fixed_dictionaries({
    "AWSTemplateFormatVersion": st.just("2010-09-09"),
    "Resources": st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True),
        st.fixed_dictionaries({"Type": resource_types}, optional={"Properties": json_values}),
        max_size=5),
}, optional={"Transform": st.just("AWS::Serverless-2016-10-31"), "Outputs": json_values})


# Bound: 120 examples x < 100 ms each (templates under 5 KB); memory < 100 MB.
@FUZZ
@given(templates)
def test_fuzz_cloudformation_json_structures(doc: dict[str, object]) -> None:
    path = write_tmp("template.json", json.dumps(doc))
    only_advisor_error(load_any, path, path=path)


# Bound: 120 examples x < 100 ms each; memory < 100 MB.
@FUZZ
@given(mutated(CFN_SEED))
def test_fuzz_cloudformation_yaml_mutated(text: str) -> None:
    path = write_tmp("template.yaml", text)
    only_advisor_error(load_any, path, path=path)


# Bound: 120 examples x < 100 ms each; memory < 100 MB.
@FUZZ
@given(mutated(json.dumps(json.loads(json.dumps({"Resources": {
    "Q": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
    "F": {"Type": "AWS::Lambda::Function",
          "Properties": {"MemorySize": 256, "Role": {"Fn::GetAtt": ["R", "Arn"]}}},
    "M": {"Type": "AWS::Lambda::EventSourceMapping",
          "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]},
                         "FunctionName": {"Ref": "F"}}}}})), indent=1)))
def test_fuzz_cloudformation_json_mutated(text: str) -> None:
    path = write_tmp("template.json", text)
    only_advisor_error(load_any, path, path=path)


# ------------------------------------------------------------------ fuzzing: Terraform

# Bound: 120 examples x < 200 ms each (HCL parse of < 2 KB); memory < 100 MB.
@FUZZ
@given(mutated(TF_SEED))
def test_fuzz_terraform_mutated_file(text: str) -> None:
    path = write_tmp("main.tf", text)
    only_advisor_error(load_any, path)
    only_advisor_error(load_any, os.path.dirname(path))


# Bound: 120 examples x < 200 ms each; memory < 100 MB.
@FUZZ
@given(st.lists(st.sampled_from([
    'resource "aws_sqs_queue" "q" {', 'resource "aws_lambda_function" "f" {', "}", "{",
    'name = "x"', "count = 3", "for_each = var.m", 'source = "./m"', "x = [", "]",
    "y = aws_sqs_queue.q.arn", 'z = "${var.a}"', "dynamic \"d\" {", "<<EOF", "EOF",
    'module "m" {', 'variable "a" {}', "locals {", "a = { b = 1 }", "# c", "/* c */", "=",
]), max_size=30))
def test_fuzz_terraform_token_soup(lines: list[str]) -> None:
    path = write_tmp("main.tf", "\n".join(lines) + "\n")
    only_advisor_error(load_any, os.path.dirname(path))


# ------------------------------------------------------------------ fixed hostile inputs

def alias_bomb() -> str:
    """9 levels of 9 aliases: 9**9 = 387 million nodes if expanded (a 'billion laughs')."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {Tags: *a9}")
    return "\n".join(lines) + "\n"


HOSTILE: dict[str, str | bytes] = {
    # Bound: refused before expansion (< 1 s, < 100 MB) instead of ~30 GB of lists.
    "bomb.yaml": alias_bomb(),
    # Bound: nesting refused at a fixed depth, no RecursionError (< 1 s, < 100 MB).
    "deep.yaml": "Resources:\n  Q: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "deep-map.yaml": "Resources:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 3000)),
    "deep.json": '{"Resources": ' + "[" * 50_000 + "]" * 50_000 + "}",
    "deep.arch": 'architecture "x"\nlambda f { a = ' + "[" * 50_000 + "]" * 50_000 + " }\n",
    "deep.tf": 'resource "aws_sqs_queue" "q" {\n  tags = ' + "[" * 20_000 + "]" * 20_000
               + "\n}\n",
    # Bound: rejected at the tag, nothing constructed or executed (< 1 s).
    "pyobj.yaml": "Resources:\n  Q: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
    "pyname.yaml": "Resources:\n  Q: !!python/name:os.system\n",
    "pymodule.yaml": "Resources:\n  Q: !!python/module:os\n",
    # Bound: decoding fails at the first bad byte (< 1 s).
    "latin1.yaml": "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Name: caf\xe9\n".encode(
        "latin-1"),
    "bad.arch": b'architecture "x"\nlambda \xff\xfe\n',
    "bad.tf": b'resource "aws_sqs_queue" "q" {\n  name = "\xc3\x28"\n}\n',
    "binary.json": bytes(range(256)) * 64,
    # YAML forbids most C0 control characters; the loader must say so, with a location.
    "control-char.yaml": "Resources:\n  Q:\n    Type: AWS::SQS::Queue\x1f\n",
    "binary.yaml": b"\x7fELF\x02\x01\x01\x00" + bytes(4096),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_an_advisor_error_with_location(tmp_path: Path, name: str) -> None:
    # Bounds per case are stated in HOSTILE above; each runs in < 2 s and < 200 MB.
    path = tmp_path / name
    data = HOSTILE[name]
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    target = str(tmp_path) if name.endswith(".tf") else str(path)
    if name.endswith(".tf"):  # a Terraform module is its directory
        for other in tmp_path.iterdir():
            if other != path:
                other.unlink()
    with pytest.raises(AdvisorError) as info:
        load_any(target)
    assert_located(info.value)
    assert not Path("/tmp/pwned").exists()


def test_50_mb_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    # Bound: refused by size before decoding (< 1 s, memory << 50 MB beyond the write).
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.write(b"Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
        handle.truncate(50 * 1024 * 1024)  # sparse: cheap to create
    with pytest.raises(AdvisorError) as info:
        load_any(str(path))
    assert_located(info.value)
    assert "large" in info.value.diagnostics[0].message


def test_symlink_loop_in_tree_via_cli(tmp_path: Path) -> None:
    # Bound: each real directory walked once per ancestry chain; < 10 s, < 200 MB.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "d.arch").write_text('architecture "x"\nclient c\nsqs q\nc -> q\n')
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "a", tmp_path / "a" / "self")
    proc = _cli([str(tmp_path), "--format", "json", "--jobs", "1", "--timeout", "30"])
    results = json.loads(proc.stdout)["results"]
    assert [Path(r["source"]).name for r in results] == ["d.arch"]


def _read_as_unprivileged(path: str) -> tuple[str, str]:
    """load_any on `path` in a child that dropped root privileges (uid nobody)."""
    from advisor import importers  # noqa: F401 - imported before privileges are dropped
    from advisor.importers import reading  # noqa: F401

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                load_any(path)
                msg = "ok|"
            except AdvisorError as exc:
                d = exc.diagnostics[0]
                msg = f"advisor|{d.line}:{d.column}:{d.message}"
            except BaseException as exc:
                msg = f"other|{type(exc).__name__}: {exc}"
        except BaseException as exc:
            msg = f"setup|{exc}"
        os.write(w, msg.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    kind, _, detail = data.decode().partition("|")
    return kind, detail


def test_unreadable_file(tmp_path: Path) -> None:
    # Bound: one failed open (< 1 s). As root, chmod 000 does not stop reads, so the read
    # is done in a forked child that has dropped to uid/gid 65534 ("nobody"); the test is
    # honest about what it checks rather than passing because root can read anything.
    path = tmp_path / "locked.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    path.chmod(0)
    tmp_path.chmod(0o755)
    try:
        if os.geteuid() == 0:
            if sys.platform != "linux":
                pytest.skip("dropping privileges is only arranged for Linux")
            kind, detail = _read_as_unprivileged(str(path))
            if kind == "setup":
                pytest.skip(f"cannot drop privileges here: {detail}")
            # The tmp dir chain must be traversable by nobody for the read to be refused
            # for the right reason (permission on the file itself).
            assert kind == "advisor", detail
            assert "cannot read" in detail and detail.startswith("1:1:")
        else:
            with pytest.raises(AdvisorError) as info:
                load_any(str(path))
            assert_located(info.value)
            assert "cannot read" in info.value.diagnostics[0].message
    finally:
        path.chmod(0o644)


def _cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "advisor", "analyze", *args], text=True,
                          capture_output=True, env=env, timeout=300, check=False)


def test_cli_survives_all_hostile_files_within_limits(tmp_path: Path) -> None:
    # Bound (enforced): --timeout 30 s per file and a 2 GB address-space cap per worker;
    # the whole run finishes in < 60 s on 2 cores. Every file gets exactly one result,
    # each an input error (exit 2), none a timeout or a crashed worker.
    for name, data in HOSTILE.items():
        target = tmp_path / (name.replace(".tf", "") + "-tf" if name.endswith(".tf") else "")
        target.mkdir(exist_ok=True)
        path = target / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    with open(tmp_path / "huge.yaml", "wb") as handle:
        handle.write(b"Resources:\n")
        handle.truncate(50 * 1024 * 1024)
    (tmp_path / "good.arch").write_text('architecture "x"\nclient c\nsqs q\nc -> q\n')
    paths = sorted(str(p) for p in tmp_path.rglob("*")
                   if p.is_file() and not p.name.endswith(".tf"))
    paths += sorted(str(p.parent) for p in tmp_path.rglob("*.tf"))
    proc = _cli([*paths, "--format", "json", "--jobs", "2", "--timeout", "30"])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert [r["source"] for r in results] == paths
    for r in results:
        if r["source"].endswith("good.arch"):
            assert not r["errors"]
            continue
        assert r["errors"], r["source"]
        msg = r["errors"][0]["message"]
        assert "timed out" not in msg and "worker process died" not in msg, msg
        assert "internal error" not in msg, msg
