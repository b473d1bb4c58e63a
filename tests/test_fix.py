"""`advisor fix`: patches to the user's own templates, and their verification."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli
from advisor.fix import fix_result, fix_source
from advisor.fix.emit import GetAtt, Ref, Style, yaml_entry
from advisor.fix.textdoc import TextDoc
from advisor.pipeline import Options, analyze_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "fix"
CFN_SAMPLES = ["sam-orders.yaml", "cfn-orders.json", "cfn-streams.yaml"]


def _copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copy(SAMPLES / name, dest)
    return dest


@pytest.mark.parametrize("name", CFN_SAMPLES)
def test_every_applied_rewrite_is_patched_and_verified(tmp_path: Path, name: str) -> None:
    path = _copy(tmp_path, name)
    fix = fix_source(str(path), verify=True)
    assert fix.rewrites, "the sample has default rewrites"
    assert all(r.status == "patched" for r in fix.rewrites), [r.to_dict() for r in fix.rewrites]
    assert fix.checks == {c: "ok" for c in fix.checks} and set(fix.checks) >= {
        "parses", "cfn-lint", "after", "findings", "idempotent"}
    assert all(r.verified for r in fix.rewrites)


@pytest.mark.parametrize("name", CFN_SAMPLES)
def test_untouched_lines_stay_byte_identical(tmp_path: Path, name: str) -> None:
    path = _copy(tmp_path, name)
    fix = fix_source(str(path))
    (patched,) = fix.changed
    old, new = patched.old.splitlines(True), patched.new.splitlines(True)
    removed = [line for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, old, new,
               autojunk=False).get_opcodes() if tag in ("replace", "delete")
               for line in old[i1:i2]]
    # only lines whose value the patch replaces (or a JSON separator it must add) change
    for line in removed:
        assert "VisibilityTimeout" in line or line.rstrip().endswith(("}", "]")) or \
            '"Id": "worker"' in line, line
    assert len(removed) <= 2
    for comment in [x for x in old if x.lstrip().startswith("#")]:
        assert comment in new


def test_git_apply_and_patch_accept_the_diff(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in CFN_SAMPLES:
        shutil.copy(SAMPLES / name, repo / name)
    runner = CliRunner()
    _register_all()
    monkeypatch.chdir(repo)
    if True:
        res = runner.invoke(cli, ["fix", *CFN_SAMPLES, "--no-verify"])
        assert res.exit_code == 0, res.output
        diff = res.stdout
        (repo / "fix.patch").write_text(diff)
        check = subprocess.run(["git", "apply", "--check", "fix.patch"], cwd=repo,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        if shutil.which("patch"):
            dry = subprocess.run(["patch", "-p1", "--dry-run", "-i", "fix.patch"], cwd=repo,
                                 capture_output=True, text=True)
            assert dry.returncode == 0, dry.stdout + dry.stderr
        subprocess.run(["git", "apply", "fix.patch"], cwd=repo, check=True)
        expected = {f.path: f.new for n in CFN_SAMPLES
                    for f in fix_source(str(SAMPLES / n)).changed}
        for n in CFN_SAMPLES:
            assert (repo / n).read_text() == expected[str(SAMPLES / n)]
        again = runner.invoke(cli, ["fix", *CFN_SAMPLES, "--no-verify"])
        assert again.exit_code == 0 and again.stdout == "", again.output


def test_write_and_output_dir(tmp_path: Path) -> None:
    _register_all()
    path = _copy(tmp_path, "sam-orders.yaml")
    original = path.read_text()
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["fix", str(path), "-o", str(out), "--no-verify"])
    assert res.exit_code == 0, res.output
    copies = list(out.rglob("sam-orders.yaml"))
    assert len(copies) == 1 and copies[0].read_text() != original
    assert path.read_text() == original  # -o leaves the input alone
    res = CliRunner().invoke(cli, ["fix", str(path), "--write", "--no-verify"])
    assert res.exit_code == 0 and "wrote" in res.stdout
    assert path.read_text() == copies[0].read_text()


def test_sam_patch_content(tmp_path: Path) -> None:
    fix = fix_source(str(_copy(tmp_path, "sam-orders.yaml")))
    new = fix.changed[0].new
    assert "RedrivePolicy:\n        deadLetterTargetArn: !GetAtt OrdersQueueDLQ.Arn" in new
    assert "VisibilityTimeout: 180   # seconds" in new  # the comment stays on its line
    assert "Type: SQS\n            Destination: !GetAtt NotifyCustomerDLQ.Arn" in new
    assert "aws:SourceArn: !Ref OrderEvents" in new  # least privilege: this topic only
    assert fix.names["OrdersQueue_dlq"] == "OrdersQueueDLQ"
    notes = [n for r in fix.rewrites for n in r.notes]
    assert not any("10,000 rps" in n for n in notes)  # throttling is opt-in, not default
    assert "ThrottlingRateLimit" not in new


def test_opt_in_throttling_states_its_assumption(tmp_path: Path) -> None:
    """Stage throttling caps traffic (it can change what the system does), so it is only
    written under `--apply all`, and the quota it assumes is said next to it."""
    from advisor.pipeline import Options

    fix = fix_source(str(_copy(tmp_path, "sam-orders.yaml")), Options(apply="all"))
    notes = [n for r in fix.rewrites for n in r.notes]
    assert any("10,000 rps" in n for n in notes)
    assert "ThrottlingRateLimit: 10000" in fix.changed[0].new


def test_json_keeps_its_indent(tmp_path: Path) -> None:
    fix = fix_source(str(_copy(tmp_path, "cfn-orders.json")))
    new = fix.changed[0].new
    data = json.loads(new)
    assert data["Resources"]["WorkQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    assert '\n        "WorkQueueDLQ": {\n            "Type": "AWS::SQS::Queue"' in new
    policy = data["Resources"]["WorkerOnFailurePolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "WorkerRole"}]
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == {
        "Fn::GetAtt": ["WorkerDLQ", "Arn"]}


def test_long_form_template_gets_long_form_intrinsics(tmp_path: Path) -> None:
    new = fix_source(str(_copy(tmp_path, "cfn-streams.yaml"))).changed[0].new
    assert "!GetAtt" not in new and "Fn::GetAtt: [ClicksConsumerFailures, Arn]" in new
    assert "BatchSize: 100    # large batches, cheap\n      BisectBatchOnFunctionError: true" in new


def test_outside_resource_settings_are_not_patched(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: a.b\n"
        "      Runtime: python3.12\n"
        "      CodeUri: .\n"
        "      Events:\n"
        "        Q:\n"
        "          Type: SQS\n"
        "          Properties:\n"
        "            Queue: !ImportValue shared-queue-arn\n")
    result = analyze_source(str(path), Options(estimates=False))
    assert result.before.props("shared_queue_arn").get("external") is True
    fix = fix_result(result)
    # the queue's redrive policy is the other stack's: no finding, nothing to patch here
    assert "REL-SQS-DLQ" not in {r.rule for r in fix.rewrites}
    assert not fix.changed


def test_implicit_sam_api_is_throttled_through_globals(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: a.b\n"
        "      Runtime: python3.12\n"
        "      CodeUri: .\n"
        "      Events:\n"
        "        Get:\n"
        "          Type: Api\n"
        "          Properties: {Path: /x, Method: get}\n")
    from advisor.pipeline import Options

    fix = fix_source(str(path), Options(apply="all", select=("OPS-APIGW-THROTTLING",)),
                     verify=True)  # throttling is opt-in
    throttle = next(r for r in fix.rewrites if r.rule == "OPS-APIGW-THROTTLING")
    assert throttle.status == "patched" and throttle.verified, fix.checks
    new = fix.changed[0].new
    assert new.index("Globals:\n  Api:\n    MethodSettings:") < new.index("Resources:")


def test_cli_exit_codes(tmp_path: Path) -> None:
    _register_all()
    runner = CliRunner()
    res = runner.invoke(cli, ["fix", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2
    clean = tmp_path / "clean.arch"
    clean.write_text('architecture "x"\nclient c\n')
    res = runner.invoke(cli, ["fix", str(clean)])
    assert res.exit_code == 0 and "nothing to patch" in res.stderr
    res = runner.invoke(cli, ["fix", str(_copy(tmp_path, "cfn-streams.yaml")), "--json"])
    assert res.exit_code == 0
    payload = json.loads(res.stdout)
    assert payload["results"][0]["checks"]["after"] == "ok"


def test_a_failed_file_check_naming_no_rewrite_is_not_a_clean_exit(tmp_path: Path,
                                                                     monkeypatch) -> None:
    """Every rewrite verified but the file as a whole not (a check that names none of
    them): the run is not clean (exit 1), and the summary says NOT verified."""
    import advisor.fix.verify as verify

    real = verify.verify_fix

    def file_level_failure(result, fix, options):  # type: ignore[no-untyped-def]
        real(result, fix, options)
        fix.checks["idempotent"] = "a second run changes the file again"
        for r in fix.rewrites:
            r.verified = True  # the failure concerns none of them

    monkeypatch.setattr(verify, "verify_fix", file_level_failure)
    _register_all()
    res = CliRunner().invoke(cli, ["fix", str(_copy(tmp_path, "cfn-streams.yaml"))])
    assert res.exit_code == 1, res.output
    assert "NOT verified (idempotent" in res.stderr


# ---------------------------------------------------------------- the text editor
def test_textdoc_block_flow_and_json_edits() -> None:
    doc = TextDoc("A:\n  b: 1  # keep\n  c: [1, 2]\n  d: {x: 1}\nZ: 2\n")
    doc.set(("A", "b"), 5)
    doc.append(("A", "c"), 3)
    doc.set(("A", "d", "w"), Ref("Q"))
    doc.set(("A", "e"), {"f": GetAtt("Q", "Arn")})
    assert doc.render() == ("A:\n  b: 5  # keep\n  c: [1, 2, 3]\n  d: {x: 1, w: !Ref Q}\n"
                            "  e:\n    f: !GetAtt Q.Arn\nZ: 2\n")
    doc = TextDoc('{\n  "A": {\n    "b": 1\n  },\n  "C": {}\n}\n')
    doc.set(("A", "c"), [1])
    doc.set(("C", "k"), "v")
    assert json.loads(doc.render()) == {"A": {"b": 1, "c": [1]}, "C": {"k": "v"}}
    assert doc.render().startswith('{\n  "A": {\n    "b": 1,\n    "c": [\n      1\n    ]\n')


def test_textdoc_delete_and_nested_inserts_at_one_place() -> None:
    doc = TextDoc("R:\n  A:\n    x: 1\n    y:\n      - 1\n  B:\n    z: 1\n")
    doc.delete(("R", "A", "y"))
    doc.set(("R", "B", "w"), 2)
    doc.set(("R", "C"), {"v": 1})
    assert doc.render() == "R:\n  A:\n    x: 1\n  B:\n    z: 1\n    w: 2\n  C:\n    v: 1\n"


def test_yaml_emitter_quotes_what_needs_it() -> None:
    style = Style(unit=2, seq_indent=True, short_tags=True)
    lines = yaml_entry("k", {"a": "*", "b": "yes", "c": "2012-10-17", "d": "x: y",
                             "e": ["p", {"q": 1}]}, 0, style)
    import yaml

    assert yaml.safe_load("\n".join(lines)) == {"k": {"a": "*", "b": "yes", "c": "2012-10-17",
                                                       "d": "x: y", "e": ["p", {"q": 1}]}}


# ---------------------------------------------------------------- the DSL
def test_dsl_fix_keeps_comments_chains_and_columns(tmp_path: Path) -> None:
    src = ROOT / "samples" / "clickstream.arch"
    path = tmp_path / "clickstream.arch"
    shutil.copy(src, path)
    fix = fix_source(str(path), verify=True)
    assert fix.rewrites and all(r.status == "patched" for r in fix.rewrites)
    assert fix.verified, fix.checks
    old, new = fix.changed[0].old, fix.changed[0].new
    for line in old.splitlines():
        if line.startswith("#"):
            assert line in new  # every comment stays
    assert "browser -> ingest -> delivery -> lake" in new  # the chain is kept, joined
    assert "lambda   forward" not in new
    lake = next(line for line in old.splitlines() if line.startswith("s3 "))
    assert lake in new  # an untouched line keeps its columns
    from advisor.dsl import parse_text

    again = parse_text(new, str(path))
    assert "forward" not in again.graph and again.graph.has_edge("ingest", "delivery")


# ---------------------------------------------------------------- the PR comment
def test_github_comment(tmp_path: Path) -> None:
    from advisor.pipeline import Report
    from advisor.report import write

    path = _copy(tmp_path, "cfn-streams.yaml")
    result = analyze_source(str(path), Options())
    text = write(Report([result]), "github")
    assert text.startswith("<!-- archadvisor -->")
    assert "| :red_circle: | `REL-STREAM-POISON`" in text
    assert "```mermaid\nflowchart LR" in text
    assert "Added: `Clicks_Consumer_failures`" in text
    details = text[text.index("<details>"):text.index("</details>")]
    assert "```diff\ndiff --git" in details and "+      BisectBatchOnFunctionError: true" in details
    assert "| Monthly cost |" in text


# ---------------------------------------------------------------- glue removal
def test_glue_sns_to_sqs_removes_the_function_and_what_only_it_used(tmp_path: Path) -> None:
    path = _copy(tmp_path, "sam-glue-sns-sqs.yaml")
    fix = fix_source(str(path), verify=True)
    (rw,) = fix.rewrites
    assert rw.rule == "GLUE-SNS-SQS" and rw.status == "patched" and rw.verified, fix.checks
    from advisor.importers.cloudformation.template import load_template

    data = load_template(fix.changed[0].new, str(path))
    res = data["Resources"]
    assert "Forward" not in res and "Outputs" not in data  # the output named the function
    sub = res["OrdersToJobs"]["Properties"]
    assert sub["Protocol"] == "sqs" and sub["RawMessageDelivery"] is True
    assert sub["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDLQ", "Arn"]}}
    stmt = res["JobsPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert stmt["Principal"] == {"Service": "sns.amazonaws.com"}
    assert stmt["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "Orders"}}}
    assert fix.changed[0].new.startswith("# A function that only forwards")


def test_glue_rule_target_keeps_the_rule_and_its_dlq(tmp_path: Path) -> None:
    path = _copy(tmp_path, "cfn-glue-rule.yaml")
    fix = fix_source(str(path), verify=True)
    by_rule = {r.rule: r for r in fix.rewrites}
    glue = by_rule["GLUE-EVENTBRIDGE-SQS"]
    assert glue.status == "patched" and glue.verified, fix.checks
    new = fix.changed[0].new
    assert "- Arn: !GetAtt Jobs.Arn\n          Id: forwarder\n          DeadLetterConfig:" in new
    for gone in ("Forwarder:", "ForwarderRole:", "RulePermission:"):
        assert f"  {gone}" not in new  # the function, its own role and permission
    assert "aws:SourceArn: !GetAtt OrderRule.Arn" in new
    # the engine drops the target's DLQ in the bypass and adds one back; the patch kept it
    assert "keeps the dead-letter queue" in by_rule["REL-EB-TARGET-DLQ"].reason


def test_glue_needing_a_mapping_says_so(tmp_path: Path) -> None:
    fix = fix_source(str(ROOT / "samples" / "clickstream.arch"))
    assert all(r.status == "patched" for r in fix.rewrites)  # the DSL has no mapping to write
    path = tmp_path / "t.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
        "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
        "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
        "      BillingMode: PAY_PER_REQUEST\n"
        "  Put:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: .\n"
        "      Environment: {Variables: {TABLE: !Ref Table}}\n"
        "      Policies: [{DynamoDBWritePolicy: {TableName: !Ref Table}}]\n"
        "      Events:\n        Post:\n          Type: Api\n"
        "          Properties: {Path: /items, Method: post}\n")
    result = analyze_source(str(path), Options(estimates=False, apply="all"))
    fix = fix_result(result)
    glue = [r for r in fix.rewrites if r.rule.startswith("GLUE-")]
    assert glue and all(r.status == "not patched" and r.reason for r in glue)


def test_stream_event_on_an_outside_stream_named_by_arn_text_is_patched(tmp_path: Path) -> None:
    """A SAM Kinesis event whose `Stream` is ARN text (`!Sub ...:stream/${Name}`) names an
    outside stream; the function's one stream event on it is where the fix goes."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Parameters:\n"
        "  StreamName: {Type: String, Default: clicks}\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: a.b\n"
        "      Runtime: python3.12\n"
        "      CodeUri: .\n"
        "      Events:\n"
        "        Clicks:\n"
        "          Type: Kinesis\n"
        "          Properties:\n"
        "            Stream: !Sub arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/${StreamName}\n"
        "            StartingPosition: LATEST\n")
    result = analyze_source(str(path), Options(estimates=False))
    fix = fix_result(result)
    status = {r.rule: r.status for r in fix.rewrites}
    assert status.get("REL-STREAM-POISON") == "patched", [(r.rule, r.reason) for r in fix.rewrites]
    new = fix.changed[0].new
    assert "BisectBatchOnFunctionError: true" in new and "OnFailure:" in new
