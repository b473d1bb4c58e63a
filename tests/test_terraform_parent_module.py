"""A local module above its caller: `module "x" { source = "../../" }`.

Module repositories keep their examples in `examples/<name>/`, each calling the
repository's root module by a relative path that leaves the example's folder. A local
source is read when it is a directory with .tf files, wherever it is; a module is its
folder's own .tf files only, so the root module read from an example never takes in the
`examples/` folder below it, and a call back into a module being read is a cycle (noted,
not followed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.importers import load_any

ROOT_MODULE = """
variable "name" {
  type = string
}

variable "create" {
  type    = bool
  default = true
}

resource "aws_sqs_queue" "jobs" {
  count = var.create ? 1 : 0
  name  = "${var.name}-jobs"
}

resource "aws_lambda_function" "this" {
  count         = var.create ? 1 : 0
  function_name = var.name
  role          = "arn:aws:iam::123456789012:role/worker"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "worker.zip"
}

resource "aws_lambda_event_source_mapping" "jobs" {
  count            = var.create ? 1 : 0
  event_source_arn = aws_sqs_queue.jobs[0].arn
  function_name    = aws_lambda_function.this[0].arn
}

output "function_arn" {
  value = try(aws_lambda_function.this[0].arn, "")
}
"""
EXAMPLE = """
module "worker" {
  source = "{source}"
  name   = "complete"
}

module "disabled" {
  source = "{source}"
  name   = "off"
  create = false
}

module "alias" {
  source        = "../../modules/alias"
  function_name = module.worker.function_arn
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}
"""
ALIAS = """
variable "function_name" {
  type = string
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = var.function_name
  function_version = "1"
}
"""


def repository(tmp_path: Path, source: str = "../../") -> Path:
    """A module repository: the root module, modules/alias, examples/complete."""
    (tmp_path / "main.tf").write_text(ROOT_MODULE, encoding="utf-8")
    (tmp_path / "modules" / "alias").mkdir(parents=True)
    (tmp_path / "modules" / "alias" / "main.tf").write_text(ALIAS, encoding="utf-8")
    example = tmp_path / "examples" / "complete"
    example.mkdir(parents=True)
    (example / "main.tf").write_text(EXAMPLE.replace("{source}", source), encoding="utf-8")
    return example


def notes(arch) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.message for d in arch.notes]


@pytest.mark.parametrize("source", ["../../", "../..", "./../../"])
def test_an_example_reads_the_root_module_above_it(tmp_path: Path, source: str) -> None:
    arch = load_any(str(repository(tmp_path, source)))
    g = arch.graph
    assert {"jobs", "worker_this", "alerts"} <= set(g.nodes)
    assert g.has_edge("jobs", "worker_this")  # the module's wiring is read too
    assert g.nodes["jobs"]["group"] == g.nodes["worker_this"]["group"] == ("module.worker",)
    assert g.nodes["alerts"]["group"] == ()
    assert not [n for n in notes(arch) if "not read" in n or "not followed" in n], notes(arch)
    # a second call of the same module with its own inputs: read, and it creates nothing
    assert any("module.disabled creates nothing" in n for n in notes(arch))


def test_the_root_module_does_not_take_in_its_examples(tmp_path: Path) -> None:
    repository(tmp_path)
    arch = load_any(str(tmp_path))
    assert {"jobs", "this"} <= set(arch.graph.nodes)
    assert "alerts" not in arch.graph  # examples/complete is not part of the module


def test_a_call_back_into_a_module_being_read_is_a_cycle(tmp_path: Path) -> None:
    """The root module calls its example, which calls the root module: the example's call
    is noted as a cycle and not followed, and nothing is read twice."""
    repository(tmp_path)
    with (tmp_path / "main.tf").open("a", encoding="utf-8") as f:
        f.write('\nmodule "example" {\n  source = "./examples/complete"\n}\n')
    arch = load_any(str(tmp_path))
    groups = {n: d["group"] for n, d in arch.graph.nodes(data=True)}
    assert groups["alerts"] == ("module.example",) and groups["this"] == ()
    assert sorted(n for n, grp in groups.items() if grp == ()) == ["clients", "jobs", "this"]
    assert all(len(grp) <= 1 for grp in groups.values())  # the example's calls: not followed
    assert any("module 'worker' not followed: it calls itself (cycle)" in n for n in notes(arch))


def test_a_parent_folder_without_tf_files_is_said_to_be_missing(tmp_path: Path) -> None:
    example = repository(tmp_path)
    (tmp_path / "main.tf").unlink()
    arch = load_any(str(example))
    assert "alerts" in arch.graph
    assert any("module 'worker' not read: local source '../../' has no .tf files" in n
               for n in notes(arch))
