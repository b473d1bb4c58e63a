"""Plain CloudFormation wiring: the resources that connect components become edges.

One module per service family, as `advisor/importers/terraform/wiring/` is: `functions`
(Lambda event source mappings, invoke configs, DLQs, aliases, URLs, permissions),
`messaging` (SQS redrive, SNS subscriptions, queue/topic policies), `s3` (bucket
notifications), `events` (EventBridge rules and the default bus, Scheduler, Pipes),
`streams` (Firehose, DynamoDB's Kinesis destination), `capacity` (auto scaling), `logs` (log groups and
subscription filters), `fronts` (AppSync, load balancers, CloudFront, WAF), `automation`
(IoT rules, SSM Automation), `keys` (the KMS keys resources are encrypted with); `common`
for what several share. The importer calls each
`wire_*` in a fixed order (`importer._wire`).
"""

from advisor.importers.cloudformation.wiring.automation import (
    wire_iot_rules,
    wire_ssm_documents,
)
from advisor.importers.cloudformation.wiring.capacity import wire_autoscaling
from advisor.importers.cloudformation.wiring.common import (
    as_list,
    default_bus,
    target_node,
)
from advisor.importers.cloudformation.wiring.events import (
    PIPE_INVOCATIONS,
    attach_rule,
    connect_default_bus,
    wire_pipes,
    wire_rules,
    wire_schedules,
)
from advisor.importers.cloudformation.wiring.fronts import (
    wire_alb,
    wire_appsync,
    wire_cloudfront,
    wire_waf,
)
from advisor.importers.cloudformation.wiring.functions import (
    apply_invoke_config,
    wire_alias_settings,
    wire_event_source_mappings,
    wire_function_urls,
    wire_invoke_configs,
    wire_lambda_dlq,
    wire_permissions,
)
from advisor.importers.cloudformation.wiring.keys import wire_encryption_keys
from advisor.importers.cloudformation.wiring.logs import (
    wire_log_groups,
    wire_log_subscriptions,
)
from advisor.importers.cloudformation.wiring.messaging import (
    wire_resource_policies,
    wire_sns,
    wire_sqs_redrive,
)
from advisor.importers.cloudformation.wiring.s3 import (
    bucket_edge,
    wire_s3_notifications,
)
from advisor.importers.cloudformation.wiring.streams import (
    wire_dynamodb_kinesis,
    wire_firehose,
)

__all__ = [
    "PIPE_INVOCATIONS",
    "apply_invoke_config",
    "as_list",
    "attach_rule",
    "bucket_edge",
    "connect_default_bus",
    "default_bus",
    "target_node",
    "wire_alb",
    "wire_alias_settings",
    "wire_appsync",
    "wire_autoscaling",
    "wire_cloudfront",
    "wire_dynamodb_kinesis",
    "wire_encryption_keys",
    "wire_event_source_mappings",
    "wire_firehose",
    "wire_function_urls",
    "wire_invoke_configs",
    "wire_iot_rules",
    "wire_lambda_dlq",
    "wire_log_groups",
    "wire_log_subscriptions",
    "wire_permissions",
    "wire_pipes",
    "wire_resource_policies",
    "wire_rules",
    "wire_s3_notifications",
    "wire_schedules",
    "wire_sns",
    "wire_sqs_redrive",
    "wire_ssm_documents",
    "wire_waf",
]
