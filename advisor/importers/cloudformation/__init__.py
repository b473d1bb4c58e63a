"""CloudFormation and SAM templates (YAML or JSON) -> Architecture.

One module per job: `template` (safe YAML/JSON loading with line marks; `template_fast`
is its libyaml event reader), `language_extensions` (`Fn::ForEach` expanded before
import), `context` (the shared import context: names, references, notes), `conditions`
(both branches of an `Fn::If` count), `sam` (SAM resources, events, policies, implicit
APIs), `sam_globals` (Globals, merged as SAM merges them), `sam_connectors` (connectors as
data-flow edges), `props` (node props per resource type), `wiring/` (edges, one module per service
family: functions, messaging, s3, events, streams, logs, fronts, automation), `apigw` (API Gateway
resources and integrations), `apigw_sam` (SAM APIs: auth, events, WebSocket routes),
`apigw_stages` (every stage's settings, with where to fix them), `openapi` (OpenAPI
bodies), `iam` (policies), `sfn` (state machines, through the shared
`advisor.importers.asl`), `code` (handler source), `aliases` (folded resources -> nodes)
and `importer`, which runs them in order.
"""

from advisor.importers.cloudformation.importer import import_template

__all__ = ["import_template"]
