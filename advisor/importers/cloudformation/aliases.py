"""`arch.aliases` for CloudFormation/SAM: every template id folded into a node -> that node.

Why: peer tools (cfn-lint, serverless-rules, checkov) report findings on the resource
that carries the setting — a Stage, a Permission, a Role, an event source mapping — and
SAM's own generated resources (`FnRole`, `ServerlessRestApiProdStage`). The importer
folds those into nodes (they are wiring, not components), so without this map a finding
about `MyApiProdStage` would belong to nothing. Two sources:

1. declared resources that did not become nodes: the owner is what their properties name
   (`cloudformation/data.yaml` `alias_owner`: a Stage's `RestApiId`, a Permission's `FunctionName`),
   following chains of folded resources (Policy -> Role -> function); failing that, the
   first node that references them (a Role belongs to the function whose `Role` names it);
2. the ids SAM generates from a resource (`<Fn>Role`, `<Fn><Event>`,
   `<Fn><Event>Permission<Stage>`, `<Api><Stage>Stage`, `ServerlessRestApiProdStage`, ...).

Hash-suffixed ids (`<Api>Deployment<hash>`, `<Fn>Version<hash>`) cannot be predicted from
the template; `advisor.importers.aliases.owner_of` resolves them by their prefix.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.importers.cloudformation.context import Ctx, data

_STAGE_ID = re.compile(r"[^A-Za-z0-9]")


def build_aliases(ctx: Ctx) -> dict[str, str]:
    """The alias map of a finished import (declared folded resources + SAM-generated ids)."""
    out: dict[str, str] = {}
    _declared(ctx, out)
    _sam_generated(ctx, out)
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------- declared resources
def _declared(ctx: Ctx, out: dict[str, str]) -> None:
    table: dict[str, list[str]] = data()["alias_owner"]
    never = set(data()["alias_never"])
    folded = {
        str(lid) for lid, res in ctx.resources.items()
        if str(lid) not in ctx.names and isinstance(res, dict) and isinstance(res.get("Type"), str)
        and res["Type"] not in never
    }
    users = _users(ctx, folded)
    memo: dict[str, str | None] = {}

    def owner(lid: str, trail: frozenset[str]) -> str | None:
        if lid in ctx.names:
            return ctx.names[lid]
        if lid not in folded or lid in trail:
            return None
        if lid in memo:
            return memo[lid]
        trail = trail | {lid}
        found: str | None = None
        props = ctx.props_of(lid)
        for path in table.get(ctx.rtype(lid), []):
            for value in _at(props, path.split(".")):
                for ref in ctx.ref_names(value):
                    found = owner(ref, trail)
                    if found is not None:
                        break
                if found is not None:
                    break
            if found is not None:
                break
        if found is None:
            found = _first_user(ctx, users.get(lid, []), lambda u: owner(u, trail))
        if found is None and ctx.rtype(lid) == "AWS::IAM::Role":
            found = _trusting_node(ctx, props)
        if found is not None or len(trail) == 1:  # a None cut short by the trail may differ
            memo[lid] = found
        return found

    for lid in sorted(folded):
        node = owner(lid, frozenset())
        if node is not None:
            out[lid] = node
    # `owner` calls itself through its closure: a reference cycle that would keep the
    # whole import (template, design) alive until a collection
    owner = None  # type: ignore[assignment]


def values_at(value: Any, path: str) -> list[Any]:
    """The values at a dotted property path (`Targets.*.RoleArn`; `*` walks a list)."""
    return _at(value, path.split("."))


def _at(value: Any, keys: list[str]) -> list[Any]:
    """The values at a dotted path; `*` walks every item of a list."""
    if not keys:
        return [value]
    head, rest = keys[0], keys[1:]
    if head == "*":
        items = value if isinstance(value, list) else []
        return [v for item in items for v in _at(item, rest)]
    if isinstance(value, dict) and head in value:
        return _at(value[head], rest)
    return []


def _users(ctx: Ctx, folded: set[str]) -> dict[str, list[str]]:
    """Folded resource -> logical ids of the resources whose properties reference it."""
    out: dict[str, list[str]] = {}
    for lid in sorted(str(x) for x in ctx.resources):
        for ref in ctx.ref_names(ctx.props_of(lid)):
            if ref in folded and ref != lid:
                out.setdefault(ref, []).append(lid)
    return out


def _first_user(ctx: Ctx, users: list[str], owner: Any) -> str | None:
    """The node of the first user: preferred kinds first (functions), then by node name."""
    nodes = {n for n in (owner(u) for u in users) if n is not None}
    if not nodes:
        return None
    order = list(data()["alias_user_kinds"])

    def rank(name: str) -> tuple[int, str]:
        kind = ctx.arch.kind(name)
        return (order.index(kind) if kind in order else len(order), name)

    return min(nodes, key=rank)


def _trusting_node(ctx: Ctx, props: dict[str, Any]) -> str | None:
    """The only node of the kind the role's trust policy names (`apigateway.amazonaws.com`
    and one API in the template); None when that is not exactly one node."""
    principals = data()["alias_role_principals"]
    doc = props.get("AssumeRolePolicyDocument")
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    kinds: set[str] = set()
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal") if isinstance(st, dict) else None
        service = principal.get("Service") if isinstance(principal, dict) else None
        for name in service if isinstance(service, list) else [service]:
            if isinstance(name, str) and name in principals:
                kinds.add(principals[name])
    if len(kinds) != 1:
        return None
    nodes = ctx.nodes_of_kinds(frozenset(kinds))
    return nodes[0] if len(nodes) == 1 else None


# ---------------------------------------------------------------------- SAM-generated ids
def _sam_generated(ctx: Ctx, out: dict[str, str]) -> None:
    taken = {str(d.get("source_id") or n) for n, d in ctx.arch.graph.nodes(data=True)}
    taken |= {str(lid) for lid in ctx.resources}

    def add(generated: str, node: str | None) -> None:
        if node is not None and generated not in taken and generated not in out:
            out[generated] = node

    for lid in ctx.of_type("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
        node = ctx.names.get(lid)
        if node is None:
            continue
        p = ctx.props_of(lid)
        machine = ctx.rtype(lid) == "AWS::Serverless::StateMachine"
        ids = data()["sam_event_ids"]["state_machine" if machine else "function"]
        if p.get("Role") is None:
            add(f"{lid}Role", node)
        events = p.get("Events")
        for ev_name, ev in (events.items() if isinstance(events, dict) else []):
            etype = ctx.scalar(ev.get("Type")) if isinstance(ev, dict) else None
            ev_props = ev.get("Properties") if isinstance(ev, dict) else None
            ev_props = ev_props if isinstance(ev_props, dict) else {}
            suffixes = list(ids.get(str(etype), []))
            for key, more in ids.items():
                head, _, prop = key.partition("+")
                if prop and head == etype and ev_props.get(prop):
                    suffixes += more
            for suffix in suffixes:
                if "{stage}" in suffix:
                    for stage in _event_stages(ctx, ev_props):
                        add(f"{lid}{ev_name}{suffix.replace('{stage}', stage)}", node)
                else:
                    add(f"{lid}{ev_name}{suffix}", node)
            if etype == "Cognito":
                add(f"{lid}CognitoPermission", node)
        if p.get("EventInvokeConfig") is not None:
            add(f"{lid}EventInvokeConfig", node)
        alias = ctx.scalar(p.get("AutoPublishAlias"))
        if isinstance(alias, str) and alias:
            add(f"{lid}Alias{_STAGE_ID.sub('', alias)}", node)
            if machine:  # a state machine's version id has no hash
                add(f"{lid}Version", node)
        url = p.get("FunctionUrlConfig")
        if isinstance(url, dict):
            add(f"{lid}Url", node)
            if ctx.scalar(url.get("AuthType")) == "NONE":
                add(f"{lid}UrlPublicPermissions", node)
        if p.get("DeploymentPreference") is not None:
            add(f"{lid}DeploymentGroup", node)
    for lid in ctx.of_type("AWS::Serverless::Api"):
        _api_ids(ctx, lid, ctx.names.get(lid), add, http=False)
    for lid in ctx.of_type("AWS::Serverless::HttpApi"):
        _api_ids(ctx, lid, ctx.names.get(lid), add, http=True)


def _event_stages(ctx: Ctx, ev_props: dict[str, Any]) -> list[str]:
    """Stage names an Api event's permission ids carry: its API's StageName, else Prod."""
    api = ctx.sam_ref(ev_props.get("RestApiId")) if ev_props.get("RestApiId") else None
    stages = [_stage_name(ctx, api, http=False)] if api is not None else []
    return [s for s in stages if s] or ["Prod"]


def _stage_name(ctx: Ctx, lid: str, *, http: bool) -> str:
    if lid not in ctx.resources:  # implicit API: SAM's fixed stage
        return "" if http else "Prod"
    stage = ctx.scalar(ctx.props_of(lid).get("StageName"))
    if not isinstance(stage, str) or stage == "$default":
        return ""
    return _STAGE_ID.sub("", stage)


def _api_ids(ctx: Ctx, lid: str, node: str | None, add: Any, *, http: bool) -> None:
    """`<Api><Stage>Stage` (or `<Api>ApiGatewayDefaultStage`), usage plan, authorizers."""
    if node is None:
        return
    stage = _stage_name(ctx, lid, http=http)
    if stage:
        add(f"{lid}{stage}Stage", node)
    elif http:
        add(f"{lid}ApiGatewayDefaultStage", node)
    p = ctx.props_of(lid) if lid in ctx.resources else {}
    auth = p.get("Auth")
    if isinstance(auth, dict):
        if isinstance(auth.get("UsagePlan"), dict):
            for suffix in ("UsagePlan", "ApiKey", "UsagePlanKey"):
                add(f"{lid}{suffix}", node)
        authorizers = auth.get("Authorizers")
        for name in (authorizers if isinstance(authorizers, dict) else {}):
            add(f"{lid}{name}Authorizer", node)
            add(f"{lid}{name}AuthorizerPermission", node)
    if p.get("Domain") is not None:
        add(f"{lid}BasePathMapping", node)
