"""Usage you can state (issue 14, part 4): an Infracost-compatible usage file, found like
the config file or given with --usage-file; `advisor usage --template` writes one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.dsl import parse_text
from advisor.errors import AdvisorError
from advisor.estimate import estimate
from advisor.estimate.usage import (
    apply_usage,
    discover_usage_file,
    find_usage_file,
    load_usage,
    parse_usage,
)

DESIGN = """
workload { requests = 1M/month, payload = 1KB }
client c
apigw api { type = http }
lambda f { memory = 512MB, duration = 100ms }
lambda g { memory = 512MB, duration = 100ms }
sqs q
c -> api -> f -> q -> g
"""

SAM = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return {}"
      MemorySize: 1024
"""

ROOT = Path(__file__).resolve().parents[1]


def cli():
    from advisor.cli import _register_all, cli

    _register_all()
    return cli


def usd(est, node: str, prefix: str = "") -> float:
    return sum(c["monthly_usd"] for c in est.components if c["node"] == node and c["name"].startswith(prefix))


def test_a_resource_entry_states_a_nodes_usage():
    usage = parse_usage("""version: 0.1
resource_usage:
  f:
    monthly_requests: 20000000
    request_duration_ms: 250
""", "u.yml")
    est = estimate(parse_text(DESIGN), usage=usage)
    # 20M x $0.20/M; 20M x 0.25 s x 0.5 GB x $0.0000166667
    assert usd(est, "f", "Requests") == pytest.approx(4.00)
    assert usd(est, "f", "Duration") == pytest.approx(20e6 * 0.25 * 0.5 * 0.0000166667)
    # what flows on from f follows its stated rate
    assert usd(est, "q", "Send requests") == pytest.approx(20e6 / 1e6 * 0.40)


def test_resource_values_win_over_the_design_which_wins_over_type_defaults():
    usage = parse_usage("""version: 0.1
resource_usage:
  g:
    request_duration_ms: 300
resource_type_default_usage:
  aws_lambda_function:
    request_duration_ms: 50
    log_bytes: 1000
""", "u.yml")
    arch = parse_text(DESIGN.replace("lambda f { memory = 512MB, duration = 100ms }",
                                     "lambda f { memory = 512MB }"))
    priced, _notes, stated = apply_usage(arch, usage)
    assert priced.graph.nodes["f"]["props"]["duration"] == 50  # the type default fills a gap
    assert priced.graph.nodes["g"]["props"]["duration"] == 300  # the resource entry wins
    assert ("f", "log_bytes") in stated
    assert "duration" not in arch.graph.nodes["f"]["props"]  # the design is not changed
    est = estimate(arch, usage=usage)
    assert "lambda.platform_log_bytes" not in {a.id for a in est.assumptions}


def test_cloudformation_logical_ids_and_type_defaults(tmp_path):
    from advisor.pipeline import load_architecture

    path = tmp_path / "template.yaml"
    path.write_text(SAM, "utf-8")
    arch = load_architecture(str(path))
    fn = next(n for n in arch.node_names() if arch.kind(n) == "lambda")
    usage = parse_usage("""version: 0.1
resource_usage:
  OrdersFunction:
    monthly_requests: 3000000
    request_duration_ms: 120
""", "u.yml")
    est = estimate(arch, usage=usage)
    # the Lambda pricing page's example 1 at 1024 MB: 3M x 0.12 s x 1 GB = 360,000 GB-s
    assert [c["quantity"] for c in est.components if c["node"] == fn and c["name"].startswith("Duration")] \
        == [pytest.approx(360_000)]
    by_type = parse_usage("version: 0.1\nresource_type_default_usage:\n  AWS::Serverless::Function:\n"
                          "    monthly_requests: 3000000\n", "u.yml")
    assert usd(estimate(arch, usage=by_type), fn, "Requests") == pytest.approx(0.60)


def test_terraform_addresses(tmp_path):
    from advisor.pipeline import load_architecture

    (tmp_path / "main.tf").write_text("""
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
""", "utf-8")
    arch = load_architecture(str(tmp_path))
    queue = next(n for n in arch.node_names() if arch.kind(n) == "sqs")
    usage = parse_usage("version: 0.1\nresource_usage:\n  aws_sqs_queue.jobs:\n"
                        "    monthly_requests: 5000000\n    request_size_kb: 128\n", "u.yml")
    est = estimate(arch, usage=usage)
    # Infracost's SQS monthly_requests are every request; 128 KB = two 64 KB chunks
    assert usd(est, queue) == pytest.approx(5e6 * 2 / 1e6 * 0.40)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("resource_usage: {}\n", 1, "no `version`"),
    ("version: 2\n", 1, "version 2 is not supported"),
    ("version: 0.1\nresource_usages:\n  f: {}\n", 2, "unknown top-level key 'resource_usages'"),
    ("version: 0.1\nresource_usage:\n  f:\n    monthly_requests: -5\n", 4, "must be a number of 0 or more"),
    ("version: 0.1\nresource_usage: [1, 2]\n", 2, "must map names"),
    ("version: 0.1\nresource_usage:\n  f: [1]\n", 3, "must be a mapping of keys"),
    ("version: 0.1\nresource_usage:\n  f: {a: 1\n", 4, "not valid YAML"),
    ("", 1, "empty"),
])
def test_mistakes_are_errors_with_a_location(text, line, message):
    with pytest.raises(AdvisorError) as err:
        parse_usage(text, "u.yml")
    diags = err.value.diagnostics
    assert diags[0].path == "u.yml" and diags[0].line == line
    assert message in diags[0].message


def test_a_string_value_is_reported_as_not_used():
    usage = parse_usage("version: 0.1\nresource_usage:\n  f:\n    monthly_requests: lots\n", "u.yml")
    _arch, notes, _stated = apply_usage(parse_text(DESIGN), usage)
    assert notes == ["usage file: monthly_requests not used for f (lambda)"]


def test_an_alias_bomb_is_bounded():
    bomb = "version: 0.1\na: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for i in range(1, 9):
        prev = "a" if i == 1 else "b" * (i - 1)
        bomb += f"{'b' * i}: &{'b' * i} [" + " , ".join([f"*{prev}"] * 10) + "]\n"
    with pytest.raises(AdvisorError, match="too large or too deeply nested"):
        parse_usage(bomb, "u.yml")


def test_the_file_is_found_like_the_config_file(tmp_path, monkeypatch):
    (tmp_path / "infracost-usage.yml").write_text("version: 0.1\nresource_usage: {}\n", "utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_usage_file(deep) == tmp_path / "infracost-usage.yml"
    monkeypatch.chdir(deep)
    assert discover_usage_file() == str((tmp_path / "infracost-usage.yml").resolve())
    other = tmp_path / "other.yml"
    other.write_text("version: 0.1\n", "utf-8")
    assert discover_usage_file(str(other)) == str(other.resolve())
    assert discover_usage_file(None, str(other)) == str(other.resolve())  # the config's usage-file


def test_usage_template_writes_every_key_the_design_uses(tmp_path):
    design = tmp_path / "d.arch"
    design.write_text(DESIGN, "utf-8")
    res = CliRunner().invoke(cli(), ["usage", "--template", str(design)])
    assert res.exit_code == 0, res.output
    text = res.output
    assert text.startswith("# Usage estimates") and "version: 0.1" in text
    assert "  f:  # lambda" in text and "# monthly_requests: 1000000" in text
    assert "# request_duration_ms: 100" in text
    assert "# request_size_kb: 1" in text  # the HTTP API's request size
    assert "  q:  # sqs" in text
    # uncommenting a key states it
    out = tmp_path / "infracost-usage.yml"
    out.write_text(text.replace("# monthly_requests: 1000000  # Monthly requests to the Lambda",
                                "monthly_requests: 7000000  # Monthly requests to the Lambda", 1), "utf-8")
    usage = load_usage(out)
    assert usage.resources["f"]["monthly_requests"] == 7e6
    # writing again keeps what the file states
    again = CliRunner().invoke(cli(), ["usage", "--template", str(design), "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert "    monthly_requests: 7000000" in out.read_text("utf-8")
    # and it is the same bytes every time
    first = CliRunner().invoke(cli(), ["usage", "--template", str(design)]).output
    assert first == CliRunner().invoke(cli(), ["usage", "--template", str(design)]).output


def test_analyze_and_cost_read_the_usage_file(tmp_path):
    design = tmp_path / "d.arch"
    design.write_text(DESIGN, "utf-8")
    usage = tmp_path / "u.yml"
    usage.write_text("version: 0.1\nresource_usage:\n  f:\n    monthly_requests: 20000000\n", "utf-8")
    res = CliRunner().invoke(cli(), ["analyze", str(design), "--format", "json", "--usage-file", str(usage),
                                     "--jobs", "1"])
    assert res.exit_code in (0, 1), res.output
    before = json.loads(res.output)["results"][0]["before"]
    fn = [c for c in before["cost"]["components"] if c["node"] == "f" and c["name"] == "Requests"]
    assert fn[0]["monthly_usd"] == pytest.approx(4.00)
    assert "assumptions" in before and "workload" in before
    cost = CliRunner().invoke(cli(), ["cost", str(design), "--format", "json", "--usage-file", str(usage)])
    assert cost.exit_code == 0, cost.output
    assert json.loads(cost.output)["cost"]["by_node"]["f"] > 4.0


def test_a_bad_usage_file_is_one_clear_error(tmp_path):
    design = tmp_path / "d.arch"
    design.write_text(DESIGN, "utf-8")
    bad = tmp_path / "u.yml"
    bad.write_text("version: 0.1\nresource_usage:\n  f:\n    monthly_requests: -1\n", "utf-8")
    res = CliRunner().invoke(cli(), ["analyze", str(design), "--usage-file", str(bad), "--jobs", "1"])
    assert res.exit_code == 2
    assert f"{bad}:4:" in res.output and "must be a number" in res.output
    missing = CliRunner().invoke(cli(), ["cost", str(design), "--usage-file", str(tmp_path / "nope.yml")])
    assert missing.exit_code == 2 and "cannot read usage file" in missing.output


def test_the_config_file_can_name_the_usage_file(tmp_path, monkeypatch):
    design = tmp_path / "d.arch"
    design.write_text(DESIGN, "utf-8")
    (tmp_path / "usage" ).mkdir()
    (tmp_path / "usage" / "mine.yml").write_text(
        "version: 0.1\nresource_usage:\n  f:\n    monthly_requests: 20000000\n", "utf-8")
    (tmp_path / ".archadvisor.yaml").write_text("usage-file: usage/mine.yml\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli(), ["cost", "d.arch", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    fn = [c for c in data["cost"]["components"] if c["node"] == "f" and c["name"] == "Requests"]
    assert fn[0]["monthly_usd"] == pytest.approx(4.00)
    assert os.path.basename(str(Path("usage/mine.yml"))) == "mine.yml"


def test_the_file_usage_writes_changes_nothing_until_a_key_is_uncommented(tmp_path):
    """Every sample's generated usage file (nested groups such as S3's `standard:` with
    only commented keys under them included) reads as stating nothing: the estimate with
    it is the estimate without it."""
    from advisor.dsl import parse_file

    for sample in sorted((ROOT / "samples").glob("*.arch")):
        out = tmp_path / f"{sample.stem}.yml"
        res = CliRunner().invoke(cli(), ["usage", "--template", str(sample), "-o", str(out)])
        assert res.exit_code == 0, res.output
        usage = load_usage(out)
        assert all(not keys for keys in usage.resources.values()), sample.name
        arch = parse_file(str(sample))
        assert estimate(arch, usage=usage).to_dict() == estimate(arch).to_dict(), sample.name
