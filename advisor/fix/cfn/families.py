"""The CloudFormation/SAM generators, registered by rule id."""

from __future__ import annotations

from advisor.fix.cfn import (
    apigw,
    glue,
    integrations,
    native,
    pipes,
    reliability,
    s3,
    settings,
    sfn,
)
from advisor.fix.registry import register

FMT = "cloudformation"

register(FMT, "REL-SQS-DLQ")(reliability.sqs_dlq)
register(FMT, "REL-SQS-VISIBILITY")(reliability.sqs_visibility)
register(FMT, "REL-LAMBDA-ASYNC-DLQ")(reliability.lambda_on_failure)
register(FMT, "REL-EB-TARGET-DLQ")(reliability.rule_target_dlq)
register(FMT, "REL-SNS-SUB-DLQ")(reliability.subscription_dlq)
register(FMT, "REL-STREAM-POISON")(reliability.stream_on_failure)
register(FMT, "OPS-APIGW-THROTTLING")(apigw.api_throttling)
register(FMT, "OPS-APIGW-TRACING")(apigw.api_tracing)
register(FMT, "OPS-APIGW-ACCESS-LOGGING")(apigw.api_access_logging)
register(FMT, "OPS-LAMBDA-TRACING")(settings.lambda_tracing)
register(FMT, "OPS-SFN-TRACING")(settings.sfn_tracing)
register(FMT, "OPS-LOG-RETENTION")(settings.log_retention)
register(FMT, "COST-LAMBDA-ARM64")(settings.lambda_arm64)
register(FMT, "COST-SQS-BATCH")(settings.batch_size)
register(FMT, "COST-SFN-EXPRESS")(settings.sfn_express)
register(FMT, "SEC-ENCRYPTION-AT-REST")(settings.encryption_at_rest)
register(FMT, "SEC-LAMBDA-URL-AUTH")(settings.url_auth)
register(FMT, "SEC-KMS-ROTATION")(settings.key_rotation)
register(FMT, "SEC-APIGW-VALIDATION")(settings.api_validation)
register(FMT, "PERF-SFN-POLLING", "SEC-ENV-SECRETS", "COST-API-DIRECT-INGEST")(
    settings.needs_code)
register(FMT, "SEC-APIGW-AUTH")(settings.api_auth)
register(FMT, "COST-APIGW-REST-TO-HTTP")(settings.api_type_change)
register(FMT, "SEC-ENCRYPTION-ALWAYS-ON")(settings.customer_key)
register(FMT, "GLUE-SNS-SQS")(glue.sns_to_sqs)
register(FMT, "GLUE-EVENTBRIDGE-SQS", "GLUE-EVENTBRIDGE-SNS", "GLUE-EVENTBRIDGE-SFN",
         "GLUE-EVENTBRIDGE-KINESIS")(glue.rule_to_service)
register(FMT, "GLUE-APIGW-SQS", "GLUE-APIGW-SNS", "GLUE-APIGW-DYNAMODB", "GLUE-APIGW-KINESIS",
         "GLUE-APIGW-FIREHOSE", "GLUE-APIGW-EVENTBRIDGE", "GLUE-APIGW-SFN")(
    integrations.api_to_service)
register(FMT, "GLUE-S3-SQS", "GLUE-S3-SNS", "GLUE-S3-EVENTBRIDGE")(s3.bucket_to_target)
register(FMT, "GLUE-STREAM-PIPES")(pipes.stream_to_pipe)
register(FMT, "GLUE-SFN-OPTIMIZED", "GLUE-SFN-SDK")(sfn.task_to_service)
register(FMT, "GLUE-LAMBDA-DESTINATION")(native.on_success)
register(FMT, "GLUE-SNS-FIREHOSE", "GLUE-SNS-HTTP")(native.sns_subscription)
register(FMT, "GLUE-KINESIS-FIREHOSE")(native.kinesis_to_firehose)
register(FMT, "GLUE-DYNAMODB-KINESIS")(native.dynamodb_to_kinesis)
register(FMT, "GLUE-SCHEDULER-TARGET")(native.schedule_target)
register(FMT, "GLUE-APPSYNC-DATASOURCE", "GLUE-SSM-AUTOMATION", "GLUE-EVENTBRIDGE-HTTP",
         "GLUE-EXPRESS-SDK-TASK", "GLUE-EXPRESS-SDK-TASK-UNSHOWN")(native.needs_user_code)
register(FMT, "GLUE-UNSHOWN-TARGET")(glue.unshown_target)
register(FMT, "GLUE-")(glue.not_generated)
