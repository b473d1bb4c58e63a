"""CloudFormation / SAM (YAML or JSON) -> Architecture.

Order of work:
  1. parse safely with line marks (template), expand `Fn::ForEach`
     (language_extensions), add the APIs SAM generates (sam), merge SAM Globals
     (sam_globals)
  2. one node per component resource, named after its logical ID; wiring resources
     (IAM, permissions, mappings, subscriptions, API methods, connectors, ...) are
     consumed and counted; unknown types become `resource` nodes with an info note
  3. wiring -> edges: APIs and their bodies, SAM events, stages, event source mappings,
     subscriptions, notifications, rules, schedules, pipes, Step Functions definitions,
     SAM and IAM policies, invoke configs, environment variables, connectors, resource
     policies, permissions, ...
  4. handler inspection (code), entry points (a `clients` node), notes, and
     `arch.aliases`: every folded resource / SAM-generated id -> its node (aliases)
  5. `resolve_modes()` fills every edge mode left to the catalog default

Public API: `import_template(path, text=None, data=None, *, parameters=None, links=None)
-> Architecture`; `parameters` replace parameter defaults (what a parent stack passes),
`links` name the `Fn::ImportValue`s another stack of a system provides (advisor.system).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from advisor.catalog import kind_for_cloudformation
from advisor.errors import AdvisorError, Diagnostic
from advisor.importers.cloudformation import (
    apigw,
    apigw_rest_only,
    apigw_stages,
    code,
    iam,
    sam,
    sam_connectors,
    sam_globals,
    sfn,
    wiring,
)
from advisor.importers.cloudformation.aliases import build_aliases
from advisor.importers.cloudformation.conditions import resolve_conditionals
from advisor.importers.cloudformation.context import (
    NAME_PROPS,
    PSEUDO_PREFIX,
    SAM_GENERATED_SUFFIXES,
    Ctx,
    data,
    sub_vars,
)
from advisor.importers.cloudformation.language_extensions import expand_for_each
from advisor.importers.cloudformation.local_paths import check_local_paths
from advisor.importers.cloudformation.props import props_for
from advisor.importers.cloudformation.template import LineDict, load_template
from advisor.importers.handlers.verdict import HandlerReport
from advisor.importers.write_back import env_names_call, polled_sources
from advisor.model import Architecture

NETWORK_TYPES = re.compile(
    r"^AWS::EC2::(VPC|Subnet|SecurityGroup\w*|RouteTable|Route|InternetGateway|"
    r"VPCGatewayAttachment|SubnetRouteTableAssociation|NatGateway|EIP|VPCEndpoint|"
    r"NetworkAcl\w*|VPCCidrBlock|EgressOnlyInternetGateway|SubnetNetworkAclAssociation)$"
    r"|^AWS::ElasticLoadBalancingV2::(TargetGroup|Listener|ListenerRule|ListenerCertificate)$"
)
DEFERRED_KINDS = {"AWS::Logs::LogGroup": "logs"}
ENTRY_KINDS = ("apigw", "appsync", "alb", "cloudfront")
API_TYPES = ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi", "AWS::Serverless::HttpApi",
             "AWS::ApiGatewayV2::Api", "AWS::Serverless::WebSocketApi")


def import_template(path: str, text: str | None = None, data_: Any = None, *,
                    parameters: dict[str, Any] | None = None,
                    links: dict[str, str] | None = None) -> Architecture:
    """Import one CloudFormation/SAM template; raises AdvisorError for unusable input."""
    if data_ is None:
        if text is None:
            from advisor.importers import MAX_BYTES
            from advisor.importers.reading import read_text

            text = read_text(path, MAX_BYTES)
        data_ = load_template(text, path)
    if not isinstance(data_, dict) or not isinstance(data_.get("Resources"), dict):
        raise AdvisorError([Diagnostic(path, 1, 1, "not a CloudFormation template: "
                                       "no `Resources` mapping",
                                       "a template needs a top-level Resources section")])
    loop_notes = expand_for_each(data_, path)
    ctx = Ctx(data_, path, text, links=links, parameters=parameters)
    ctx.notes.extend(loop_notes)
    sam.add_implicit_apis(ctx)
    sam_globals.merge_globals(ctx)
    _aliases(ctx)
    _nodes(ctx)
    _wire(ctx)
    check_local_paths(ctx)
    _env_write_backs(ctx, code.inspect_functions(ctx))
    _entry_points(ctx)
    _unresolved_refs(ctx)
    _summary_notes(ctx)
    arch = ctx.arch
    arch.aliases = build_aliases(ctx)
    iam.flag_wide_roles(ctx, arch.aliases)
    arch.name = _name(ctx)
    arch.notes = sorted(ctx.notes)
    arch.resolve_modes()
    return arch


# ---------------------------------------------------------------------- nodes
def _aliases(ctx: Ctx) -> None:
    """Versions and aliases stand for their function or state machine: whatever invokes
    an alias invokes it (an alias names a version, which names the state machine)."""
    for lid in ctx.of_type("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        for target in ctx.resource_refs(ctx.props_of(lid).get("FunctionName")):
            ctx.aliases[lid] = target
    for lid in ctx.of_type("AWS::StepFunctions::StateMachineVersion"):
        for target in ctx.resource_refs(ctx.props_of(lid).get("StateMachineArn")):
            ctx.aliases[lid] = target
    for lid in ctx.of_type("AWS::StepFunctions::StateMachineAlias"):
        p = ctx.props_of(lid)
        for target in ctx.resource_refs([p.get("DeploymentPreference"),
                                         p.get("RoutingConfiguration")]):
            ctx.aliases[lid] = target  # the version's state machine (refs resolve aliases)
            break


def _nodes(ctx: Ctx) -> None:
    wiring = set(data()["wiring_types"])
    for lid, res in ctx.resources.items():
        line, col = ctx.line_of(res, str(lid))
        if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
            ctx.info(f"resource {lid} has no Type; kept as a generic resource", line, col)
            ctx.add_resource_node(str(lid), "resource", {"type": "unknown"})
            continue
        rtype = res["Type"]
        if rtype in wiring or NETWORK_TYPES.match(rtype) or rtype == "AWS::Events::Archive":
            ctx.consumed[rtype] += 1
            continue
        if rtype in DEFERRED_KINDS:
            ctx.deferred.add(str(lid))
            ctx.deferred_kind[str(lid)] = DEFERRED_KINDS[rtype]
            continue
        kind = kind_for_cloudformation(rtype)
        props_in = ctx.props_of(str(lid))
        if kind is None:
            deployed = data()["sam_deployed_types"].get(rtype, rtype)
            ctx.add_resource_node(str(lid), "resource", {"type": deployed})
            what = "custom resource" if rtype.startswith("Custom::") or \
                rtype == "AWS::CloudFormation::CustomResource" else \
                "nested stack" if rtype in ("AWS::Serverless::Application",
                                            "AWS::CloudFormation::Stack") else "resource type"
            ctx.noted_resources.add(str(lid))
            if _misspelt(rtype):
                ctx.info(f"resource type {rtype} ({lid}) does not exist in CloudFormation: "
                         "the stack would not deploy; kept as a generic resource", line, col,
                         _type_hint(rtype), severity="warning")
                continue
            ctx.info(f"{what} {rtype} ({lid}) has no catalog kind; kept as a generic resource",
                     line, col)
            continue
        ctx.add_resource_node(str(lid), kind, props_for(ctx, str(lid), kind, props_in))


def _misspelt(rtype: str) -> bool:
    """An `AWS::`/`Alexa::` type CloudFormation does not have (custom resources, module
    types `Org::Service::Thing::MODULE` and third-party registry types are not judged)."""
    from advisor.importers.cloudformation.context import resource_types

    return rtype.startswith(("AWS::", "Alexa::")) and rtype not in resource_types()


def _type_hint(rtype: str) -> str:
    from advisor.errors import did_you_mean
    from advisor.importers.cloudformation.context import resource_types

    service = rtype.rsplit("::", 1)[0] + "::"
    same_service = [t for t in resource_types() if t.startswith(service)]
    best = did_you_mean(rtype, same_service or resource_types(), cutoff=0.75)
    return f"did you mean {best}?" if best else "check the type's spelling (AWS::Service::Resource)"


def _wire(ctx: Ctx) -> None:
    functions = ctx.of_type("AWS::Serverless::Function", "AWS::Lambda::Function")
    machines = ctx.of_type("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
    # APIs first: SAM Api events attach to them and read their Auth.
    for lid in ctx.of_type(*API_TYPES):
        apigw.api_props(ctx, lid, ctx.names[lid])
    apigw.wire_rest(ctx)
    apigw.wire_v2(ctx)
    for lid in functions + machines:
        sam.wire_events(ctx, lid)
    apigw.settle_auth(ctx)  # every route is read: the API's auth is the weakest route's
    apigw_stages.wire_stages(ctx)  # after every route's auth is known (usage plans)
    apigw_rest_only.read_rest_only(ctx)  # resource policy, API keys, custom domains
    wiring.wire_event_source_mappings(ctx)
    wiring.wire_sqs_redrive(ctx)
    wiring.wire_sns(ctx)
    wiring.wire_s3_notifications(ctx)
    wiring.wire_rules(ctx)
    wiring.wire_schedules(ctx)
    wiring.wire_pipes(ctx)
    wiring.wire_firehose(ctx)
    wiring.wire_dynamodb_kinesis(ctx)
    wiring.wire_autoscaling(ctx)
    wiring.wire_appsync(ctx)
    wiring.wire_alb(ctx)
    wiring.wire_cloudfront(ctx)
    wiring.wire_waf(ctx)
    wiring.wire_iot_rules(ctx)
    wiring.wire_log_subscriptions(ctx)
    wiring.wire_ssm_documents(ctx)
    statements = {}
    for lid in machines:
        sfn.wire_state_machine(ctx, lid)
        statements[lid] = sam.wire_policies(ctx, lid)
    for lid in functions:
        statements[lid] = sam.wire_policies(ctx, lid)
        sam.sam_function_extras(ctx, lid)
        wiring.wire_lambda_dlq(ctx, lid)
    wiring.wire_invoke_configs(ctx)
    # roles once every function's failure destinations are known (a role shared by
    # several holds each one's delivery permission: iam.role_sharers)
    for lid in machines:
        iam.wire_iam(ctx, lid, statements[lid])
    for lid in functions:
        iam.wire_function_iam(ctx, lid, statements[lid])
    wiring.wire_alias_settings(ctx)
    wiring.wire_function_urls(ctx)
    for lid in functions:
        _env_edges(ctx, lid)
    wiring.connect_default_bus(ctx)
    sam_connectors.wire_connectors(ctx)
    wiring.wire_resource_policies(ctx)
    wiring.wire_permissions(ctx)
    wiring.wire_log_groups(ctx)
    wiring.wire_encryption_keys(ctx)
    for lid in sorted(ctx.deferred):
        ctx.consumed[ctx.rtype(lid)] += 1


def _env_edges(ctx: Ctx, lid: str) -> None:
    """Environment variables naming a resource: the function talks to it (sync)."""
    node = ctx.names.get(lid)
    env = resolve_conditionals(ctx.props_of(lid).get("Environment"))  # both branches count
    variables = env.get("Variables") if isinstance(env, dict) else None
    if node is None or not isinstance(variables, dict):
        return
    sources = set(ctx.arch.graph.predecessors(node))
    polled = polled_sources(ctx.arch, node)
    for value in variables.values():
        targets = ctx.node_refs(value) or _by_shared_name(ctx, value)
        for target in targets:
            if target in polled:  # a write-back, once the handler is read (_env_write_backs)
                ctx.memo.setdefault("env write-backs", {}).setdefault(lid, set()).add(target)
            if target in sources or target == node or ctx.arch.kind(target) in ("logs", "kms"):
                continue
            ctx.edge(node, target, anchor=lid)


def _env_write_backs(ctx: Ctx, reports: dict[str, HandlerReport]) -> None:
    """Edges from functions to the polled sources their environment names, unless the
    handler, read, only acknowledges its input there (advisor/importers/write_back.py)."""
    for lid, targets in sorted(ctx.memo.get("env write-backs", {}).items()):
        node = ctx.names[lid]
        report = reports.get(node)
        for target in sorted(targets):
            kind = ctx.arch.kind(target)
            if report is None and iam.cannot_write(ctx, lid, kind):
                continue  # unread code, and no permission of its own to write there
            if env_names_call(report, kind) and not ctx.arch.graph.has_edge(node, target):
                ctx.edge(node, target, anchor=lid)


def _by_shared_name(ctx: Ctx, value: Any) -> list[str]:
    """The one resource whose physical name is the same parameter or literal as an
    environment variable (`STREAM: !Ref StreamName` beside `Name: !Ref StreamName`)."""
    found = {ctx.by_physical_name(value, kind) for kind in NAME_PROPS}
    found.discard(None)
    return sorted(found) if len(found) == 1 else []  # type: ignore[arg-type]


# ---------------------------------------------------------------------- entry points
def _entry_points(ctx: Ctx) -> None:
    """A `clients` node where the template takes traffic from outside: APIs, function
    URLs, public buckets, and topics no resource of the template publishes to (a topic
    CloudWatch alarms notify is fed by the alarms, not by clients: no steady traffic)."""
    g = ctx.arch.graph
    alarmed = _alarm_topics(ctx)
    targets: list[str] = []
    for name in sorted(g.nodes):
        kind = ctx.arch.kind(name)
        props = g.nodes[name]["props"]
        fronted = any(ctx.arch.kind(p) in ("cloudfront", "alb", "apigw")
                      for p in g.predecessors(name))
        if (
            (kind in ENTRY_KINDS and not fronted)
            or (kind == "lambda" and props.get("url"))
            or (kind == "s3" and props.get("public") and not fronted)
            or (kind == "sns" and g.in_degree(name) == 0 and name not in alarmed)
        ):
            targets.append(name)
    if not targets:
        return
    client = ctx.implicit_node("clients", "client", {})
    for t in targets:
        ctx.edge(client, t)


ALARM_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
ALARM_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def _alarm_topics(ctx: Ctx) -> set[str]:
    """Nodes that CloudWatch alarms' actions name (the topics they notify)."""
    out: set[str] = set()
    for lid in ctx.of_type(*ALARM_TYPES):
        props = ctx.props_of(lid)
        for key in ALARM_ACTIONS:
            out.update(ctx.node_refs(props.get(key)))
    return out


# ---------------------------------------------------------------------- notes
def _unresolved_refs(ctx: Ctx) -> None:
    """Every Ref/GetAtt/Sub name that is neither a resource, a parameter, a pseudo
    parameter nor something SAM generates: reported with its line, never guessed. A
    warning: CloudFormation refuses such a template ("Unresolved resource dependencies"),
    as it refuses a misspelt resource type."""
    known = set(ctx.resources) | set(ctx.parameters)
    stack: list[tuple[Any, tuple[int, int]]] = [(ctx.resources, (1, 1))]
    seen: set[str] = set()
    while stack:
        value, where = stack.pop()
        if isinstance(value, LineDict) and value.line:
            where = (value.line, value.col)
        names: list[str] = []
        if isinstance(value, dict):
            if len(value) == 1:
                key, inner = next(iter(value.items()))
                if key == "Ref" and isinstance(inner, str):
                    names.append(inner)
                elif key == "Fn::GetAtt":
                    if isinstance(inner, list) and inner and isinstance(inner[0], str):
                        names.append(inner[0])
                    elif isinstance(inner, str):
                        names.append(inner.split(".", 1)[0])
                elif key == "Fn::Sub":
                    text = inner if isinstance(inner, str) else inner[0] \
                        if isinstance(inner, list) and inner and isinstance(inner[0], str) else ""
                    local = set(inner[1]) if isinstance(inner, list) and len(inner) > 1 and \
                        isinstance(inner[1], dict) else set()
                    names.extend(v for v in sub_vars(text) if v not in local)
            for k, v in value.items():
                if k in ("DefinitionSubstitutions",):
                    continue
                stack.append((v, where))
        elif isinstance(value, list):
            stack.extend((v, where) for v in value)
        for name in names:
            base = name.split(".", 1)[0]
            if base in known or base.startswith(PSEUDO_PREFIX) or name in seen:
                continue
            if base.endswith(SAM_GENERATED_SUFFIXES) or base in (
                "ServerlessRestApi", "ServerlessHttpApi"
            ) or _sam_generated(ctx, base):
                continue
            seen.add(name)
            ctx.info(f"reference to {name!r} does not resolve to a resource or parameter of "
                     "this template: CloudFormation rejects it (unresolved resource "
                     "dependency), so the stack would not deploy; no edge drawn for it",
                     where[0], where[1], "declare the resource or parameter, or fix the name",
                     severity="warning")


def _sam_generated(ctx: Ctx, name: str) -> bool:
    """`<Function><Event>`, `<Api>Stage` and similar names SAM generates."""
    serverless = ctx.of_type(*ctx.serverless_types())
    if len(serverless) < 8:
        return any(name.startswith(lid) and name != lid for lid in serverless)
    ids = set(serverless)  # a proper prefix of `name` that is one: len(name) look-ups
    return any(name[:k] in ids for k in range(1, len(name)))


def _summary_notes(ctx: Ctx) -> None:
    if ctx.consumed:
        total = sum(ctx.consumed.values())
        detail = ", ".join(f"{t} x{n}" for t, n in sorted(ctx.consumed.items()))
        ctx.info(f"{total} wiring resource(s) turned into edges and props, not nodes: {detail}")
    unknown = Counter(  # those noted one by one are not counted again here
        data["props"].get("type") for n, data in ctx.arch.graph.nodes(data=True)
        if data["kind"] == "resource" and data["props"].get("type")
        and str(data.get("source_id") or n) not in ctx.noted_resources
    )
    if unknown:
        detail = ", ".join(f"{t} x{n}" for t, n in sorted(unknown.items()))
        ctx.info(f"{sum(unknown.values())} resource(s) of types without a catalog kind kept "
                 f"as `resource` nodes: {detail}")


def _name(ctx: Ctx) -> str:
    desc = ctx.template.get("Description")
    if isinstance(desc, str) and desc.strip():
        # drop tracking tags such as "(uksb-xxxx)" or "(tag:name)", keep the sentence
        first = re.sub(r"\((?:uksb-|tag:|qs-|SO\d)[^)]*\)", "", desc.strip().splitlines()[0])
        first = " ".join(first.split())
        if len(first) > 80:
            first = first[:80].rsplit(" ", 1)[0]
        if first.strip(" .-"):
            return first.rstrip(" .-")
    stem = Path(ctx.path).stem if not ctx.path.startswith("<") else "template"
    parent = Path(ctx.path).parent.name
    return f"{parent}/{stem}" if parent and stem in ("template", "main") else stem
