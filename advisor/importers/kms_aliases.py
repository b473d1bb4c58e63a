"""AWS managed KMS keys, as templates name them.

A resource encrypted with `alias/aws/sqs` (or that alias's ARN) uses the key AWS keeps for
the service in the account: no monthly key charge, unlike a customer managed key (its KMS
requests are charged all the same: https://aws.amazon.com/kms/pricing/). Both importers
set `kms_managed` on such a resource, so the estimate does not assume a key of its own.
"""

from __future__ import annotations

import re
from typing import Any

# the alias, or its ARN (whose partition, region and account may be `${AWS::...}`)
_AWS_MANAGED = re.compile(r"^(?:alias/aws/|arn:.*:alias/aws/)[A-Za-z0-9/_-]+$")


def is_aws_managed(value: Any) -> bool:
    """A key id that names an AWS managed key (`alias/aws/<service>`, or its ARN)."""
    return isinstance(value, str) and bool(_AWS_MANAGED.match(value.strip()))


__all__ = ["is_aws_managed"]
