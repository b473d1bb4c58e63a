"""The IAM statements a SAM policy template (`Policies: [{SQSPollerPolicy: {...}}]`)
deploys, so the SAM import reads the same grants as SAM's CloudFormation expansion: the
role SAM generates holds each template's statements as one of its `Policies`.

`sam_policy_templates.yaml` is generated from SAM's own templates
(tools/gen_sam_policy_templates.py); its parameters are `{"Ref": "<Parameter>"}`, which
SAM's template processor replaces with the values the template is given (a `Ref` only:
`Fn::Sub` strings name the template's own `${variables}`).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _templates() -> dict[str, list[dict[str, Any]]]:
    from advisor.importers.reading import package_yaml

    return package_yaml("cloudformation/sam_policy_templates.yaml")["templates"]  # type: ignore[no-any-return]


def statements(name: str, params: Any) -> list[dict[str, Any]]:
    """The statements template `name` expands to with `params` (its parameter mapping);
    empty for a name SAM does not have."""
    given = params if isinstance(params, dict) else {}
    return [_substitute(stmt, given) for stmt in _templates().get(name, ())]


def _substitute(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and isinstance(value["Ref"], str) \
                and value["Ref"] in params:
            return params[value["Ref"]]
        return {k: _substitute(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    return value
