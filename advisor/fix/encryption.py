"""What the AWS-managed-key patch of SEC-ENCRYPTION-AT-REST refuses, whatever the input
format: the checks read the design (the graph), not the template, so the CloudFormation
and Terraform generators share them and say the same reason."""

from __future__ import annotations

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.context import FixContext

# services that cannot publish to a topic encrypted with the AWS managed key aws/sns
SERVICE_PUBLISHERS = ("eventbridge", "s3", "scheduler", "pipes", "sns", "sqs", "kinesis",
                      "dynamodb", "resource")


def refuse_unmanaged(ctx: FixContext, node: str) -> None:
    """A customer managed key (its key policy names every producer and consumer), or an
    RDS store (encrypting it replaces it): not generated."""
    if ctx.after_props(node).get("encryption") != "default":
        raise Unpatchable("a customer managed KMS key needs a key policy naming every "
                          "producer and consumer; it is not generated (use the AWS managed "
                          "key alternative, or write the key by hand)")
    if ctx.before.kind(node) == "rds":
        raise Unpatchable("encrypting an existing RDS instance or cluster replaces it with a "
                          "new, empty one; restore an encrypted copy of a snapshot instead")


def refuse_service_publishers(ctx: FixContext, node: str) -> None:
    """A topic AWS services publish to cannot use aws/sns (their service principals have
    no grant on the AWS managed key)."""
    publishers = [p for p in ctx.before.graph.predecessors(node)
                  if ctx.before.kind(p) in SERVICE_PUBLISHERS]
    if publishers:
        raise Unpatchable(f"{', '.join(sorted(publishers))} publish(es) to {node} as an "
                          "AWS service, which cannot use the AWS managed key aws/sns; a "
                          "customer managed key with a key policy for it is needed")
