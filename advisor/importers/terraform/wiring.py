"""Edges from Terraform wiring: event sources, subscriptions, targets, integrations, IAM.

`read_wiring(ctx, res)` handles one wiring/support resource (counted as consumed by the
caller); `finish(ctx)` adds the edges a component's own arguments imply (environment
variables, redrive policies, Firehose sources and destinations, pipes, state machine
definitions, OpenAPI bodies, schedules) and the cross-resource props (IAM wildcards on
the functions that assume a role, log retention, function code inspection).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from advisor.importers.terraform.hcl import Block, Expr, Ref, iter_refs
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import as_json, flag, num, sse_algorithm
from advisor.importers.terraform.sfn import read_definition

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context

_APIGW_URI_RE = re.compile(r"arn:aws:apigateway:[^:]*:([a-z0-9.-]+):(path|action)/([^\s\"]*)")
_AUTH_RANK = {"none": 0, "api_key": 1, "iam": 2, "lambda": 2, "cognito": 2, "jwt": 2}


def _services() -> dict[str, str]:
    from advisor.importers.terraform.importer import mapping

    return dict(mapping()["services"])


def read_wiring(ctx: Context, res: Resource) -> None:
    handler = _WIRING.get(res.type)
    if handler is not None:
        handler(ctx, res, res.block, res.module)


# ----------------------------------------------------------------- Lambda wiring
def _esm(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    sources = ctx.nodes(mod, b.get("event_source_arn"), b, "event_source_arn")
    functions = ctx.nodes(mod, b.get("function_name"), b, "function_name")
    if not sources:
        for sub in ("self_managed_event_source", "amazon_managed_kafka_event_source_config"):
            if b.first(sub) is not None:
                ctx.note(
                    b,
                    f"event source of {res.address} is outside AWS-managed "
                    "queues/streams; not modelled",
                )
    on_failure = None
    dc = b.first("destination_config")
    if dc is not None and dc.first("on_failure") is not None:
        dest = ctx.nodes(
            mod, dc.first("on_failure").get("destination_arn"), b, "destination_config"
        )
        on_failure = dest[0] if dest else None
        if on_failure:
            _mark_dlq(ctx, on_failure)
    window = num(b.get("maximum_batching_window_in_seconds"))
    max_age = num(b.get("maximum_record_age_in_seconds"))
    for src in sources:
        for fn in functions:
            ctx.edge(
                src,
                fn,
                block=b,
                batch=num(b.get("batch_size")),
                bisect=flag(b.get("bisect_batch_on_function_error")),
                retries=num(b.get("maximum_retry_attempts")),
                on_failure=on_failure,
                window=int(window * 1000) if window else None,
                max_age=int(max_age * 1000) if max_age and max_age > 0 else None,
                label="filtered" if b.first("filter_criteria") is not None else None,
            )


def _permission(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    """`aws_lambda_permission` with a source ARN: the named service invokes the function."""
    functions = ctx.nodes(mod, b.get("function_name"), b, "function_name")
    source = b.get("source_arn")
    if source is None:
        return
    for src in ctx.nodes(mod, source, b, "source_arn"):
        for fn in functions:
            if not ctx.arch.graph.has_edge(src, fn) and ctx.arch.kind(src) in (
                "apigw",
                "s3",
                "sns",
                "eventbridge",
                "scheduler",
                "sqs",
                "cognito",
                "logs",
                "iot",
                "resource",
                "alb",
            ):
                ctx.edge(src, fn, block=b)


def _invoke_config(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    functions = ctx.nodes(mod, b.get("function_name"), b, "function_name")
    dc = b.first("destination_config")
    for fn in functions:
        if dc is None:
            continue
        for which in ("on_failure", "on_success"):
            sub = dc.first(which)
            if sub is None:
                continue
            dest = ctx.nodes(mod, sub.get("destination"), b, "destination_config")
            if not dest:
                continue
            ctx.set_props(fn, **{which: dest[0]})
            if which == "on_failure":
                _mark_dlq(ctx, dest[0])
            else:
                ctx.edge(
                    fn, dest[0], block=b, mode="async", label="on success", integration="native"
                )


def _function_url(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    auth = b.get("authorization_type")
    for fn in ctx.nodes(mod, b.get("function_name"), b, "function_name"):
        ctx.set_props(
            fn,
            url=True,
            url_auth="none" if auth == "NONE" else ("iam" if auth == "AWS_IAM" else None),
        )


# ----------------------------------------------------------------- SNS / S3 / EventBridge
def _subscription(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    topics = ctx.nodes(mod, b.get("topic_arn"), b, "topic_arn")
    protocol = str(b.get("protocol", ""))
    endpoint = b.get("endpoint")
    targets = ctx.nodes(mod, endpoint, b, "endpoint")
    if not targets and protocol in ("http", "https") and isinstance(endpoint, str):
        targets = [_http_node(ctx, res, endpoint)]
    if not targets:
        if protocol in ("email", "email-json", "sms"):
            ctx.note(b, f"{protocol} subscription of {res.address}: delivered outside AWS, no edge")
        return
    dlq = None
    redrive = as_json(b.get("redrive_policy"))
    redrive_val = redrive if isinstance(redrive, dict) else b.get("redrive_policy")
    if isinstance(redrive_val, dict):
        found = ctx.nodes(mod, redrive_val.get("deadLetterTargetArn"), b, "redrive_policy")
        dlq = found[0] if found else None
    elif redrive_val is not None:
        found = ctx.nodes(mod, redrive_val, b, "redrive_policy")
        dlq = found[0] if found else None
    if dlq:
        _mark_dlq(ctx, dlq)
    has_filter = b.get("filter_policy") is not None
    for topic in topics:
        for target in targets:
            ctx.edge(
                topic,
                target,
                block=b,
                label="filter policy" if has_filter else None,
                dlq=dlq,
            )


def _http_node(ctx: Context, res: Resource, url: str) -> str:
    from advisor.importers.terraform.importer import _ident

    name = _ident(f"{res.name}_endpoint")
    i = 2
    while name in ctx.arch.graph and ctx.arch.props(name).get("url") != url:
        name, i = f"{_ident(res.name)}_endpoint_{i}", i + 1
    ctx.arch.add_node(
        name,
        "http",
        {"url": url} if "${" not in url else {},
        loc=ctx.loc(res.block),
        source_id=res.address + ".endpoint",
    )
    return name


def _bucket_notification(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    buckets = ctx.nodes(mod, b.get("bucket"), b, "bucket")
    for kind_block, attr in (
        ("queue", "queue_arn"),
        ("topic", "topic_arn"),
        ("lambda_function", "lambda_function_arn"),
    ):
        for sub in b.sub(kind_block):
            for target in ctx.nodes(mod, sub.get(attr), b, kind_block):
                for bucket in buckets:
                    ctx.edge(bucket, target, block=b, label=_events_label(sub.get("events")))
    if flag(b.get("eventbridge")):
        rules = [
            n
            for n in ctx.arch.nodes_of_kind("eventbridge")
            if "aws.s3" in str(ctx.arch.props(n).get("pattern", ""))
        ]
        if not rules:
            rules = [_default_bus(ctx, b)]
        for bucket in buckets:
            for rule in rules:
                ctx.edge(bucket, rule, block=b, label="EventBridge notifications")


def _events_label(events: Any) -> str | None:
    if isinstance(events, list) and events and all(isinstance(e, str) for e in events):
        return ", ".join(sorted(events))
    return None


def _default_bus(ctx: Context, b: Block) -> str:
    name = "default_bus"
    if name not in ctx.arch.graph:
        ctx.arch.add_node(name, "eventbridge", {}, loc=ctx.loc(b), source_id="default event bus")
    return name


def _event_target(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    rules = ctx.nodes(mod, b.get("rule"), b, "rule")
    targets = ctx.nodes(mod, b.get("arn"), b, "arn")
    dlq = _target_dlq(ctx, b, b, mod)
    rp = b.first("retry_policy")
    retries = num(rp.get("maximum_retry_attempts")) if rp is not None else None
    max_age = num(rp.get("maximum_event_age_in_seconds")) if rp is not None else None
    transform = True if b.first("input_transformer") is not None else None
    for rule in rules:
        for target in targets:
            ctx.edge(
                rule,
                target,
                block=b,
                dlq=dlq,
                retries=retries,
                max_age=int(max_age * 1000) if max_age else None,
                transform=transform,
            )


# ----------------------------------------------------------------- API Gateway (REST)
def _rest_integration(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    apis = ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id")
    itype = str(b.get("type", "")).upper()
    targets, props = _integration_targets(
        ctx, res, mod, itype, b.get("uri"), b.get("request_templates"), b
    )
    for api in apis:
        for target in targets:
            ctx.edge(api, target, block=b, **props)


def _integration_targets(
    ctx: Context, res: Resource, mod: Module, itype: str, uri: Any, templates: Any, b: Block
) -> tuple[list[str], dict[str, Any]]:
    """Targets and edge props of one API Gateway integration (REST, v2 or OpenAPI)."""
    if itype == "MOCK":
        return [], {}
    if itype in ("HTTP", "HTTP_PROXY"):
        nodes = ctx.nodes(mod, uri, b, "uri")
        if nodes:
            return nodes, {"integration": "proxy"}
        if isinstance(uri, str) and uri:
            return [_http_node(ctx, res, uri)], {"integration": "proxy"}
        return [], {}
    if itype == "AWS_PROXY":
        return ctx.nodes(mod, uri, b, "uri"), {"integration": "proxy"}
    uri_text = str(uri) if uri is not None else ""
    m = _APIGW_URI_RE.search(uri_text)
    if not m:
        return ctx.nodes(mod, uri, b, "uri"), {"integration": "service"}
    service, style, rest = m.group(1), m.group(2), m.group(3)
    kind = _services().get(service)
    action = rest.split("/")[0] if style == "action" else None
    if style == "action" and "Action=" in rest:
        action = rest.split("Action=")[1].split("&")[0]
    if action is None and isinstance(templates, dict):
        for tmpl in templates.values():
            found = re.search(r"Action=([A-Za-z]+)", str(tmpl))
            if found:
                action = found.group(1)
    props = {
        "integration": "service",
        "action": f"{service}:{action}" if action else None,
        "transform": True if templates else None,
    }
    if kind is None:
        return [], props
    if kind == "lambda":
        return ctx.nodes(mod, uri, b, "uri"), {
            "integration": "proxy" if itype == "AWS_PROXY" else "service"
        }
    targets = [n for n in ctx.nodes(mod, uri, None) if ctx.arch.kind(n) == kind]
    if not targets and templates is not None:
        targets = [n for n in ctx.nodes(mod, templates, None) if ctx.arch.kind(n) == kind]
    if not targets:
        words = re.findall(r"[\w.-]+", rest + " " + json.dumps(_plain_strings(templates)))
        targets = [n for word in words for n in ctx.by_literal(word) if ctx.arch.kind(n) == kind]
    if not targets and kind == "eventbridge":
        targets = [_default_bus(ctx, b)]
    if not targets:
        targets = ctx.only_of(kind)
        if targets:
            ctx.note(
                b,
                f"{service} integration target not named; "
                f"taken as the only {kind} here ({targets[0]})",
            )
        else:
            ctx.note(b, f"{service} integration target could not be resolved")
    return sorted(set(targets)), props


def _plain_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_strings(v) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _rest_method(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    if str(b.get("http_method", "")).upper() == "OPTIONS":
        return
    auth = {
        "NONE": "none",
        "CUSTOM": "lambda",
        "COGNITO_USER_POOLS": "cognito",
        "AWS_IAM": "iam",
    }.get(str(b.get("authorization", "NONE")).upper(), "none")
    if auth == "none" and flag(b.get("api_key_required")):
        auth = "api_key"
    for api in ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id"):
        _record_auth(ctx, api, auth)
        if b.get("request_validator_id") is not None:
            ctx.set_props(api, validation=True)


def _record_auth(ctx: Context, api: str, auth: str) -> None:
    """An API's auth is its weakest method's: one open route makes the API open."""
    seen = ctx.arch.graph.nodes[api].setdefault("_auths", set())
    seen.add(auth)


def _rest_authorizer(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    atype = str(b.get("type", "TOKEN")).upper()
    _authorizer(ctx, b, mod, "rest_api_id", "cognito" if atype == "COGNITO_USER_POOLS" else "lambda")


def _authorizer(ctx: Context, b: Block, mod: Module, api_key: str, auth: str) -> None:
    """An authorizer block of either API flavour: the API's auth, and an edge to the
    Lambda authorizer function when there is one."""
    for api in ctx.nodes(mod, b.get(api_key), b, api_key):
        ctx.arch.graph.nodes[api].setdefault("_authorizers", set()).add(auth)
        for fn in ctx.nodes(mod, b.get("authorizer_uri"), b, "authorizer_uri"):
            ctx.edge(api, fn, block=b, label="authorizer")


def _rest_validator(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    if flag(b.get("validate_request_body")) or flag(b.get("validate_request_parameters")):
        for api in ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id"):
            ctx.set_props(api, validation=True)


def _rest_method_settings(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    settings = b.first("settings")
    if settings is None:
        return
    apis = ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id")
    if (
        num(settings.get("throttling_burst_limit")) is not None
        or num(settings.get("throttling_rate_limit")) is not None
    ):
        for api in apis:
            ctx.set_props(api, throttling=True)
    if flag(settings.get("caching_enabled")):
        for api in apis:
            ctx.set_props(api, caching=True)


def _rest_stage(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    key = "rest_api_id" if res.type == "aws_api_gateway_stage" else "api_id"
    apis = ctx.nodes(mod, b.get(key), b, key)
    for api in apis:
        if b.first("access_log_settings") is not None:
            ctx.set_props(api, access_logging=True)
        if flag(b.get("xray_tracing_enabled")):
            ctx.set_props(api, tracing=True)
        if flag(b.get("cache_cluster_enabled")):
            ctx.set_props(api, caching=True)
        drs = b.first("default_route_settings")
        if drs is not None and (
            num(drs.get("throttling_burst_limit")) is not None
            or num(drs.get("throttling_rate_limit")) is not None
        ):
            ctx.set_props(api, throttling=True)


def _usage_plan(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    if b.first("throttle_settings") is None:
        return
    for stage in b.sub("api_stages"):
        for api in ctx.nodes(mod, stage.get("api_id"), b, "api_stages"):
            ctx.set_props(api, throttling=True)


def _waf_association(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for node in ctx.nodes(mod, b.get("resource_arn"), b, "resource_arn"):
        if ctx.arch.kind(node) == "apigw":
            ctx.set_props(node, waf=True)


# ----------------------------------------------------------------- API Gateway v2
def _v2_integration(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    from advisor.importers.terraform.importer import mapping

    apis = ctx.nodes(mod, b.get("api_id"), b, "api_id")
    itype = str(b.get("integration_type", "")).upper()
    subtype = b.get("integration_subtype")
    if isinstance(subtype, str) and subtype in mapping()["apigwv2_subtypes"]:
        spec = mapping()["apigwv2_subtypes"][subtype]
        params = b.get("request_parameters") or {}
        targets: list[str] = []
        if isinstance(params, dict):
            for key in spec["params"]:
                targets += [
                    n
                    for n in ctx.nodes(mod, params.get(key), b, "request_parameters")
                    if ctx.arch.kind(n) == spec["kind"]
                ]
        if not targets and spec["kind"] == "eventbridge":
            targets = [_default_bus(ctx, b)]
        if not targets:
            targets = ctx.only_of(spec["kind"])
            if targets:
                ctx.note(
                    b,
                    f"{subtype} target not named; "
                    f"taken as the only {spec['kind']} here ({targets[0]})",
                )
        props: dict[str, Any] = {"integration": "service", "action": subtype}
    else:
        targets, props = _integration_targets(
            ctx, res, mod, itype, b.get("integration_uri"), b.get("request_templates"), b
        )
    for api in apis:
        for target in targets:
            ctx.edge(api, target, block=b, **props)


def _v2_route(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    auth = {"NONE": "none", "JWT": "jwt", "AWS_IAM": "iam", "CUSTOM": "lambda"}.get(
        str(b.get("authorization_type", "NONE")).upper(), "none"
    )
    if auth == "none" and flag(b.get("api_key_required")):
        auth = "api_key"
    for api in ctx.nodes(mod, b.get("api_id"), b, "api_id"):
        _record_auth(ctx, api, auth)
        if b.get("request_models") is not None or b.get("model_selection_expression") is not None:
            ctx.set_props(api, validation=True)


def _v2_authorizer(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    atype = str(b.get("authorizer_type", "REQUEST")).upper()
    _authorizer(ctx, b, mod, "api_id", "jwt" if atype == "JWT" else "lambda")


# ----------------------------------------------------------------- S3 / SQS side resources
def _bucket_encryption(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    algo = sse_algorithm(b)
    for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
        if algo:
            ctx.set_props(bucket, encryption=algo)


def _bucket_public_block(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    keys = (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )
    if any(flag(b.get(k)) is False for k in keys):
        for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
            ctx.arch.graph.nodes[bucket]["_public_block_off"] = True


def _bucket_policy(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    doc = as_json(b.get("policy"))
    if doc is None:
        doc = _policy_document(ctx, mod, b.get("policy"))
    for stmt in _statements(doc):
        principal = stmt.get("Principal")
        if (
            stmt.get("Effect", "Allow") == "Allow"
            and (principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"))
            and not stmt.get("Condition")
        ):
            for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
                ctx.arch.graph.nodes[bucket]["_public_policy"] = True


def _bucket_versioning(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    conf = b.first("versioning_configuration")
    if conf is not None and isinstance(conf.get("status"), str):
        for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
            ctx.set_props(bucket, versioning=conf.get("status") == "Enabled")


def _bucket_website(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
        ctx.arch.graph.nodes[bucket]["_website"] = True


def _queue_redrive(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for queue in ctx.nodes(mod, b.get("queue_url"), b, "queue_url"):
        _apply_redrive(ctx, queue, b.get("redrive_policy"), b, mod)


def _apply_redrive(ctx: Context, queue: str, policy: Any, b: Block, mod: Module) -> None:
    if policy is None:
        return
    doc = as_json(policy)
    target_value: Any = policy
    receives = None
    if isinstance(doc, dict):
        target_value = doc.get("deadLetterTargetArn")
        receives = num(doc.get("maxReceiveCount"))
    elif isinstance(policy, Expr):
        found = re.search(r"maxReceiveCount\"?\s*[:=]\s*\"?(\d+)", policy.text)
        receives = int(found.group(1)) if found else None
    dlqs = [n for n in ctx.nodes(mod, target_value, b, "redrive_policy") if n != queue]
    if dlqs:
        ctx.set_props(queue, dlq=dlqs[0], max_receives=receives)
        _mark_dlq(ctx, dlqs[0])


def _target_dlq(ctx: Context, holder: Block, b: Block, mod: Module) -> str | None:
    """The queue a rule or schedule target's `dead_letter_config` names (marked as a
    DLQ), or None."""
    dc = holder.first("dead_letter_config")
    if dc is None:
        return None
    found = ctx.nodes(mod, dc.get("arn"), b, "dead_letter_config")
    if found:
        _mark_dlq(ctx, found[0])
    return found[0] if found else None


def _mark_dlq(ctx: Context, node: str) -> None:
    if ctx.arch.kind(node) == "sqs":
        ctx.set_props(node, is_dlq=True)


# ----------------------------------------------------------------- IAM
def _statements(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    stmts = doc.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    return [s for s in stmts if isinstance(s, dict)] if isinstance(stmts, list) else []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _policy_document(ctx: Context, mod: Module, value: Any) -> dict[str, Any] | None:
    """A policy given as JSON text/object or as `data.aws_iam_policy_document.x.json`."""
    doc = as_json(value)
    if isinstance(doc, dict):
        return doc
    for ref in iter_refs(value):
        parts = ref.path.split(".")
        if parts[0] == "data" and len(parts) >= 3 and parts[1] == "aws_iam_policy_document":
            data = mod.data.get((parts[1], parts[2]))
            if data is None:
                continue
            stmts = []
            for st in data.block.sub("statement"):
                stmts.append(
                    {
                        "Effect": st.get("effect", "Allow"),
                        "Action": st.get("actions", []),
                        "Resource": st.get("resources", []),
                        "Principal": {
                            p.get("type"): p.get("identifiers") for p in st.sub("principals")
                        },
                    }
                )
            return {"Statement": stmts, "_module": mod}
    return None


def _role_policies(ctx: Context) -> dict[str, list[tuple[Module, dict[str, Any]]]]:
    """Role address -> policy documents attached to it (inline, role_policy, attachments)."""
    out: dict[str, list[tuple[Module, dict[str, Any]]]] = {}
    policies: dict[str, tuple[Module, Any]] = {}
    for res in ctx.ws.resources():
        if res.type == "aws_iam_policy":
            policies[res.address] = (res.module, res.block.get("policy"))
    for res in ctx.ws.resources():
        b, mod = res.block, res.module
        if res.type == "aws_iam_role":
            for inline in b.sub("inline_policy"):
                doc = _policy_document(ctx, mod, inline.get("policy"))
                if doc:
                    out.setdefault(res.address, []).append((mod, doc))
            for arn in _as_list(b.get("managed_policy_arns")):
                if isinstance(arn, str) and (
                    arn.endswith("FullAccess") or arn.endswith("AdministratorAccess")
                ):
                    out.setdefault(res.address, []).append(
                        (
                            mod,
                            {"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]},
                        )
                    )
        elif res.type in (
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_iam_policy_attachment",
        ):
            roles = _as_list(b.get("role")) + _as_list(b.get("roles"))
            docs: list[tuple[Module, Any]] = []
            if res.type == "aws_iam_role_policy":
                docs.append((mod, b.get("policy")))
            else:
                arn = b.get("policy_arn")
                for ref in iter_refs(arn):
                    from advisor.importers.terraform.module import resolve_ref

                    for pres, _attr in resolve_ref(ctx.ws, mod, ref.path):
                        if pres.address in policies:
                            docs.append(policies[pres.address])
                if isinstance(arn, str) and (
                    arn.endswith("FullAccess") or arn.endswith("AdministratorAccess")
                ):
                    docs.append(
                        (
                            mod,
                            {"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]},
                        )
                    )
            for role_value in roles:
                for role_res in _resolve_resources(ctx, mod, role_value):
                    for dmod, d in docs:
                        doc = _policy_document(ctx, dmod, d)
                        if doc:
                            out.setdefault(role_res.address, []).append((dmod, doc))
    return out


def _resolve_resources(ctx: Context, mod: Module, value: Any) -> list[Resource]:
    from advisor.importers.terraform.module import resolve_value

    found = [r for r, _a in resolve_value(ctx.ws, mod, value)]
    if not found and isinstance(value, str):
        for res in ctx.ws.resources():
            if res.type == "aws_iam_role" and res.block.get("name") == value:
                found.append(res)
    return found


def _iam(ctx: Context) -> None:
    from advisor.importers.terraform.importer import mapping

    write = {a.lower() for a in mapping()["write_actions"]}
    roles = _role_policies(ctx)
    for fn in list(ctx.arch.nodes_of_kind("lambda")):
        res = ctx.res_of.get(fn)
        if res is None:
            continue
        actions: set[str] = set()
        wildcard = False
        for role in _resolve_resources(ctx, res.module, res.block.get("role")):
            for pmod, doc in roles.get(role.address, []):
                pmod = doc.get("_module", pmod)
                for stmt in _statements(doc):
                    if stmt.get("Effect", "Allow") != "Allow":
                        continue
                    acts = [a for a in _as_list(stmt.get("Action")) if isinstance(a, str)]
                    actions.update(acts)
                    resources = _as_list(stmt.get("Resource"))
                    if any(a == "*" or a.endswith(":*") for a in acts) or "*" in resources:
                        wildcard = (
                            wildcard
                            or any(a == "*" or a.endswith(":*") for a in acts)
                            or ("*" in resources and any(a.lower() in write for a in acts))
                        )
                    if any(a.lower() in write or a.endswith(":*") for a in acts):
                        for target in ctx.nodes(pmod, resources, None):
                            if target != fn and ctx.arch.kind(target) not in ("logs", "kms"):
                                known = ctx.arch.graph.has_edge(fn, target)
                                ctx.edge(fn, target, label=None if known else "iam")
        if wildcard:
            ctx.set_props(fn, iam_wildcard=True)
        if actions:
            ctx.set_props(fn, permissions=sorted(actions))


# ----------------------------------------------------------------- component-implied edges
def finish(ctx: Context) -> None:
    for name in ctx.arch.node_names():
        res = ctx.res_of.get(name)
        if res is None:
            continue
        kind = ctx.arch.kind(name)
        reader = _IMPLIED.get(kind)
        if reader is not None:
            reader(ctx, name, res, res.block, res.module)
    _iam(ctx)
    _log_retention(ctx)
    _finish_apis(ctx)
    _finish_buckets(ctx)
    from advisor.importers.terraform.code import inspect_function

    for fn in list(ctx.arch.nodes_of_kind("lambda")):  # last: glue needs the callers known
        if fn in ctx.res_of:
            inspect_function(ctx, fn, ctx.res_of[fn])


def _lambda_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    from advisor.importers.terraform.importer import mapping

    env = b.first("environment")
    variables = env.get("variables") if env is not None else b.get("environment_variables")
    if isinstance(variables, dict):
        secrets = []
        for key in sorted(variables):
            value = variables[key]
            for target in ctx.nodes(mod, value, b, "environment"):
                if target != name:
                    ctx.edge(name, target, block=b, label=f"env {key}")
            if (
                isinstance(value, str)
                and value
                and "${" not in value
                and re.search(mapping()["secret_env_pattern"], key)
            ):
                secrets.append(key)
        if secrets:
            ctx.set_props(name, env_secrets=secrets)
    dlc = b.first("dead_letter_config")
    if dlc is not None:
        found = ctx.nodes(mod, dlc.get("target_arn"), b, "dead_letter_config")
        if found:
            ctx.set_props(name, dlq=found[0])
            _mark_dlq(ctx, found[0])
    if res.registry:
        _registry_lambda(ctx, name, res, b, mod)


def _registry_lambda(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    """terraform-aws-modules/lambda: `event_source_mapping` and `allowed_triggers` maps."""
    esm = b.get("event_source_mapping")
    if isinstance(esm, dict):
        for conf in esm.values():
            if not isinstance(conf, dict):
                continue
            for src in ctx.nodes(mod, conf.get("event_source_arn"), b, "event_source_mapping"):
                ctx.edge(
                    src,
                    name,
                    block=b,
                    batch=num(conf.get("batch_size")),
                    bisect=flag(conf.get("bisect_batch_on_function_error")),
                    retries=num(conf.get("maximum_retry_attempts")),
                )
    triggers = b.get("allowed_triggers")
    if isinstance(triggers, dict):
        for conf in triggers.values():
            if isinstance(conf, dict):
                for src in ctx.nodes(mod, conf.get("source_arn"), b, "allowed_triggers"):
                    if not ctx.arch.graph.has_edge(src, name):
                        ctx.edge(src, name, block=b)
    dlq = b.get("dead_letter_target_arn")
    if dlq is not None:
        found = ctx.nodes(mod, dlq, b, "dead_letter_target_arn")
        if found:
            ctx.set_props(name, dlq=found[0])


def _sqs_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    _apply_redrive(ctx, name, b.get("redrive_policy"), b, mod)
    if res.registry and flag(b.get("create_dlq")):
        ctx.set_props(name, max_receives=None)
        ctx.note(
            b, f"registry SQS module {res.address} creates a DLQ (not modelled as its own node)"
        )


def _firehose_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    src = b.first("kinesis_source_configuration")
    if src is not None:
        for stream in ctx.nodes(
            mod, src.get("kinesis_stream_arn"), b, "kinesis_source_configuration"
        ):
            ctx.edge(stream, name, block=b)
    msk = b.first("msk_source_configuration")
    if msk is not None:
        for cluster in ctx.nodes(mod, msk.get("msk_cluster_arn"), b, "msk_source_configuration"):
            ctx.edge(cluster, name, block=b)
    dests = {
        "extended_s3_configuration": "bucket_arn",
        "s3_configuration": "bucket_arn",
        "opensearch_configuration": "domain_arn",
        "elasticsearch_configuration": "domain_arn",
        "opensearchserverless_configuration": "collection_endpoint",
        "redshift_configuration": "cluster_jdbcurl",
        "http_endpoint_configuration": "url",
        "splunk_configuration": "hec_endpoint",
    }
    primary: list[str] = []
    for block_name, attr in dests.items():
        conf = b.first(block_name)
        if conf is None:
            continue
        targets = ctx.nodes(mod, conf.get(attr), b, block_name)
        if not targets and block_name in ("http_endpoint_configuration", "splunk_configuration"):
            url = conf.get(attr)
            if isinstance(url, str):
                targets = [_http_node(ctx, res, url)]
        for target in targets:
            label = "backup" if primary and block_name == "s3_configuration" else None
            ctx.edge(name, target, block=b, label=label)
        primary += targets
        for proc in conf.sub("processing_configuration"):
            for p in proc.sub("processors"):
                for param in p.sub("parameters"):
                    if param.get("parameter_name") == "LambdaArn":
                        for fn in ctx.nodes(
                            mod, param.get("parameter_value"), b, "processing_configuration"
                        ):
                            ctx.edge(name, fn, block=b, label="record transformation", mode="sync")


def _pipes_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    for src in ctx.nodes(mod, b.get("source"), b, "source"):
        batch = None
        sp = b.first("source_parameters")
        if sp is not None:
            for sub in sp.blocks:
                batch = batch or num(sub.get("batch_size"))
        ctx.edge(
            src,
            name,
            block=b,
            batch=batch,
            label="filtered"
            if sp is not None and sp.first("filter_criteria") is not None
            else None,
        )
    enrichment = ctx.nodes(mod, b.get("enrichment"), b, "enrichment")
    for e in enrichment:
        ctx.edge(name, e, block=b, label="enrichment", mode="sync")
        ctx.set_props(name, enrichment=e)
    invocation = None
    tp = b.first("target_parameters")
    if tp is not None:
        for sub in tp.blocks:
            inv = sub.get("invocation_type")
            if isinstance(inv, str):
                invocation = "async" if inv == "FIRE_AND_FORGET" else "sync"
    for target in ctx.nodes(mod, b.get("target"), b, "target"):
        ctx.edge(name, target, block=b, invocation=invocation)


def _scheduler_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    for target_block in b.sub("target"):
        arn = target_block.get("arn")
        targets = [n for n in ctx.nodes(mod, arn, b, "target") if n != name]
        action = None
        if isinstance(arn, str):
            m = re.match(r"arn:aws:scheduler:::aws-sdk:([a-z0-9-]+):(\w+)", arn)
            if m:
                action = f"{m.group(1)}:{m.group(2)}"
                kind = _services().get(m.group(1))
                targets = [
                    n
                    for n in ctx.nodes(mod, target_block.get("input"), b, "target")
                    if ctx.arch.kind(n) == kind
                ]
                if not targets and kind:
                    targets = ctx.only_of(kind)
                    if targets:
                        ctx.note(
                            b, f"universal target {action}: target taken as the only {kind} here"
                        )
        dlq = _target_dlq(ctx, target_block, b, mod)
        rp = target_block.first("retry_policy")
        for target in targets:
            ctx.edge(
                name,
                target,
                block=b,
                action=action,
                dlq=dlq,
                integration="sdk" if action else None,
                retries=num(rp.get("maximum_retry_attempts")) if rp is not None else None,
            )


def _rule_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    if res.type != "aws_cloudwatch_event_rule":
        return
    for bus in ctx.nodes(mod, b.get("event_bus_name"), b, "event_bus_name"):
        if bus != name:
            ctx.edge(bus, name, block=b)


def _sfn_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    read_definition(ctx, name, res, b.get("definition"), b, mod)


def _apigw_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    """An OpenAPI `body` on the API: integrations, authorizers, validators."""
    body = as_json(b.get("body"))
    if not isinstance(body, dict):
        if b.get("target") is not None:  # HTTP API quick create
            for target in ctx.nodes(mod, b.get("target"), b, "target"):
                ctx.edge(name, target, block=b, integration="proxy")
        return
    paths = body.get("paths") if isinstance(body.get("paths"), dict) else {}
    for path_key in sorted(paths):
        item = paths[path_key]
        if not isinstance(item, dict):
            continue
        for method in sorted(item):
            op = item[method]
            if not isinstance(op, dict):
                continue
            integ = op.get("x-amazon-apigateway-integration")
            if isinstance(integ, dict):
                itype = str(integ.get("type", "")).upper()
                subtype = integ.get("integrationSubtype")
                if isinstance(subtype, str):
                    targets = ctx.nodes(mod, integ.get("requestParameters"), b, "body")
                    props: dict[str, Any] = {"integration": "service", "action": subtype}
                else:
                    targets, props = _integration_targets(
                        ctx, res, mod, itype, integ.get("uri"), integ.get("requestTemplates"), b
                    )
                for target in targets:
                    ctx.edge(name, target, block=b, **props)
            if method.lower() != "options":
                security = op.get("security", body.get("security"))
                _record_auth(ctx, name, _openapi_auth(body, security))
            if op.get("x-amazon-apigateway-request-validator") or body.get(
                "x-amazon-apigateway-request-validator"
            ):
                ctx.set_props(name, validation=True)


def _openapi_auth(body: dict[str, Any], security: Any) -> str:
    if not security:
        return "none"
    schemes = (
        (body.get("components") or {}).get("securitySchemes")
        or body.get("securityDefinitions")
        or {}
    )
    for req in security if isinstance(security, list) else []:
        for scheme_name in req if isinstance(req, dict) else []:
            scheme = schemes.get(scheme_name, {}) if isinstance(schemes, dict) else {}
            auth = (
                scheme.get("x-amazon-apigateway-authorizer", {}) if isinstance(scheme, dict) else {}
            )
            atype = str(auth.get("type", "")).lower() if isinstance(auth, dict) else ""
            if atype == "cognito_user_pools":
                return "cognito"
            if atype in ("token", "request"):
                return "lambda"
            if atype == "jwt":
                return "jwt"
            if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                return "iam"
            if scheme.get("in") == "header" and str(scheme.get("name", "")).lower() == "x-api-key":
                return "api_key"
            return "lambda"
    return "none"


def _finish_apis(ctx: Context) -> None:
    for api in list(ctx.arch.nodes_of_kind("apigw")):
        data = ctx.arch.graph.nodes[api]
        auths: set[str] = data.pop("_auths", set())
        authorizers: set[str] = data.pop("_authorizers", set())
        if auths:
            weakest = min(auths, key=lambda a: (_AUTH_RANK.get(a, 2), a))
            ctx.set_props(api, auth=weakest)
        elif authorizers:
            ctx.set_props(api, auth=sorted(authorizers)[0])


def _finish_buckets(ctx: Context) -> None:
    for bucket in list(ctx.arch.nodes_of_kind("s3")):
        data = ctx.arch.graph.nodes[bucket]
        off = data.pop("_public_block_off", False)
        policy = data.pop("_public_policy", False)
        website = data.pop("_website", False)
        if policy or website or (off and data["props"].get("public")):
            ctx.set_props(bucket, public=True)


def _log_retention(ctx: Context) -> None:
    """A log group named `/aws/lambda/<function>` gives that function its retention."""
    for group in list(ctx.arch.nodes_of_kind("logs")):
        res = ctx.res_of.get(group)
        if res is None:
            continue
        name_value = res.block.get("name")
        retention = ctx.arch.props(group).get("retention")
        targets = []
        if "/aws/lambda/" in str(name_value):
            targets = [
                n for n in ctx.nodes(res.module, name_value, None) if ctx.arch.kind(n) == "lambda"
            ]
            if not targets and isinstance(name_value, str):
                targets = [
                    n
                    for n in ctx.by_literal(name_value.split("/aws/lambda/")[-1])
                    if ctx.arch.kind(n) == "lambda"
                ]
        for fn in targets:
            if retention is not None:
                ctx.set_props(fn, log_retention=retention)


_WIRING = {
    "aws_lambda_event_source_mapping": _esm,
    "aws_lambda_permission": _permission,
    "aws_lambda_function_event_invoke_config": _invoke_config,
    "aws_lambda_function_url": _function_url,
    "aws_sns_topic_subscription": _subscription,
    "aws_s3_bucket_notification": _bucket_notification,
    "aws_cloudwatch_event_target": _event_target,
    "aws_api_gateway_integration": _rest_integration,
    "aws_api_gateway_method": _rest_method,
    "aws_api_gateway_authorizer": _rest_authorizer,
    "aws_api_gateway_request_validator": _rest_validator,
    "aws_api_gateway_method_settings": _rest_method_settings,
    "aws_api_gateway_stage": _rest_stage,
    "aws_api_gateway_usage_plan": _usage_plan,
    "aws_apigatewayv2_integration": _v2_integration,
    "aws_apigatewayv2_route": _v2_route,
    "aws_apigatewayv2_authorizer": _v2_authorizer,
    "aws_apigatewayv2_stage": _rest_stage,
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_encryption,
    "aws_s3_bucket_public_access_block": _bucket_public_block,
    "aws_s3_bucket_policy": _bucket_policy,
    "aws_s3_bucket_versioning": _bucket_versioning,
    "aws_s3_bucket_website_configuration": _bucket_website,
    "aws_sqs_queue_redrive_policy": _queue_redrive,
    "aws_wafv2_web_acl_association": _waf_association,
}

_IMPLIED = {
    "lambda": _lambda_implied,
    "sqs": _sqs_implied,
    "firehose": _firehose_implied,
    "pipes": _pipes_implied,
    "scheduler": _scheduler_implied,
    "eventbridge": _rule_implied,
    "sfn": _sfn_implied,
    "apigw": _apigw_implied,
}

__all__ = ["Ref", "finish", "read_wiring"]
