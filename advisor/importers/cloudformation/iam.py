"""IAM: which statements apply to a function, whether they are wildcards, and which
resources they let the function write to (edges).

A function's permissions come from its SAM `Policies`, its `Role` (inline `Policies` and
`ManagedPolicyArns`) and `AWS::IAM::Policy`/`ManagedPolicy` resources attached to that
role. Write actions on a resource the template declares become an edge function ->
resource: the template says the code may send there.
"""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.edge_labels import CALLBACK_ANSWERS, TASK_TOKEN
from advisor.importers.iam_policies import (
    add_wide_grants,
    managed_policy_is_wide,
    wide_grants,
    write_kind,
)
from advisor.importers.write_back import grants_write, polled_sources


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements_of_document(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict)]


def policy_document(ctx: Ctx, value: Any) -> dict[str, Any] | None:
    """A policy document as written: a mapping, or JSON text (also inside `Fn::Sub`, its
    `${...}` left as they are in the strings), at most 64 KB (IAM's own bound is 20 KB)."""
    if isinstance(value, dict) and "Statement" in value:
        return value
    text = ctx.text_of(value)
    if not isinstance(text, str) or len(text) > 65536 or "Statement" not in text:
        return None
    import json

    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def role_statements(ctx: Ctx, role_lid: str) -> tuple[list[dict[str, Any]], bool]:
    """Statements granted to a role, and whether a wide managed policy is attached."""
    p = ctx.props_of(role_lid)
    stmts: list[dict[str, Any]] = []
    for pol in _role_policies(p):
        if isinstance(pol, dict):
            stmts.extend(statements_of_document(pol.get("PolicyDocument")))
    wide = False
    for arn in _as_list(p.get("ManagedPolicyArns")):
        text = ctx.text_of(arn) or ""
        if managed_policy_is_wide(text):
            wide = True
        for lid in ctx.resource_refs(arn):
            if ctx.rtype(lid) == "AWS::IAM::ManagedPolicy":
                stmts.extend(statements_of_document(ctx.props_of(lid).get("PolicyDocument")))
    for lid in _policies_by_role(ctx).get(role_lid, ()):
        stmts.extend(statements_of_document(ctx.props_of(lid).get("PolicyDocument")))
    return stmts, wide


def _role_policies(props: dict[str, Any]) -> list[Any]:
    """A role's inline `Policies`, an `Fn::If` entry as both of its branches (SAM writes
    one around each policy of a conditional policy list: either may be deployed)."""
    from advisor.importers.cloudformation.conditions import list_branches

    return list_branches(_as_list(props.get("Policies")))


def _policies_by_role(ctx: Ctx) -> dict[str, list[str]]:
    """Role logical ID -> the `AWS::IAM::Policy`/`ManagedPolicy` resources whose `Roles`
    name it, in template order: read once per import, not once per role."""
    key = ("policies_by_role", len(ctx.aliases))
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = {}
        for lid in ctx.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in ctx.resource_refs(ctx.props_of(lid).get("Roles")):
                found.setdefault(role, []).append(lid)
    return found  # type: ignore[no-any-return]


def statement_grants(ctx: Ctx, stmt: dict[str, Any]) -> list[str]:
    """What an Allow statement grants too widely (`iam_policies.wide_grants`)."""
    if str(ctx.scalar(stmt.get("Effect")) or "Allow") != "Allow":
        return []
    return wide_grants([str(ctx.scalar(a) or "") for a in _as_list(stmt.get("Action"))],
                       [ctx.scalar(r) for r in _as_list(stmt.get("Resource"))])


def mark_wide(ctx: Ctx, node: str | None, grants: list[str], where: str | None) -> None:
    """`iam_wildcard` and the named `wide_grants` on the node acting with the policy; a
    finding about them points at `where`, the role or policy resource that grants them
    (the first one found), where the fix goes and where peers report it."""
    if node is None or not grants:
        return
    add_wide_grants(ctx.arch.graph.nodes[node]["props"], grants)
    locs = ctx.arch.graph.nodes[node].get("prop_locs") or {}
    if where is not None and "iam_wildcard" not in locs and where != ctx.arch.graph.nodes[
            node].get("source_id"):
        ctx.set_prop_locs(node, where, "iam_wildcard")


def _document_grants(ctx: Ctx, doc: Any) -> list[str]:
    return [g for stmt in statements_of_document(doc) for g in statement_grants(ctx, stmt)]


def role_grants(ctx: Ctx, role_lid: str) -> list[tuple[str, list[str]]]:
    """(resource that holds it, wide grants) for each policy of a role: its inline
    `Policies` and wide `ManagedPolicyArns` (the role), its managed policies and the
    `AWS::IAM::Policy`/`ManagedPolicy` resources naming it (each at its own resource)."""
    p = ctx.props_of(role_lid)
    own: list[str] = []
    for pol in _role_policies(p):
        if isinstance(pol, dict):
            own += _document_grants(ctx, pol.get("PolicyDocument"))
    out: list[tuple[str, list[str]]] = []
    attached: list[str] = []
    for arn in _as_list(p.get("ManagedPolicyArns")):
        text = ctx.text_of(arn) or ""
        if managed_policy_is_wide(text):
            own.append(text.rsplit("/", 1)[-1])
        attached += [lid for lid in ctx.resource_refs(arn)
                     if ctx.rtype(lid) == "AWS::IAM::ManagedPolicy"]
    if own:
        out.append((role_lid, own))
    for lid in attached + list(_policies_by_role(ctx).get(role_lid, ())):
        grants = _document_grants(ctx, ctx.props_of(lid).get("PolicyDocument"))
        if grants:
            out.append((lid, grants))
    return out


def flag_wide_roles(ctx: Ctx, aliases: dict[str, str]) -> None:
    """Every role of the template, not only functions': a state machine's, an API's
    integration role, a pipe's, a rule's or schedule's target role, a canary's. Wide
    grants are set on the node the role belongs to (`aliases`, the owner peers' findings
    on the role are matched to). A role nothing owns has no node to report at."""
    for role in ctx.of_type("AWS::IAM::Role"):
        mark_role_grants(ctx, aliases.get(role) or ctx.names.get(role), role)


def mark_role_grants(ctx: Ctx, node: str | None, role_lid: str) -> None:
    """The wide grants of one role on one node acting with it, each at the policy
    resource that holds it: every function sharing a role gets the same description."""
    for where, grants in role_grants(ctx, role_lid):
        mark_wide(ctx, node, grants, where)


def write_targets(ctx: Ctx, stmts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(node, action) for each write action on a resource the template declares."""
    out: list[tuple[str, str]] = []
    for stmt in stmts:
        if str(ctx.scalar(stmt.get("Effect")) or "Allow") != "Allow":
            continue
        for action in _as_list(stmt.get("Action")):
            action = ctx.scalar(action)
            kind = write_kind(action) if isinstance(action, str) else None
            if kind is None:
                continue
            for node in ctx.node_refs(stmt.get("Resource")):
                if ctx.arch.kind(node) == kind and (node, action) not in out:
                    out.append((node, action))
    return out


def cannot_write(ctx: Ctx, lid: str, kind: str) -> bool:
    """Whether a SAM function's permissions are all stated on it and none writes to
    `kind`: no `Role`, every `Policies` entry an inline document or a policy template SAM
    has (a managed policy is not read), and no statement allows `*` or a write action of
    that service. SAM's generated role then holds only those and the basic execution
    policy, so the function cannot write there whatever its environment names."""
    from advisor.importers.cloudformation import sam_policy_templates
    from advisor.importers.cloudformation.sam import policy_items

    if ctx.rtype(lid) != "AWS::Serverless::Function" or ctx.props_of(lid).get("Role"):
        return False
    stmts: list[dict[str, Any]] = []
    for item in policy_items(ctx, lid):
        if not isinstance(item, dict) or not item:
            return False
        if "Statement" in item:
            stmts.extend(statements_of_document(item))
            continue
        for name, params in item.items():
            if name in ("Fn::Sub", "Ref"):  # a managed policy ARN
                return False
            expanded = sam_policy_templates.statements(str(name), params)
            if not expanded:
                return False  # a template this table does not know may grant anything
            stmts.extend(expanded)
    for stmt in stmts:
        if str(ctx.scalar(stmt.get("Effect")) or "Allow") != "Allow":
            continue
        for action in _as_list(stmt.get("Action")):
            text = ctx.scalar(action)
            if not isinstance(text, str) or text.strip() == "*" or write_kind(text) == kind:
                return False
    return True


# where a function or state machine names the role it acts with
ROLE_PATHS = {
    "AWS::Lambda::Function": ("Role",),
    "AWS::Serverless::Function": ("Role",),
    "AWS::StepFunctions::StateMachine": ("RoleArn",),
    "AWS::Serverless::StateMachine": ("Role",),
}


def role_ids(ctx: Ctx, lid: str) -> list[str]:
    """The `AWS::IAM::Role` logical IDs a resource acts with."""
    from advisor.importers.cloudformation.aliases import values_at

    out: list[str] = []
    for path in ROLE_PATHS.get(ctx.rtype(lid), ()):
        for value in values_at(ctx.props_of(lid), path):
            for role in ctx.resource_refs(value):
                if ctx.rtype(role) == "AWS::IAM::Role" and role not in out:
                    out.append(role)
    return out


def wire_function_iam(ctx: Ctx, lid: str, extra: list[dict[str, Any]]) -> None:
    """Wildcard flag and write edges for one function (role + SAM inline statements)."""
    wire_iam(ctx, lid, extra)


def wire_iam(ctx: Ctx, lid: str, extra: list[dict[str, Any]]) -> None:
    """Write edges from what the role of a function or state machine (and SAM inline
    statements) lets it write; for a function also the wildcard flag. Rules, pipes and
    schedules name their targets, and often share one role: their roles draw no edge."""
    node = ctx.names.get(lid)
    if node is None:
        return
    stmts = list(extra)
    for role_lid in role_ids(ctx, lid):
        stmts.extend(role_statements(ctx, role_lid)[0])
        if ctx.arch.kind(node) in ("lambda", "sfn"):
            # not only the role's owner (flag_wide_roles): every function or state
            # machine acting with it
            mark_role_grants(ctx, node, role_lid)
    # SAM's inline statements and policy templates' statements, then its wide managed
    # policies: the role SAM generates holds them as its `Policies` and
    # `ManagedPolicyArns`, read in that order for a role (role_grants); the fix goes at
    # the function
    granted = ctx.memo.get("sam_role_statements", {}).get(lid, extra)
    mark_wide(ctx, node, [g for s in granted for g in statement_grants(ctx, s)]
              + ctx.memo.get("sam_wide_managed", {}).get(lid, []), None)
    sources = set(ctx.arch.graph.predecessors(node))
    polled = polled_sources(ctx.arch, node) if ctx.arch.kind(node) == "lambda" else set()
    failures = ctx.arch.failure_destinations(role_sharers(ctx, lid))
    granted: dict[str, set[str]] = {}
    for target, action in write_targets(ctx, stmts):
        granted.setdefault(target, set()).add(action.lower())
    for target, actions in granted.items():
        # a WebSocket API's `@connections` grant is no trigger's permission: the function
        # sends to the clients of the API that may also invoke it
        own = target in sources and ctx.arch.kind(target) != "apigw" and not (
            target in polled and grants_write(actions, ctx.arch.kind(target)))
        if own or target in failures or not ctx.permission_is_use(node, target):
            # its own event source (the poll's permissions; an explicit write into a
            # polled source is a write-back: advisor/importers/write_back.py), the dead
            # letters of any function acting with the role (Lambda delivers there)
            continue
        answers = actions <= CALLBACK_ANSWERS and not ctx.arch.graph.has_edge(node, target)
        ctx.edge(node, target, label=TASK_TOKEN if answers else None, anchor=lid)


def role_sharers(ctx: Ctx, lid: str) -> list[str]:
    """The nodes of `lid` and of every resource acting with one of its roles.

    A role shared by several functions holds the permission each one's failure delivery
    needs (its DLQ, its on-failure destinations): that grant is the delivery's, so it
    draws no call edge from any of them."""
    index = ctx.memo.get("role_sharers")
    if index is None:
        index = ctx.memo["role_sharers"] = {}
        for other in ctx.of_type(*ROLE_PATHS):
            for role in role_ids(ctx, other):
                index.setdefault(role, []).append(other)
    lids = [lid, *(o for role in role_ids(ctx, lid) for o in index.get(role, ()) if o != lid)]
    return [n for n in dict.fromkeys(ctx.names.get(x) for x in lids) if n is not None]
