"""A Lambda permission (resource-based policy statement) given to an AWS service, for both
importers.

A service principal (`s3.amazonaws.com`, `sns.amazonaws.com`, ...) without `SourceArn` or
`SourceAccount` (Terraform `source_arn`, `source_account`) lets that service invoke the
function on behalf of *any* resource of that service, in any account: someone else's
bucket or topic can be pointed at the function (the confused-deputy problem). What a
permission names is kept on the function as `unscoped_invokers` (SEC-LAMBDA-PERMISSION-SOURCE).
"""

from __future__ import annotations

from typing import Any

SERVICE_SUFFIX = ".amazonaws.com"


def unscoped_service(principal: object, scoped: bool) -> str | None:
    """The service a permission is given to when nothing scopes it, else None (an account
    or role principal, `*`, an expression, or a source condition present)."""
    if scoped or not isinstance(principal, str):
        return None
    name = principal.strip().lower()
    if not name.endswith(SERVICE_SUFFIX) or "${" in name:
        return None
    service = name[: -len(SERVICE_SUFFIX)]
    return service or None


def add_unscoped(node_data: dict[str, Any], service: str, loc: Any) -> None:
    """Record that `service` may invoke the function unscoped, at the permission's `loc`
    (a finding points at the last such permission read)."""
    props = node_data["props"]
    props["unscoped_invokers"] = sorted({*props.get("unscoped_invokers", ()), service})
    if loc is not None:
        node_data.setdefault("prop_locs", {})["unscoped_invokers"] = loc


__all__ = ["add_unscoped", "unscoped_service"]
