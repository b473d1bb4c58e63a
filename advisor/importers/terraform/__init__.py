"""Terraform configurations (`.tf`, a module directory) -> Architecture.

`hcl` parses (python-hcl2's tree) into blocks whose expressions keep their structure;
`evaluate` and `functions` compute them as far as the configuration tells; `variables`
gives the root's variable values (`.tfvars`, `--var-file`, `--var`); `module` reads a
module's files and local modules and resolves references; `instances` decides what is
created (`count`, `for_each`, `dynamic` blocks); `props` sets node props per resource
type; `wiring/` draws the edges (one module per service family: functions, apigw,
messaging, events, s3, streams, iam); `sfn` maps Step Functions definitions (through the
shared `advisor.importers.asl`); `code` finds handler sources; `aliases` folds wiring
resources into nodes; `importer` owns naming, reference resolution and the assembly.
"""

from advisor.importers.terraform.importer import import_terraform

__all__ = ["import_terraform"]
