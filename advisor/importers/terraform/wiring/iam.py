"""IAM: the policies attached to each function's role (inline, role policies, attachments,
`aws_iam_policy_document` data sources, AWS managed *FullAccess policies). Write actions
on a named resource become function -> resource edges; wildcards set `iam_wildcard`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.importers.edge_labels import CALLBACK_ANSWERS, TASK_TOKEN
from advisor.importers.iam_policies import (
    add_wide_grants,
    is_wildcard,
    managed_policy_is_wide,
    wide_grants,
    write_kind,
)
from advisor.importers.terraform.hcl import iter_refs
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import as_json
from advisor.importers.write_back import grants_write, polled_sources

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def statements(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    stmts = doc.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    return [s for s in stmts if isinstance(s, dict)] if isinstance(stmts, list) else []


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_document(ctx: Context, mod: Module, value: Any) -> dict[str, Any] | None:
    """A policy given as JSON text/object or as `data.aws_iam_policy_document.x.json`."""
    doc = as_json(value)
    if isinstance(doc, dict):
        homes = {id(r.home): r.home for r in iter_refs(value) if r.home is not None}
        if len(homes) == 1 and "_module" not in doc:  # text carried in from another module
            doc = {**doc, "_module": next(iter(homes.values()))}
        return doc
    from advisor.importers.terraform.module import home_of, strip_indexes

    for ref in iter_refs(value):
        parts = strip_indexes(ref.path).split(".")
        if parts[0] == "data" and len(parts) >= 3 and parts[1] == "aws_iam_policy_document":
            mod = home_of(ref, mod)
            data = mod.data.get((parts[1], parts[2]))
            if data is None:
                continue
            stmts = []
            for st in data.block.sub("statement"):
                stmt = {
                    "Effect": st.get("effect", "Allow"),
                    "Action": st.get("actions", []),
                    "Resource": st.get("resources", []),
                    "Principal": {
                        p.get("type"): p.get("identifiers") for p in st.sub("principals")
                    },
                }
                conditions = {f"{c.get('test')} {c.get('variable')}": c.get("values")
                              for c in st.sub("condition")}
                if conditions:  # what they test is not read: that there are some
                    stmt["Condition"] = conditions
                stmts.append(stmt)
            return {"Statement": stmts, "_module": mod}
    return None


def _role_policies(ctx: Context) -> dict[str, list[tuple[Module, dict[str, Any]]]]:
    """Role address -> policy documents attached to it (inline, role_policy, attachments),
    worked out once per import (the functions' roles and every role's grants read it)."""
    found = ctx.memo.get("role policies")
    if found is None:
        found = ctx.memo["role policies"] = _read_role_policies(ctx)
    return found  # type: ignore[no-any-return]


def _read_role_policies(ctx: Context) -> dict[str, list[tuple[Module, dict[str, Any]]]]:
    out: dict[str, list[tuple[Module, dict[str, Any]]]] = {}
    policies: dict[str, tuple[Module, Any, Resource]] = {}
    for res in ctx.ws.resources():
        if res.type == "aws_iam_policy":
            policies[res.address] = (res.module, res.block.get("policy"), res)
    for res in ctx.ws.resources():
        b, mod = res.block, res.module
        if res.type == "aws_iam_role":
            for inline in b.sub("inline_policy"):
                doc = policy_document(ctx, mod, inline.get("policy"))
                if doc:
                    out.setdefault(res.address, []).append((mod, {**doc, "_source": res}))
            for arn in as_list(b.get("managed_policy_arns")):
                if isinstance(arn, str) and managed_policy_is_wide(arn):
                    out.setdefault(res.address, []).append(
                        (mod, _wide_managed(arn, res))
                    )
        elif res.type in (
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_iam_policy_attachment",
        ):
            roles = as_list(b.get("role")) + as_list(b.get("roles"))
            docs: list[tuple[Module, Any, Resource]] = []
            if res.type == "aws_iam_role_policy":
                docs.append((mod, b.get("policy"), res))
            else:
                arn = b.get("policy_arn")
                for ref in iter_refs(arn):
                    from advisor.importers.terraform.module import home_of, resolve_ref

                    for pres, _attr in resolve_ref(ctx.ws, home_of(ref, mod), ref.path):
                        if pres.address in policies:
                            docs.append(policies[pres.address])
                if isinstance(arn, str) and managed_policy_is_wide(arn):
                    docs.append((mod, _wide_managed(arn, res), res))
            for role_value in roles:
                for role_res in _resolve_resources(ctx, mod, role_value):
                    for dmod, d, source in docs:
                        doc = policy_document(ctx, dmod, d)
                        if doc:
                            out.setdefault(role_res.address, []).append(
                                (dmod, {"_source": source, **doc}))
    return out


def _wide_managed(arn: str, res: Resource) -> dict[str, Any]:
    """An AWS managed policy too wide to name its resources, as the statement it amounts to."""
    return {"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}],
            "_source": res, "_managed": arn.rsplit("/", 1)[-1]}


def document_grants(doc: dict[str, Any]) -> list[str]:
    """What a policy document grants too widely (`iam_policies.wide_grants`)."""
    if doc.get("_managed"):
        return [str(doc["_managed"])]
    out: list[str] = []
    for stmt in statements(doc):
        if stmt.get("Effect", "Allow") != "Allow":
            continue
        acts = [a for a in as_list(stmt.get("Action")) if isinstance(a, str)]
        out += [g for g in wide_grants(acts, as_list(stmt.get("Resource"))) if g not in out]
    return out


def flag_wide_roles(ctx: Context) -> None:
    """Every role, not only functions': a state machine's, an API's integration role, a
    pipe's, a rule's or schedule's target role. Wide grants go on the node the role
    belongs to (`arch.aliases`, where peers' findings on the role are matched), at the
    role or policy block that grants them."""
    graph = ctx.arch.graph
    for role, docs in sorted(_role_policies(ctx).items()):
        node = ctx.arch.aliases.get(role) or ctx.node_of.get(role)
        if node is None or node not in graph:
            continue
        mark_role_grants(ctx, node, docs)


def mark_role_grants(ctx: Context, node: str, docs: list[tuple[Module, dict[str, Any]]]) -> None:
    """The wide grants of one role's policy documents on one node acting with it, at the
    role or policy block that grants them: every function sharing a role gets the same
    description."""
    graph = ctx.arch.graph
    for _mod, doc in docs:
        grants = document_grants(doc)
        if not grants:
            continue
        add_wide_grants(graph.nodes[node]["props"], grants)
        source = doc.get("_source")
        locs = graph.nodes[node].setdefault("prop_locs", {})
        if isinstance(source, Resource) and "iam_wildcard" not in locs:
            locs["iam_wildcard"] = ctx.loc(source.block)


def _resolve_resources(ctx: Context, mod: Module, value: Any) -> list[Resource]:
    from advisor.importers.terraform.module import resolve_value

    found = [r for r, _a in resolve_value(ctx.ws, mod, value)]
    if not found and isinstance(value, str):
        found = list(_roles_by_name(ctx).get(value, ()))
    return found


def _roles_by_name(ctx: Context) -> dict[Any, list[Resource]]:
    """Literal role `name` -> the `aws_iam_role` resources of that name, in workspace
    order (read once per import, not once per function)."""
    found = ctx.memo.get("roles by name")
    if found is None:
        found = ctx.memo["roles by name"] = {}
        for res in ctx.ws.resources():
            if res.type == "aws_iam_role":
                name = res.block.get("name")
                if isinstance(name, str):
                    found.setdefault(name, []).append(res)
    return found  # type: ignore[no-any-return]


def _failure_targets(ctx: Context, fn: str) -> set[str]:
    """Where Lambda delivers the function's failed events (its DLQ, async destinations,
    event source mappings' on-failure destinations). The execution role must be allowed
    to write there, but that permission is the delivery's, not a call the code makes:
    it draws no `iam` edge."""
    props = ctx.arch.props(fn)
    out = {props.get(k) for k in ("dlq", "on_failure", "on_success")}
    graph = ctx.arch.graph
    out |= {graph.edges[src, fn].get("props", {}).get("on_failure") for src in graph.predecessors(fn)}
    return {t for t in out if isinstance(t, str)}


def read_roles(ctx: Context) -> None:
    """Each function's role: the actions it grants (`permissions`), whether a statement
    is a wildcard, and an edge to each declared resource of the kind a write action of
    the statement writes to (`advisor.importers.iam_policies`, the rules the
    CloudFormation importer applies)."""
    roles = _role_policies(ctx)
    functions = [fn for fn in ctx.arch.nodes_of_kind("lambda") if fn in ctx.res_of]
    role_of = {fn: _resolve_resources(ctx, ctx.res_of[fn].module,
                                      ctx.res_of[fn].block.get("role")) for fn in functions}
    # a role shared by several functions holds the permission each one's failure delivery
    # needs: that grant is the delivery's, so it draws no call edge from any of them
    role_failures: dict[str, set[str]] = {}
    for fn in functions:
        for role in role_of[fn]:
            role_failures.setdefault(role.address, set()).update(_failure_targets(ctx, fn))
    for fn in functions:
        res = ctx.res_of[fn]
        actions: set[str] = set()
        wildcard = False
        failure_targets = _failure_targets(ctx, fn).union(
            *(role_failures[role.address] for role in role_of[fn]))
        sources = set(ctx.arch.graph.predecessors(fn))
        polled = polled_sources(ctx.arch, fn)
        for role in role_of[fn]:
            # not only the role's owner (flag_wide_roles): every function acting with it
            mark_role_grants(ctx, fn, roles.get(role.address, []))
            for pmod, doc in roles.get(role.address, []):
                pmod = doc.get("_module", pmod)
                for stmt in statements(doc):
                    if stmt.get("Effect", "Allow") != "Allow":
                        continue
                    acts = [a for a in as_list(stmt.get("Action")) if isinstance(a, str)]
                    actions.update(acts)
                    resources = as_list(stmt.get("Resource"))
                    wildcard = wildcard or is_wildcard(acts, resources)
                    kinds = {write_kind(a) for a in acts} - {None}
                    for target in ctx.nodes(pmod, resources, None) if kinds else []:
                        if target == fn or ctx.arch.kind(target) not in kinds:
                            continue
                        if target in sources and ctx.arch.kind(target) != "apigw" and not (
                                target in polled and grants_write(acts, ctx.arch.kind(target))):
                            continue  # its own event source (the poll's), unless it writes
                            # back into a polled one (advisor/importers/write_back.py); a
                            # WebSocket API's @connections grant is a send to its clients
                        known = ctx.arch.graph.has_edge(fn, target)
                        if not known and target in failure_targets:
                            continue  # Lambda itself delivers there, not the code
                        answers = {a.lower() for a in acts} <= CALLBACK_ANSWERS
                        ctx.edge(fn, target, label=None if known
                                 else TASK_TOKEN if answers else "iam")
        if wildcard:
            ctx.set_props(fn, iam_wildcard=True)
        if actions:
            ctx.set_props(fn, permissions=sorted(actions))
    for machine in list(ctx.arch.nodes_of_kind("sfn")):  # state machines sharing a role too
        res = ctx.res_of.get(machine)
        if res is not None:
            for role in _resolve_resources(ctx, res.module, res.block.get("role_arn")):
                mark_role_grants(ctx, machine, roles.get(role.address, []))
