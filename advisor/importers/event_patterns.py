"""An EventBridge event pattern as one text, whichever template stated it.

CloudFormation gives a pattern as a mapping (or a JSON string), Terraform as
`jsonencode({...})` or a heredoc. The rule's `pattern` prop is the same compact JSON for
all (sorted keys, no spaces), so the same rule reads the same in every format and a
check such as "this rule listens to `aws.s3`" sees one spelling. Values the importer could
not resolve stay as the importer shows them (`{"Ref": "Bucket"}`, `${var.name}`).
"""

from __future__ import annotations

import json
from typing import Any

MAX_CHARS = 500  # a pattern is shown, not re-parsed: longer ones are cut


def pattern_text(value: Any) -> str | None:
    """The compact JSON text of a pattern given as an object or as JSON text."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[:MAX_CHARS]
        if not isinstance(decoded, dict | list):
            return value[:MAX_CHARS]
        value = decoded
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        text = str(value)
    return text[:MAX_CHARS]
