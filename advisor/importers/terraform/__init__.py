"""Terraform configurations (`.tf`, a module directory) -> Architecture.

`hcl` parses (python-hcl2's tree) and evaluates expressions, `module` reads a module's
files and local modules, `props` sets node props per resource type, `wiring/` draws the
edges (one module per service family: functions, apigw, messaging, events, s3, streams,
iam), `sfn` maps Step Functions definitions (through the shared `advisor.importers.asl`),
`code` finds handler sources, `aliases` folds wiring resources into nodes, and
`importer` owns naming, reference resolution and the final assembly.
"""

from advisor.importers.terraform.importer import import_terraform

__all__ = ["import_terraform"]
