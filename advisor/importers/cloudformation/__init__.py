"""CloudFormation and SAM templates (YAML or JSON) -> Architecture.

One module per job: `template` (safe YAML/JSON loading with line marks; `template_fast`
is its libyaml event reader), `context` (the shared import context: names, references,
notes), `sam` (SAM resources, events, Globals), `props` (node props per resource type),
`wiring` (edges: event sources, subscriptions, rules, pipes, destinations), `apigw`
(API Gateway integrations, OpenAPI bodies, authorizers), `iam` (policies), `sfn`
(state machines, through the shared `advisor.importers.asl`), `code` (handler source),
`aliases` (folded resources -> nodes) and `importer`, which runs them in order.
"""

from advisor.importers.cloudformation.importer import import_template

__all__ = ["import_template"]
