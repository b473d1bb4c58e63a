"""The CloudFormation/SAM generators, registered by rule id."""

from __future__ import annotations

from advisor.fix.cfn import apigw, glue, reliability
from advisor.fix.registry import register

FMT = "cloudformation"

register(FMT, "REL-SQS-DLQ")(reliability.sqs_dlq)
register(FMT, "REL-SQS-VISIBILITY")(reliability.sqs_visibility)
register(FMT, "REL-LAMBDA-ASYNC-DLQ")(reliability.lambda_on_failure)
register(FMT, "REL-EB-TARGET-DLQ")(reliability.rule_target_dlq)
register(FMT, "REL-SNS-SUB-DLQ")(reliability.subscription_dlq)
register(FMT, "REL-STREAM-POISON")(reliability.stream_on_failure)
register(FMT, "OPS-APIGW-THROTTLING")(apigw.api_throttling)
register(FMT, "GLUE-SNS-SQS")(glue.sns_to_sqs)
register(FMT, "GLUE-EVENTBRIDGE-SQS", "GLUE-EVENTBRIDGE-SNS", "GLUE-EVENTBRIDGE-SFN",
         "GLUE-EVENTBRIDGE-KINESIS")(glue.rule_to_service)
register(FMT, "GLUE-APIGW-SQS")(glue.api_to_sqs)
register(FMT, "GLUE-UNSHOWN-TARGET")(glue.unshown_target)
register(FMT, "GLUE-")(glue.not_generated)
