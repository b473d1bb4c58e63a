"""Terraform evaluation: count, for_each, dynamic blocks, conditionals, variable values.

The sample `samples/terraform/conditional` is shaped like the widely used public Lambda
module and its examples: a function module whose function URL, permissions and event
source mappings are switched by variables, called three times. Expected values come from
reading its .tf files and `prod.tfvars` (what Terraform would plan), not from the
importer's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli
from advisor.errors import AdvisorError
from advisor.importers.terraform import import_terraform
from advisor.importers.terraform.variables import VarInputs
from advisor.pipeline import Options, analyze_source

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "terraform"
CONDITIONAL = SAMPLES / "conditional"


def by_source(arch, source_id: str) -> str:
    found = [n for n in arch.graph.nodes if arch.graph.nodes[n].get("source_id") == source_id]
    assert found, f"no node for {source_id}: {sorted(source_ids(arch))}"
    return found[0]


def source_ids(arch) -> set[str]:
    return {d.get("source_id") for _n, d in arch.graph.nodes(data=True) if d.get("source_id")}


def notes(arch) -> list[str]:
    return [n.message for n in arch.notes]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# ----------------------------------------------------------------- the sample, defaults
def test_defaults_create_what_the_variables_say():
    arch = import_terraform(str(CONDITIONAL))
    ids = source_ids(arch)
    # for_each over the default set: one queue per key, the key in name and address
    assert {'aws_sqs_queue.work["orders"]', 'aws_sqs_queue.work["refunds"]'} <= ids
    assert by_source(arch, 'aws_sqs_queue.work["orders"]') == "work_orders"
    assert arch.props("work_orders")["visibility"] == 60_000
    assert arch.props("work_orders")["dlq"] == "dlq"
    # count = var.alerts ? 1 : 0 with alerts = false: no topic
    assert "aws_sns_topic.alerts" not in ids
    # module "legacy" has create = false: none of its resources exist
    assert not any(i.startswith("module.legacy.") for i in ids)
    assert any("module.legacy creates nothing" in m for m in notes(arch))
    # a function per enabled module call; `this` is named after its module
    worker = by_source(arch, "module.worker.aws_lambda_function.this")
    api = by_source(arch, "module.api.aws_lambda_function.this")
    assert (worker, api) == ("worker_this", "api_this")


def test_dynamic_blocks_follow_their_for_each():
    arch = import_terraform(str(CONDITIONAL))
    worker, api = "worker_this", "api_this"
    # worker: tracing_mode = "Active" and a DLQ given, so both dynamic blocks exist
    assert arch.props(worker)["tracing"] is True
    assert arch.props(worker)["dlq"] == "dlq"
    # api: tracing_mode null and no DLQ, so neither block exists
    assert "tracing" not in arch.props(api) and "dlq" not in arch.props(api)
    # api: environment block exists (one variable) and names the orders queue
    assert arch.graph.edges[api, "work_orders"]["label"] == "env QUEUE_URL"


def test_for_each_event_source_mappings_through_a_module_argument():
    arch = import_terraform(str(CONDITIONAL))
    for queue in ("work_orders", "work_refunds"):
        edge = arch.graph.edges[queue, "worker_this"]
        assert edge["mode"] == "poll"
        assert edge["props"]["batch"] == 10  # optional(number, 10) in the variable's type
    assert not arch.graph.has_edge("work_orders", "api_this")  # api's map is empty


def test_default_function_url_is_absent_and_no_url_finding():
    arch = import_terraform(str(CONDITIONAL))
    assert not any(arch.props(n).get("url") for n in arch.nodes_of_kind("lambda"))
    result = analyze_source(str(CONDITIONAL), Options(estimates=False))
    assert not result.errors
    assert not [f for f in result.findings if "URL" in f.rule]
    assert any("aws_lambda_function_url.this" in n.message for n in result.notes)


# ----------------------------------------------------------------- variable values
def test_var_file_changes_what_is_created():
    arch = import_terraform(
        str(CONDITIONAL), variables=VarInputs(files=(str(CONDITIONAL / "prod.tfvars"),))
    )
    ids = source_ids(arch)
    assert 'aws_sqs_queue.work["returns"]' in ids and "aws_sns_topic.alerts" in ids
    assert arch.graph.has_edge("work_returns", "worker_this")
    assert arch.props("api_this")["url"] is True
    assert arch.props("api_this")["url_auth"] == "none"  # the module's default "NONE"
    result = analyze_source(
        str(CONDITIONAL),
        Options(estimates=False, tf_var_files=(str(CONDITIONAL / "prod.tfvars"),)),
    )
    assert "SEC-LAMBDA-URL-AUTH" in {f.rule for f in result.findings}


def test_var_on_the_command_line_wins_over_var_files():
    arch = import_terraform(
        str(CONDITIONAL),
        variables=VarInputs(
            files=(str(CONDITIONAL / "prod.tfvars"),),
            values=("public_url=false", 'queues=["a", "b", "a"]'),
        ),
    )
    assert "url" not in arch.props("api_this")
    queues = sorted(i for i in source_ids(arch) if i.startswith("aws_sqs_queue.work"))
    assert queues == ['aws_sqs_queue.work["a"]', 'aws_sqs_queue.work["b"]']  # a set
    # prod.tfvars still set alerts = true
    assert "aws_sns_topic.alerts" in source_ids(arch)


def test_auto_loaded_tfvars_in_terraform_order(tmp_path):
    root = write(tmp_path, {
        "main.tf": """
variable "n" {
  type    = number
  default = 1
}
variable "on" {
  type    = bool
  default = true
}
resource "aws_sqs_queue" "q" {
  count = var.on ? var.n : 0
  name  = "q-${count.index}"
}
""",
        "terraform.tfvars": "n = 2\n",
        "terraform.tfvars.json": json.dumps({"n": 3}),
        "a.auto.tfvars": "n = 4\n",
        "b.auto.tfvars.json": json.dumps({"n": 5}),
    })
    arch = import_terraform(str(root))
    # b.auto.tfvars.json comes last in lexical order: n = 5
    assert sorted(source_ids(arch)) == [f"aws_sqs_queue.q[{i}]" for i in range(5)]
    assert arch.props(by_source(arch, "aws_sqs_queue.q[3]")) == {}
    assert arch.graph.nodes[by_source(arch, "aws_sqs_queue.q[3]")]["loc"].line == 10
    off = import_terraform(str(root), variables=VarInputs(values=("on=false",)))
    assert not source_ids(off)  # "false" given as text converts to the bool type
    assert any("aws_sqs_queue.q" in m for m in notes(off))


def test_tfvars_are_not_read_for_a_single_file(tmp_path):
    root = write(tmp_path, {
        "main.tf": """
variable "make" {
  default = false
}
resource "aws_sqs_queue" "q" {
  count = var.make ? 1 : 0
}
""",
        "terraform.tfvars": "make = true\n",
    })
    assert source_ids(import_terraform(str(root))) == {"aws_sqs_queue.q"}
    assert source_ids(import_terraform(str(root / "main.tf"))) == set()


def test_undeclared_values_are_noted_and_bad_var_files_are_errors(tmp_path):
    root = write(tmp_path, {
        "main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        "x.tfvars": "nope = 1\n",
        "bad.tfvars": "a = aws_sqs_queue.q.arn\n",
        "bad.tfvars.json": "[1, 2",
    })
    arch = import_terraform(str(root), variables=VarInputs(files=(str(root / "x.tfvars"),)))
    assert any("undeclared variable 'nope'" in m for m in notes(arch))
    with pytest.raises(AdvisorError) as bad:
        import_terraform(str(root), variables=VarInputs(files=(str(root / "bad.tfvars"),)))
    assert bad.value.diagnostics[0].line == 1 and "not a literal" in bad.value.diagnostics[0].message
    with pytest.raises(AdvisorError) as bad_json:
        import_terraform(str(root), variables=VarInputs(files=(str(root / "bad.tfvars.json"),)))
    assert "invalid JSON" in bad_json.value.diagnostics[0].message
    with pytest.raises(AdvisorError):
        import_terraform(str(root), variables=VarInputs(files=(str(root / "missing.tfvars"),)))


# ----------------------------------------------------------------- unknown and bounded
def test_unknown_count_and_for_each_give_one_instance_with_a_note(tmp_path):
    root = write(tmp_path, {"main.tf": """
data "aws_availability_zones" "azs" {}
variable "names" {
  type = set(string)
}
resource "aws_sqs_queue" "per_az" {
  count = length(data.aws_availability_zones.azs.names)
}
resource "aws_sns_topic" "t" {
  for_each = var.names
  name     = each.key
}
"""})
    arch = import_terraform(str(root))
    assert source_ids(arch) == {"aws_sqs_queue.per_az", "aws_sns_topic.t"}
    messages = notes(arch)
    assert any("count of aws_sqs_queue.per_az is not known" in m
               and "data.aws_availability_zones.azs.names" in m for m in messages)
    assert any("for_each of aws_sns_topic.t is not known" in m and "var.names" in m
               for m in messages)


def test_huge_counts_and_ranges_stay_bounded(tmp_path):
    root = write(tmp_path, {"main.tf": """
resource "aws_sqs_queue" "many" {
  count = 100000
}
resource "aws_sqs_queue" "ranged" {
  for_each = toset([for i in range(1000000000) : tostring(i)])
}
locals {
  a = local.b
  b = local.a
}
resource "aws_sns_topic" "cycle" {
  count = local.a ? 1 : 0
}
"""})
    arch = import_terraform(str(root))
    assert source_ids(arch) == {"aws_sqs_queue.many", "aws_sqs_queue.ranged", "aws_sns_topic.cycle"}
    assert any("over the 256 read" in m for m in notes(arch))


def test_count_index_and_each_value_inside_instances(tmp_path):
    root = write(tmp_path, {"main.tf": """
locals {
  tables = {
    users  = { pitr = true }
    orders = { pitr = false }
  }
}
resource "aws_dynamodb_table" "t" {
  for_each     = local.tables
  name         = "app-${each.key}"
  billing_mode = "PAY_PER_REQUEST"
  point_in_time_recovery {
    enabled = each.value.pitr
  }
}
resource "aws_sqs_queue" "q" {
  count      = 2
  name       = "q-${count.index}"
  fifo_queue = count.index == 1
}
resource "aws_lambda_event_source_mapping" "m" {
  count            = 2
  event_source_arn = aws_sqs_queue.q[count.index].arn
  function_name    = aws_lambda_function.f.arn
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  environment {
    variables = { USERS = aws_dynamodb_table.t["users"].name }
  }
}
"""})
    arch = import_terraform(str(root))
    assert arch.props("t_users")["pitr"] is True and arch.props("t_orders")["pitr"] is False
    assert arch.props("q_1")["fifo"] is True and arch.props("q_0")["fifo"] is False
    assert arch.graph.has_edge("q_0", "f") and arch.graph.has_edge("q_1", "f")
    assert arch.graph.has_edge("f", "t_users") and not arch.graph.has_edge("f", "t_orders")


# ----------------------------------------------------------------- modules
def test_module_count_and_for_each_instances(tmp_path):
    root = write(tmp_path, {
        "modules/svc/main.tf": """
variable "name" {}
resource "aws_sqs_queue" "inbox" {
  name = "${var.name}-inbox"
}
output "arn" {
  value = aws_sqs_queue.inbox.arn
}
""",
        "main.tf": """
module "svc" {
  for_each = toset(["billing", "search"])
  source   = "./modules/svc"
  name     = each.key
}
module "off" {
  count  = 0
  source = "./modules/svc"
  name   = "off"
}
resource "aws_lambda_function" "router" {
  function_name = "router"
  environment {
    variables = { BILLING = module.svc["billing"].arn }
  }
}
""",
    })
    arch = import_terraform(str(root))
    billing = by_source(arch, 'module.svc["billing"].aws_sqs_queue.inbox')
    search = by_source(arch, 'module.svc["search"].aws_sqs_queue.inbox')
    assert (billing, search) == ("svc_billing_inbox", "svc_search_inbox")
    assert arch.graph.nodes[billing]["group"] == ('module.svc["billing"]',)
    assert arch.graph.has_edge("router", billing) and not arch.graph.has_edge("router", search)
    assert not any(i.startswith("module.off") for i in source_ids(arch))


def test_arguments_referring_to_the_parent_resolve_in_the_parent(tmp_path):
    root = write(tmp_path, {
        "modules/consumer/main.tf": """
variable "queue_arn" {}
variable "enabled" {
  default = true
}
resource "aws_lambda_function" "this" {
  count         = var.enabled ? 1 : 0
  function_name = "consumer"
}
resource "aws_lambda_event_source_mapping" "this" {
  count            = var.enabled ? 1 : 0
  event_source_arn = var.queue_arn
  function_name    = aws_lambda_function.this[0].arn
}
""",
        "main.tf": """
resource "aws_sqs_queue" "this" {
  name = "jobs"
}
module "consumer" {
  source    = "./modules/consumer"
  queue_arn = aws_sqs_queue.this.arn
}
""",
    })
    arch = import_terraform(str(root))
    # `this` in the child is named after the module; the root's `this` keeps its name
    assert arch.graph.edges["this", "consumer_this"]["mode"] == "poll"


def test_missing_and_remote_modules_are_noted(tmp_path):
    root = write(tmp_path, {
        "empty/README.md": "not a module\n",
        "main.tf": """
module "gone" {
  source = "./nowhere"
}
module "hollow" {
  source = "./empty"
}
module "git" {
  source = "git::https://example.com/x.git"
}
module "fn" {
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "f"
  create        = false
}
""",
    })
    arch = import_terraform(str(root))
    assert arch.graph.number_of_nodes() == 0
    text = "\n".join(notes(arch))
    assert "module 'gone' not read: local source './nowhere' not found" in text
    assert "module 'hollow' not read: local source './empty' has no .tf files" in text
    assert "module 'git' (source 'git::https://example.com/x.git') not followed" in text
    assert "registry module 'fn' creates no aws_lambda_function here (create = false)" in text


def test_registry_lambda_function_url_switch(tmp_path):
    root = write(tmp_path, {"main.tf": """
module "public" {
  source                     = "terraform-aws-modules/lambda/aws"
  function_name              = "public"
  create_lambda_function_url = true
}
module "private" {
  source                     = "terraform-aws-modules/lambda/aws"
  function_name              = "private"
  create_lambda_function_url = true
  authorization_type         = "AWS_IAM"
}
module "plain" {
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "plain"
}
"""})
    arch = import_terraform(str(root))
    assert arch.props("public")["url_auth"] == "none"
    assert arch.props("private")["url_auth"] == "iam"
    assert "url" not in arch.props("plain")


# ----------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register_all()
    return CliRunner()


def test_cli_analyze_shows_notes_and_takes_variables(tmp_path, runner):
    plain = runner.invoke(cli, ["analyze", "--no-estimates", str(CONDITIONAL)])
    assert plain.exit_code == 0, plain.output
    assert "Notes (" in plain.output and "module.legacy creates nothing" in plain.output
    with_vars = runner.invoke(cli, [
        "analyze", "--format", "json", "--no-estimates", "--var-file",
        str(CONDITIONAL / "prod.tfvars"), "--var", "alerts=false", str(CONDITIONAL),
    ])
    data = json.loads(with_vars.output)
    rules = {f["rule"] for f in data["results"][0]["findings"]}
    names = {n["name"] for n in data["results"][0]["before"]["nodes"]}
    assert "SEC-LAMBDA-URL-AUTH" in rules and "work_returns" in names and "alerts" not in names
    bad = runner.invoke(cli, ["check", "--var", "novalue", str(CONDITIONAL)])
    assert bad.exit_code == 2 and "expected NAME=VALUE" in bad.output
    missing = runner.invoke(cli, ["check", "--var-file", str(tmp_path / "no.tfvars"), str(CONDITIONAL)])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_cli_check_explains_an_empty_result(tmp_path, runner):
    root = write(tmp_path, {"main.tf": 'module "m" {\n  source = "../../nothing-here"\n}\n'})
    result = runner.invoke(cli, ["check", str(root)])
    assert result.exit_code == 0
    assert "0 nodes" in result.output and "1 note)" in result.output
    assert "local source '../../nothing-here'" in result.output


def test_same_input_same_output():
    first = analyze_source(str(CONDITIONAL), Options(estimates=False)).to_dict()
    second = analyze_source(str(CONDITIONAL), Options(estimates=False)).to_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# ----------------------------------------------------------------- registry modules' maps
def test_registry_module_maps_become_wiring(tmp_path):
    """The argument shapes of terraform-aws-modules' sqs (create_dlq), apigateway-v2
    (routes), eventbridge (rules, targets) and sns (subscriptions), as their READMEs show."""
    root = write(tmp_path, {"main.tf": """
resource "aws_sqs_queue" "dlq" {
  name = "orders-dlq"
}
module "jobs" {
  source     = "terraform-aws-modules/sqs/aws"
  name       = "jobs"
  create_dlq = true
}
module "retried" {
  source         = "terraform-aws-modules/sqs/aws"
  name           = "retried"
  create_dlq     = true
  redrive_policy = { maxReceiveCount = 10 }
}
module "orders_fn" {
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "orders"
}
module "api" {
  source        = "terraform-aws-modules/apigateway-v2/aws"
  name          = "shop"
  protocol_type = "HTTP"
  routes = {
    "POST /orders" = {
      authorization_type = "JWT"
      integration = {
        uri = module.orders_fn.lambda_function_arn
      }
    }
    "POST /jobs" = {
      integration = {
        subtype = "SQS-SendMessage"
        request_parameters = {
          QueueUrl    = module.jobs.queue_url
          MessageBody = "$request.body"
        }
      }
    }
  }
}
module "bus" {
  source   = "terraform-aws-modules/eventbridge/aws"
  bus_name = "shop"
  rules = {
    orders = {
      event_pattern = jsonencode({ source = ["shop.orders"] })
    }
  }
  targets = {
    orders = [{
      name            = "to-jobs"
      arn             = module.jobs.queue_arn
      dead_letter_arn = aws_sqs_queue.dlq.arn
      retry_policy    = { maximum_retry_attempts = 2 }
    }]
  }
}
module "topic" {
  source = "terraform-aws-modules/sns/aws"
  name   = "events"
  subscriptions = {
    fn = {
      protocol      = "lambda"
      endpoint      = module.orders_fn.lambda_function_arn
      filter_policy = jsonencode({ kind = ["order"] })
    }
  }
}
"""})
    arch = import_terraform(str(root))
    g = arch.graph
    # sqs: the module's DLQ is a queue of its own; 5 receives unless redrive_policy says
    assert arch.props("jobs")["dlq"] == "jobs_dlq" and arch.props("jobs")["max_receives"] == 5
    assert arch.props("jobs_dlq")["is_dlq"] is True
    assert arch.props("retried")["max_receives"] == 10
    # apigateway-v2: one route with JWT, one open: the API is as open as its weakest route
    assert g.edges["api", "orders_fn"]["props"]["integration"] == "proxy"
    assert g.edges["api", "jobs"]["props"]["action"] == "sqs:SendMessage"
    assert arch.props("api")["auth"] == "none"
    # eventbridge: the rule is a node on the bus, its target keeps DLQ and retries
    assert g.nodes["bus_orders"]["source_id"] == 'module.bus.aws_cloudwatch_event_rule.this["orders"]'
    assert '"shop.orders"' in arch.props("bus_orders")["pattern"]
    assert g.has_edge("bus", "bus_orders")
    edge = g.edges["bus_orders", "jobs"]["props"]
    assert edge["dlq"] == "dlq" and edge["retries"] == 2
    # sns: the subscription with its filter
    assert g.edges["topic", "orders_fn"]["label"] == "filtered"


def test_text_passed_to_a_module_keeps_the_callers_references(tmp_path):
    """A heredoc policy given as a module argument names the caller's table: the IAM
    edge goes to that table (the lambda module's `policy_json`, as public code uses it)."""
    root = write(tmp_path, {
        "m/main.tf": """
variable "policy_json" {}
resource "aws_iam_role" "r" {
  name = "r"
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.name
  policy = var.policy_json
}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.r.arn
}
""",
        "main.tf": """
resource "aws_dynamodb_table" "self" {
  name = "t"
}
module "m" {
  source      = "./m"
  policy_json = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": ["dynamodb:PutItem"],
                     "Resource": "${aws_dynamodb_table.self.arn}"}]
    }
  EOT
}
""",
    })
    arch = import_terraform(str(root))
    assert arch.graph.edges["fn", "self"]["label"] == "iam"
    assert arch.props("fn")["permissions"] == ["dynamodb:PutItem"]


def test_a_registry_submodule_is_not_the_module(tmp_path):
    root = write(tmp_path, {"main.tf": """
module "fn" {
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "f"
}
module "alias" {
  source        = "registry.terraform.io/terraform-aws-modules/lambda/aws//modules/alias"
  name          = "live"
  function_name = module.fn.lambda_function_name
}
"""})
    arch = import_terraform(str(root))
    assert source_ids(arch) == {"module.fn"}
    assert any("module 'alias'" in m and "not followed" in m for m in notes(arch))
