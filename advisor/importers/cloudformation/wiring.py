"""Plain CloudFormation wiring: the resources that connect components become edges.

Event source mappings, invoke configs and DLQs, SNS subscriptions, S3 notifications,
EventBridge rules and Scheduler targets, Pipes, SQS redrive, Firehose sources and
destinations, AppSync data sources, load balancer targets, CloudFront origins, function
URLs, log groups. Each function here reads one family of resource types.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.importers.cloudformation.conditions import no_value
from advisor.importers.cloudformation.context import Ctx, data, kind_from_arn
from advisor.importers.cloudformation.sam import _stream_props, subscription_redrive, target_policies
from advisor.importers.edge_labels import ENRICHMENT, FILTERED, ON_FAILURE, ON_SUCCESS


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _target(ctx: Ctx, value: Any, what: str, owner: str, kind: str | None = None) -> str | None:
    """The node `value` names, else an external node when its ARN tells the kind."""
    node = ctx.node_ref(value)
    if node is not None:
        return node
    if value is None:
        return None
    guess = kind or kind_from_arn(ctx.text_of(value))
    named = ctx.by_physical_name(value, guess)
    if named is not None:
        return named
    if guess is None:
        line, col = ctx.line_of(value, owner)
        names = ctx.ref_names(value)
        if names:
            ctx.info(f"{what} of {owner} refers to {', '.join(names)}, which is not a resource "
                     "of this template; no edge drawn", line, col)
        return None
    return ctx.external_node(value, guess, f"{what} of {owner}", None, owner)


# ---------------------------------------------------------------- Lambda
def wire_event_source_mappings(ctx: Ctx) -> None:
    modes = data()["event_source_modes"]
    for lid in ctx.of_type("AWS::Lambda::EventSourceMapping"):
        p = ctx.props_of(lid)
        fn = ctx.node_ref(p.get("FunctionName"))
        arn = p.get("EventSourceArn")
        src = ctx.node_ref(arn) or _outside_stream(ctx, arn, p, lid) or _target(
            ctx, arn, "event source", lid)
        if fn is None:
            continue
        if src is None and isinstance(p.get("SelfManagedEventSource"), dict):
            # a Kafka cluster outside AWS: the mapping stands for it (SAM names the
            # mapping <Function><Event>, as it names the source on the SAM side)
            src = ctx.implicit_node(lid, "resource", {"type": "SelfManagedKafka"},
                                    loc=ctx.loc_of(lid))
            ctx.consumed[ctx.rtype(lid)] -= 1
        mode = None
        if src is not None and ctx.arch.kind(src) == "resource":
            mode = modes.get(str(ctx.arch.graph.nodes[src]["props"].get("type")), "poll")
        props = _stream_props(ctx, p)
        label = FILTERED if p.get("FilterCriteria") else None
        dest = p.get("DestinationConfig")
        onf = dest.get("OnFailure") if isinstance(dest, dict) else None
        failure = ctx.node_ref(onf.get("Destination")) if isinstance(onf, dict) else None
        if failure is not None:
            props["on_failure"] = failure
        if src is not None:
            ctx.edge(src, fn, mode=mode, label=label, props=props, anchor=lid)
        if failure is not None:
            ctx.edge(fn, failure, mode="async", label=ON_FAILURE, anchor=lid)


_ESM_SOURCE_TYPES = {"kafka": "AWS::MSK::Cluster", "mq": "AWS::AmazonMQ::Broker",
                     "rds": "AWS::DocDB::DBCluster", "docdb": "AWS::DocDB::DBCluster"}


def _outside_stream(ctx: Ctx, value: Any, p: dict[str, Any], owner: str) -> str | None:
    """An MSK cluster, MQ broker or DocumentDB cluster from outside the template (an ARN,
    a parameter): an external `resource` node of that type, as a SAM event names it. The
    type comes from the ARN's service, else from the mapping's own settings (Kafka
    `Topics`, MQ `Queues`, `DocumentDBEventSourceConfig`)."""
    if value is None:
        return None
    text = ctx.text_of(value)
    parts = (text or "").split(":")
    rtype = _ESM_SOURCE_TYPES.get(parts[2]) if parts[0] == "arn" and len(parts) > 2 else None
    if rtype is None and kind_from_arn(text) is None:
        rtype = "AWS::DocDB::DBCluster" if p.get("DocumentDBEventSourceConfig") is not None \
            else "AWS::AmazonMQ::Broker" if p.get("Queues") is not None \
            else "AWS::MSK::Cluster" if p.get("Topics") is not None else None
    if rtype is None:
        return None
    return ctx.external_node(value, "resource", f"event source of {owner}", None, owner, rtype)


_CREATED_DESTINATIONS = {"SQS": ("Queue", "sqs"), "SNS": ("Topic", "sns")}


def apply_invoke_config(ctx: Ctx, fn: str | None, cfg: dict[str, Any], owner: str,
                        sam_function: str | None = None) -> None:
    """Destinations of an invoke config. For SAM's `EventInvokeConfig` (`sam_function`),
    a destination of `Type: SQS|SNS` with no `Destination` (or `AWS::NoValue` in a branch
    of its `Fn::If`) is a queue/topic SAM creates, named
    `<Function>EventInvokeConfig<OnSuccess|OnFailure><Queue|Topic>` (SAM's
    `_validate_and_inject_resource`)."""
    if fn is None:
        return
    dest = cfg.get("DestinationConfig")
    if not isinstance(dest, dict):
        return
    for key, prop, label in (("OnFailure", "on_failure", ON_FAILURE),
                             ("OnSuccess", "on_success", ON_SUCCESS)):
        item = dest.get(key)
        if not isinstance(item, dict):
            continue
        target = None
        created = _CREATED_DESTINATIONS.get(str(ctx.scalar(item.get("Type")) or "").upper())
        value = item.get("Destination")
        branches = value["Fn::If"][1:] if isinstance(value, dict) and isinstance(
            value.get("Fn::If"), list) and len(value["Fn::If"]) == 3 else []
        if sam_function and created and (value is None or any(map(no_value, branches))):
            target = ctx.implicit_node(f"{sam_function}EventInvokeConfig{key}{created[0]}",
                                       created[1], {}, loc=ctx.loc_of(sam_function))
        if target is None:
            target = _target(ctx, value, f"{key} destination", owner)
        if target is None:
            continue
        ctx.set_props(fn, **{prop: target})
        ctx.edge(fn, target, mode="async", label=label, anchor=owner)


def wire_invoke_configs(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Lambda::EventInvokeConfig"):
        p = ctx.props_of(lid)
        apply_invoke_config(ctx, ctx.node_ref(p.get("FunctionName")), p, lid)


def wire_lambda_dlq(ctx: Ctx, lid: str) -> None:
    p = ctx.props_of(lid)
    dlc = p.get("DeadLetterConfig")
    if not isinstance(dlc, dict):
        return
    fn = ctx.names.get(lid)
    target = _target(ctx, dlc.get("TargetArn"), "DeadLetterConfig", lid)
    if target is None:
        return
    ctx.set_props(fn, dlq=target)
    if ctx.arch.kind(target) == "sqs":
        ctx.set_props(target, is_dlq=True)
    ctx.edge(fn, target, mode="async", label=ON_FAILURE, anchor=lid)


def wire_alias_settings(ctx: Ctx) -> None:
    """Provisioned concurrency set on a function's alias or version (where SAM's
    `AutoPublishAlias` puts the function's `ProvisionedConcurrencyConfig`)."""
    for lid in ctx.of_type("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        cfg = ctx.props_of(lid).get("ProvisionedConcurrencyConfig")
        n = ctx.number(cfg.get("ProvisionedConcurrentExecutions")) if isinstance(
            cfg, dict) else None
        fn = ctx.node_for(lid) if lid in ctx.aliases else None
        if n is not None and fn is not None and ctx.arch.kind(fn) == "lambda":
            ctx.set_props(fn, provisioned_concurrency=int(n))
            ctx.set_prop_locs(fn, lid, "provisioned_concurrency")


def wire_function_urls(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Lambda::Url"):
        p = ctx.props_of(lid)
        fn = ctx.node_ref(p.get("TargetFunctionArn"), "lambda")
        auth = str(ctx.scalar(p.get("AuthType")) or "").upper()
        ctx.set_props(fn, url=True, url_auth="none" if auth == "NONE" else "iam")
        ctx.set_prop_locs(fn, lid, "url", "url_auth")


def wire_permissions(ctx: Ctx) -> None:
    """A Lambda permission whose SourceArn names a component is evidence of an invocation;
    used only where no other wiring already drew that edge."""
    for lid in ctx.of_type("AWS::Lambda::Permission"):
        p = ctx.props_of(lid)
        fn = ctx.node_ref(p.get("FunctionName"), "lambda")
        src = ctx.node_ref(p.get("SourceArn"))
        if fn is None or src is None or ctx.arch.graph.has_edge(src, fn):
            continue
        if ctx.arch.kind(src) in ("lambda",):
            continue
        ctx.edge(src, fn, anchor=lid)


_POLICY_TARGETS = {  # resource policy type -> (property naming what it guards, write actions)
    "AWS::SQS::QueuePolicy": ("Queues", ("sqs:sendmessage", "sqs:*")),
    "AWS::SQS::QueueInlinePolicy": ("Queue", ("sqs:sendmessage", "sqs:*")),
    "AWS::SNS::TopicPolicy": ("Topics", ("sns:publish", "sns:*")),
    "AWS::SNS::TopicInlinePolicy": ("TopicArn", ("sns:publish", "sns:*")),
}
_SOURCE_KEYS = ("aws:sourcearn",)


def wire_resource_policies(ctx: Ctx) -> None:
    """A queue or topic policy that lets a service send on behalf of one resource
    (`Condition: {ArnEquals: {aws:SourceArn: <resource>}}`) is evidence that the resource
    sends there, like a Lambda permission's `SourceArn`; used where no other wiring drew
    that edge (a SAM connector's queue policy, a rule whose target is set elsewhere)."""
    for lid in ctx.of_type(*_POLICY_TARGETS):
        field, actions = _POLICY_TARGETS[ctx.rtype(lid)]
        p = ctx.props_of(lid)
        guarded = ctx.node_refs(p.get(field))
        doc = p.get("PolicyDocument")
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for stmt in _list(statements):
            if not isinstance(stmt, dict) or str(ctx.scalar(stmt.get("Effect"))) != "Allow":
                continue
            granted = [str(ctx.scalar(a) or "").lower() for a in _list(stmt.get("Action"))]
            if not any(a in actions for a in granted):
                continue
            for src in _condition_sources(ctx, stmt.get("Condition")):
                failures = ctx.arch.failure_destinations([src])
                for target in guarded:
                    if src == target or target in failures or \
                            ctx.arch.graph.has_edge(src, target):
                        continue  # a dead-letter queue's policy is not a delivery
                    ctx.edge(src, target, anchor=lid)


def _condition_sources(ctx: Ctx, condition: Any) -> list[str]:
    out: list[str] = []
    for op in condition.values() if isinstance(condition, dict) else []:
        for key, value in op.items() if isinstance(op, dict) else []:
            if str(key).lower() in _SOURCE_KEYS:
                out.extend(n for n in ctx.node_refs(value) if n not in out)
    return out


# ---------------------------------------------------------------- SQS, SNS, S3
def wire_sqs_redrive(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::SQS::Queue"):
        p = ctx.props_of(lid)
        redrive = p.get("RedrivePolicy")
        if not isinstance(redrive, dict):
            continue
        queue = ctx.names.get(lid)
        dlq = ctx.node_ref(redrive.get("deadLetterTargetArn"))
        if dlq is None:
            dlq = _target(ctx, redrive.get("deadLetterTargetArn"), "dead-letter queue", lid, "sqs")
        receives = ctx.number(redrive.get("maxReceiveCount"))
        ctx.set_props(queue, dlq=dlq, max_receives=int(receives) if receives else None)
        if dlq is not None:
            ctx.set_props(dlq, is_dlq=True)


def wire_sns(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::SNS::Topic"):
        topic = ctx.names.get(lid)
        for sub in _list(ctx.props_of(lid).get("Subscription")):
            if isinstance(sub, dict):
                _subscribe(ctx, topic, sub, lid)
    for lid in ctx.of_type("AWS::SNS::Subscription"):
        p = ctx.props_of(lid)
        topic = _target(ctx, p.get("TopicArn"), "topic", lid, "sns")
        _subscribe(ctx, topic, p, lid)


def _subscribe(ctx: Ctx, topic: str | None, p: dict[str, Any], owner: str) -> None:
    protocol = str(ctx.scalar(p.get("Protocol")) or "").lower()
    endpoint = p.get("Endpoint")
    if protocol in ("email", "email-json", "sms", "application"):
        return
    if protocol in ("http", "https"):
        url = ctx.scalar(endpoint)
        target = ctx.implicit_node(f"{owner}Endpoint", "http",
                                   {"url": url} if isinstance(url, str) else {})
    else:
        kind = {"sqs": "sqs", "lambda": "lambda", "firehose": "firehose"}.get(protocol)
        target = _target(ctx, endpoint, "subscription endpoint", owner, kind)
    if topic is None or target is None:
        return
    label = FILTERED if p.get("FilterPolicy") else None
    ctx.edge(topic, target, label=label, props=subscription_redrive(ctx, p), anchor=owner)


def wire_s3_notifications(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::S3::Bucket"):
        bucket = ctx.names.get(lid)
        cfg = ctx.props_of(lid).get("NotificationConfiguration")
        if not isinstance(cfg, dict):
            continue
        for key, field in (("LambdaConfigurations", "Function"),
                           ("QueueConfigurations", "Queue"),
                           ("TopicConfigurations", "Topic")):
            for item in _list(cfg.get(key)):
                if not isinstance(item, dict):
                    continue
                target = _target(ctx, item.get(field), key, lid)
                bucket_edge(ctx, bucket, target, [ctx.scalar(item.get("Event"))], lid)
        ebc = cfg.get("EventBridgeConfiguration")
        if isinstance(ebc, dict) and ctx.flag(ebc.get("EventBridgeEnabled")) is not False:
            ctx.edge(bucket, default_bus(ctx), anchor=lid)


def bucket_edge(ctx: Ctx, bucket: str | None, target: str | None, events: list[Any],
                owner: str) -> None:
    """bucket -> target, labelled with every event type it is notified of (sorted), however
    many notification entries or SAM events name the pair."""
    if bucket is None or target is None:
        return
    names = {e for e in events if isinstance(e, str)}
    if ctx.arch.graph.has_edge(bucket, target):
        old = ctx.arch.graph.edges[bucket, target].get("label")
        names |= set(old.split(", ")) if old else set()
    ctx.edge(bucket, target, label=", ".join(sorted(names)) or None, anchor=owner)


def default_bus(ctx: Ctx) -> str:
    """The account's default event bus, as a node, created the first time it is needed."""
    return ctx.implicit_node("DefaultEventBus", "eventbridge",
                             {"description": "the account's default event bus"})


# ---------------------------------------------------------------- EventBridge
def attach_rule(ctx: Ctx, rule: str | None, bus: Any, has_pattern: bool, owner: str) -> None:
    """A rule listens on the bus `EventBusName` names (a bus outside the template is an
    external node), else on the account's default bus (when it matches a pattern)."""
    if bus is not None:
        bus_node = ctx.node_ref(bus, "eventbridge")
        if bus_node is None and str(ctx.scalar(bus)) != "default":
            bus_node = _target(ctx, bus, "event bus", owner, "eventbridge")
        if bus_node is not None:
            ctx.edge(bus_node, rule, anchor=owner)
            return
    if has_pattern and rule is not None:
        ctx.default_bus_rules.add(rule)


def wire_rules(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Events::Rule"):
        rule = ctx.names.get(lid)
        p = ctx.props_of(lid)
        if str(ctx.scalar(p.get("State"))) == "DISABLED" and p.get("Description") is None:
            ctx.set_props(rule, description="disabled")
        attach_rule(ctx, rule, p.get("EventBusName"), p.get("EventPattern") is not None, lid)
        for t in _list(p.get("Targets")):
            if not isinstance(t, dict):
                continue
            target = _target(ctx, t.get("Arn"), "rule target", lid)
            if target is None and t.get("Arn") is not None:
                # a target from another stack (Fn::ImportValue) or of an unknown kind:
                # kept as an opaque node, so the rule's delivery settings are still checked
                target = ctx.external_node(t.get("Arn"), "resource", f"rule target of {lid}",
                                           None, lid)
            props = target_policies(ctx, t)
            if any(k in t for k in ("InputTransformer", "Input", "InputPath")):
                props["transform"] = True
            ctx.edge(rule, target, props=props, anchor=lid)
    for lid in ctx.of_type("AWS::Events::Archive"):
        bus = ctx.node_ref(ctx.props_of(lid).get("SourceArn"), "eventbridge")
        ctx.set_props(bus, archive=True)


def connect_default_bus(ctx: Ctx) -> None:
    """Rules on the default bus receive what producers in the template put there."""
    if "DefaultEventBus" not in ctx.arch.graph:
        return
    for rule in sorted(ctx.default_bus_rules):
        ctx.edge("DefaultEventBus", rule)


def wire_schedules(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Scheduler::Schedule"):
        node = ctx.names.get(lid)
        t = ctx.props_of(lid).get("Target")
        if not isinstance(t, dict):
            continue
        arn_text = ctx.text_of(t.get("Arn")) or ""
        target = None
        universal = re.match(r"arn:[^:]*:scheduler:::aws-sdk:([a-z0-9]+):(\w+)", arn_text)
        if universal:
            target = _ref_in_input(ctx, t.get("Input"))
        else:
            target = _target(ctx, t.get("Arn"), "schedule target", lid)
        props = target_policies(ctx, t)
        if universal:
            props["integration"] = "sdk"
            props["action"] = f"{universal.group(1)}:{universal.group(2)}"
        ctx.edge(node, target, props=props, anchor=lid)


def _ref_in_input(ctx: Ctx, value: Any) -> str | None:
    nodes = ctx.node_refs(value)
    return nodes[0] if nodes else None


# a pipe target's InvocationType (https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeTargetLambdaFunctionParameters.html)
PIPE_INVOCATIONS = {"FIRE_AND_FORGET": "async", "REQUEST_RESPONSE": "sync"}


def wire_pipes(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Pipes::Pipe"):
        pipe = ctx.names.get(lid)
        p = ctx.props_of(lid)
        src = _target(ctx, p.get("Source"), "pipe source", lid)
        target = _target(ctx, p.get("Target"), "pipe target", lid)
        enrich = _target(ctx, p.get("Enrichment"), "pipe enrichment", lid) \
            if p.get("Enrichment") is not None else None
        sp = p.get("SourceParameters") if isinstance(p.get("SourceParameters"), dict) else {}
        props: dict[str, Any] = {}
        label = FILTERED if sp.get("FilterCriteria") else None
        for value in sp.values():
            if isinstance(value, dict):
                props.update(_stream_props(ctx, value))
                if str(ctx.scalar(value.get("OnPartialBatchItemFailure"))) == "AUTOMATIC_BISECT":
                    props["bisect"] = True
                dlc = value.get("DeadLetterConfig")
                if isinstance(dlc, dict):
                    dlq = ctx.node_ref(dlc.get("Arn"))
                    if dlq is not None:
                        props["on_failure"] = dlq
        ctx.edge(src, pipe, label=label, props=props, anchor=lid)
        if enrich is not None:
            ctx.set_props(pipe, enrichment=enrich)
            ctx.edge(pipe, enrich, mode="sync", label=ENRICHMENT, anchor=lid)
        tp = p.get("TargetParameters") if isinstance(p.get("TargetParameters"), dict) else {}
        tprops: dict[str, Any] = {}
        if tp.get("InputTemplate") is not None:
            tprops["transform"] = True
        for params in tp.values():  # Lambda and Step Functions targets say how they are called
            inv = ctx.scalar(params.get("InvocationType")) if isinstance(params, dict) else None
            if inv in PIPE_INVOCATIONS:
                tprops["invocation"] = PIPE_INVOCATIONS[inv]
        ctx.edge(pipe, target, props=tprops, anchor=lid)


# ---------------------------------------------------------------- streams and stores
def wire_firehose(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::KinesisFirehose::DeliveryStream"):
        node = ctx.names.get(lid)
        p = ctx.props_of(lid)
        src = p.get("KinesisStreamSourceConfiguration")
        if isinstance(src, dict):
            ctx.edge(_target(ctx, src.get("KinesisStreamARN"), "source stream", lid, "kinesis"),
                     node, anchor=lid)
        for key, value in p.items():
            if not (isinstance(key, str) and key.endswith("DestinationConfiguration")):
                continue
            if not isinstance(value, dict):
                continue
            for field in ("BucketARN", "DomainARN", "CollectionEndpoint", "ClusterEndpoint"):
                if value.get(field) is not None:
                    ctx.edge(node, ctx.node_ref(value.get(field)), anchor=lid)
            if key.startswith("Http"):
                ep = value.get("EndpointConfiguration")
                url = ctx.scalar(ep.get("Url")) if isinstance(ep, dict) else None
                http = ctx.implicit_node(f"{lid}Endpoint", "http",
                                         {"url": url} if isinstance(url, str) else {})
                ctx.edge(node, http, anchor=lid)
            proc = value.get("ProcessingConfiguration")
            for pr in _list(proc.get("Processors") if isinstance(proc, dict) else None):
                if not isinstance(pr, dict):
                    continue
                for param in _list(pr.get("Parameters")):
                    if isinstance(param, dict) and ctx.scalar(param.get("ParameterName")) \
                            == "LambdaArn":
                        fn = ctx.node_ref(param.get("ParameterValue"), "lambda")
                        ctx.edge(node, fn, mode="sync", label="transform", anchor=lid)


def wire_dynamodb_kinesis(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        spec = ctx.props_of(lid).get("KinesisStreamSpecification")
        if isinstance(spec, dict):
            ctx.edge(ctx.names.get(lid), ctx.node_ref(spec.get("StreamArn"), "kinesis"),
                     mode="stream", anchor=lid)


def wire_log_groups(ctx: Ctx) -> None:
    """A function's own log group (`/aws/lambda/<fn>`, or its LoggingConfig's) is part of
    the function: it sets `log_retention` and is not a node. Every other log group (an
    API's access logs, a workflow's execution logs, one nothing names) is a `logs` node
    with its `retention`, as in the Terraform importer, so a log group kept forever is
    seen whatever the format."""
    owned: set[str] = set()
    for lid in list(ctx.deferred):
        p = ctx.props_of(lid)
        days = ctx.number(p.get("RetentionInDays"))
        for fn in ctx.node_refs(p.get("LogGroupName")):
            if ctx.arch.kind(fn) == "lambda":
                owned.add(lid)
                ctx.set_prop_locs(fn, lid, "log_retention")  # where retention is (or goes)
                if days is not None:
                    ctx.set_props(fn, log_retention=int(days))
    for fn_lid, fn in list(ctx.names.items()):
        if ctx.arch.kind(fn) != "lambda":
            continue
        cfg = ctx.props_of(fn_lid).get("LoggingConfig")
        if isinstance(cfg, dict):
            for lg in ctx.resource_refs(cfg.get("LogGroup")):
                owned.add(lg)
                ctx.set_prop_locs(fn, lg, "log_retention")
                days = ctx.number(ctx.props_of(lg).get("RetentionInDays"))
                if days is not None:
                    ctx.set_props(fn, log_retention=int(days))
    for lid in sorted(ctx.deferred - owned):
        if ctx.deferred_kind.get(lid) == "logs":
            ctx.materialise(lid)


# ---------------------------------------------------------------- AppSync, ALB, CloudFront
_DS_FIELDS = {
    "AWS_LAMBDA": ("LambdaConfig", "LambdaFunctionArn"),
    "AMAZON_DYNAMODB": ("DynamoDBConfig", "TableName"),
    "AMAZON_EVENTBRIDGE": ("EventBridgeConfig", "EventBusArn"),
    "AMAZON_OPENSEARCH_SERVICE": ("OpenSearchServiceConfig", "Endpoint"),
    "AMAZON_ELASTICSEARCH": ("ElasticsearchConfig", "Endpoint"),
    "RELATIONAL_DATABASE": ("RelationalDatabaseConfig", "RdsHttpEndpointConfig"),
}


def _appsync_authorizers(ctx: Ctx, lid: str) -> None:
    """AppSync Lambda authorizers: `LambdaAuthorizerConfig` (and in each of the
    `AdditionalAuthenticationProviders`), SAM's `Auth.LambdaAuthorizer` (and `Additional`)."""
    p = ctx.props_of(lid)
    auth = p.get("Auth") if isinstance(p.get("Auth"), dict) else {}
    configs = [p.get("LambdaAuthorizerConfig"), auth.get("LambdaAuthorizer")]
    for extra in _list(p.get("AdditionalAuthenticationProviders")):
        configs.append(extra.get("LambdaAuthorizerConfig") if isinstance(extra, dict) else None)
    for extra in _list(auth.get("Additional")):
        configs.append(extra.get("LambdaAuthorizer") if isinstance(extra, dict) else None)
    api = ctx.names.get(lid)
    for cfg in configs:
        if isinstance(cfg, dict):
            ctx.authorizer_edge(api, cfg.get("AuthorizerUri"), lid)


def wire_appsync(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::AppSync::GraphQLApi", "AWS::Serverless::GraphQLApi"):
        _appsync_authorizers(ctx, lid)
    for lid in ctx.of_type("AWS::AppSync::DataSource"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("ApiId"), "appsync")
        dtype = str(ctx.scalar(p.get("Type")) or "")
        target = None
        if dtype in _DS_FIELDS:
            section, field = _DS_FIELDS[dtype]
            cfg = p.get(section)
            if isinstance(cfg, dict):
                target = ctx.node_ref(cfg.get(field)) or ctx.node_ref(cfg)
        elif dtype == "HTTP":
            cfg = p.get("HttpConfig") if isinstance(p.get("HttpConfig"), dict) else {}
            auth = cfg.get("AuthorizationConfig")
            iam = auth.get("AwsIamConfig") if isinstance(auth, dict) else None
            service = ctx.scalar(iam.get("SigningServiceName")) if isinstance(iam, dict) else None
            if service == "states":
                target = _resolver_ref(ctx, lid, "sfn")
                for api_lid in ctx.resource_refs(p.get("ApiId")) if target is None else []:
                    # SAM GraphQLApi: the resolver code lives in the API's Functions
                    target = ctx.node_ref(ctx.props_of(api_lid).get("Functions"), "sfn")
                props = {"integration": "service"}
                ctx.edge(api, target, props=props, anchor=lid)
                continue
            url = ctx.scalar(cfg.get("Endpoint"))
            target = ctx.implicit_node(f"{lid}Endpoint", "http",
                                       {"url": url} if isinstance(url, str) else {})
        ctx.edge(api, target, anchor=lid)
    for lid in ctx.of_type("AWS::Serverless::GraphQLApi"):
        api = ctx.names.get(lid)
        sources = ctx.props_of(lid).get("DataSources")
        if not isinstance(sources, dict):
            continue
        for group in sources.values():
            if not isinstance(group, dict):
                continue
            for ds in group.values():
                if isinstance(ds, dict):
                    for node in ctx.node_refs(ds):
                        ctx.edge(api, node, anchor=lid)


def _resolver_ref(ctx: Ctx, ds_lid: str, kind: str) -> str | None:
    for lid in ctx.of_type("AWS::AppSync::Resolver", "AWS::AppSync::FunctionConfiguration"):
        p = ctx.props_of(lid)
        if ds_lid not in ctx.ref_names(p.get("DataSourceName")):
            continue
        node = ctx.node_ref(p, kind)
        if node is not None:
            return node
    return None


def wire_alb(ctx: Ctx) -> None:
    groups: dict[str, list[str]] = {}
    for lid in ctx.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"):
        targets = [t.get("Id") for t in _list(ctx.props_of(lid).get("Targets"))
                   if isinstance(t, dict)]
        groups[lid] = ctx.node_refs(targets)
    for lid in ctx.of_type("AWS::ElasticLoadBalancingV2::Listener",
                           "AWS::ElasticLoadBalancingV2::ListenerRule"):
        p = ctx.props_of(lid)
        lb = ctx.node_ref(p.get("LoadBalancerArn"), "alb")
        if lb is None and p.get("ListenerArn") is not None:
            for listener in ctx.resource_refs(p.get("ListenerArn")):
                lb = ctx.node_ref(ctx.props_of(listener).get("LoadBalancerArn"), "alb")
        for action in _list(p.get("DefaultActions")) + _list(p.get("Actions")):
            if not isinstance(action, dict):
                continue
            atype = str(ctx.scalar(action.get("Type")) or "")
            if atype == "authenticate-cognito":
                ctx.set_props(lb, auth="cognito")
            elif atype == "authenticate-oidc":
                ctx.set_props(lb, auth="oidc")
            for tg in ctx.resource_refs(action):
                for node in groups.get(tg, []):
                    ctx.edge(lb, node, anchor=lid)


def wire_cloudfront(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::CloudFront::Distribution"):
        cfg = ctx.props_of(lid).get("DistributionConfig")
        if not isinstance(cfg, dict):
            continue
        node = ctx.names.get(lid)
        for origin in _list(cfg.get("Origins")):
            if isinstance(origin, dict):
                for target in ctx.node_refs(origin.get("DomainName")):
                    ctx.edge(node, target, anchor=lid)
        if cfg.get("WebACLId") is not None:
            ctx.set_props(node, waf=True)


def wire_waf(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::WAFv2::WebACLAssociation"):
        for node in ctx.node_refs(ctx.props_of(lid).get("ResourceArn")):
            if ctx.arch.kind(node) in ("apigw", "alb", "appsync"):
                ctx.set_props(node, waf=True)


def wire_iot_rules(ctx: Ctx) -> None:
    """IoT rule actions -> their targets. The Lambda action invokes the function
    asynchronously (https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html)."""
    for lid in ctx.of_type("AWS::IoT::TopicRule"):
        node = ctx.names.get(lid)
        payload = ctx.props_of(lid).get("TopicRulePayload")
        actions = payload.get("Actions") if isinstance(payload, dict) else None
        for action in _list(actions):
            if isinstance(action, dict):
                for target in ctx.node_refs(action):
                    mode = "async" if ctx.arch.kind(target) == "lambda" else None
                    ctx.edge(node, target, mode=mode, anchor=lid)


def wire_log_subscriptions(ctx: Ctx) -> None:
    """`AWS::Logs::SubscriptionFilter`: log group -> destination. CloudWatch Logs invokes
    a Lambda destination asynchronously (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html)."""
    for lid in ctx.of_type("AWS::Logs::SubscriptionFilter"):
        p = ctx.props_of(lid)
        group = _target(ctx, p.get("LogGroupName"), "log group", lid, "logs")
        dest = _target(ctx, p.get("DestinationArn"), "subscription destination", lid)
        if group is None or dest is None:
            continue
        mode = "async" if ctx.arch.kind(dest) == "lambda" else None
        label = FILTERED if ctx.scalar(p.get("FilterPattern")) not in (None, "") else None
        ctx.edge(group, dest, mode=mode, label=label, anchor=lid)


_SSM_ACTIONS = {
    "aws:invokeLambdaFunction": ("FunctionName", "lambda"),
    "aws:executeStateMachine": ("stateMachineArn", "sfn"),
}


def wire_ssm_documents(ctx: Ctx) -> None:
    """Systems Manager Automation steps that invoke a function or a state machine."""
    for lid in ctx.of_type("AWS::SSM::Document"):
        node = ctx.names.get(lid)
        content = ctx.props_of(lid).get("Content")
        steps = content.get("mainSteps") if isinstance(content, dict) else None
        for step in _list(steps):
            if not isinstance(step, dict):
                continue
            action = str(ctx.scalar(step.get("action")) or "")
            inputs = step.get("inputs") if isinstance(step.get("inputs"), dict) else {}
            if action in _SSM_ACTIONS:
                field, kind = _SSM_ACTIONS[action]
                ctx.edge(node, ctx.node_ref(inputs.get(field), kind), mode="sync",
                         props={"action": action}, anchor=lid)
            elif action == "aws:executeAwsApi":
                for target in ctx.node_refs(inputs):
                    ctx.edge(node, target, mode="sync", props={"integration": "sdk",
                             "action": f"{inputs.get('Service')}:{inputs.get('Api')}"},
                             anchor=lid)
