"""A pipe's input template, from the template handler inspection recorded against the
record a Lambda function receives (advisor/importers/handlers/payload.py): the one place
both the engine's obligation and `advisor fix` turn it into what a pipe reading a given
source needs, so the two state the same template.

A pipe's SQS and DynamoDB stream records have the fields of the Lambda records; its
Kinesis records have no `kinesis` level (`<$.kinesis.partitionKey>` is `<$.partitionKey>`).
A handler that forwards a Kinesis record's base64 `data` text as it came is not matched to a
template (`<$.data>` is not known to be the same text), and a whole record sent on
unchanged is the same record only for SQS.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html
"""

from __future__ import annotations

import re

KINESIS_LEVEL = re.compile(r"<\$\.kinesis\.")


def for_source(template: str | None, source: str) -> tuple[str | None, str | None]:
    """(the input template a pipe from a `source` queue or stream needs, why there is
    none that sends the same). `template` None: the function sent the record unchanged,
    which needs no template from SQS."""
    if template is None:
        if source == "sqs":
            return None, None
        return None, ("it sends the whole stream record, whose shape a pipe delivers "
                      "differently")
    if source == "kinesis":
        template = KINESIS_LEVEL.sub("<$.", template)
        if "<$.data>" in template:
            return None, ("it sends the record's base64 data as it came, which a pipe's "
                          "`<$.data>` is not known to reproduce")
    return template, None
