"""An SQS queue's redrive allow policy: which source queues may name it as their
dead-letter queue (`RedriveAllowPolicy` in CloudFormation, `redrive_allow_policy` in
Terraform). `redrivePermission` is `allowAll`, `byQueue` (with `sourceQueueArns`) or
`denyAll` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
Without a policy any queue may use it, so only a stated one that allows sources marks the
queue as a dead-letter queue (`is_dlq`), for both importers.
"""

from __future__ import annotations

import json
from typing import Any

ALLOWING = frozenset({"allowall", "byqueue"})


def declares_dlq(policy: Any) -> bool:
    """The stated policy (an object, or its JSON text) lets source queues use the queue as
    their dead-letter queue: `allowAll`, `byQueue`, or source queues listed."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    if not isinstance(policy, dict):
        return False
    permission = policy.get("redrivePermission")
    if isinstance(permission, str):
        return permission.lower() in ALLOWING
    return bool(policy.get("sourceQueueArns"))
