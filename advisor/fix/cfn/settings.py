"""Settings rewrites in CloudFormation/SAM: one property of one resource, plus the IAM the
setting needs. Function and state machine tracing, arm64, log retention, encryption at
rest, event source batch size, function URL auth, Express workflows; the rules that need
code or a schema only the user has (polling loops, secrets in the environment, request
models) say so.

IAM: SAM adds X-Ray permissions itself to the roles it generates when tracing is on; a
role the template declares gets an `AWS::IAM::Policy` with the X-Ray write actions (X-Ray
has no resource-level permissions, so `Resource: "*"` is the narrowest form).
"""

from __future__ import annotations

import json
from typing import Any

from advisor.fix.cfn.locate import edge_anchor, find_events, names, node_site, resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES
from advisor.fix.cfn.template import Template, Unpatchable, ref_target, refs
from advisor.fix.context import FixContext
from advisor.fix.data import note, xray_actions
from advisor.fix.emit import Sub
from advisor.fix.encryption import refuse_service_publishers, refuse_unmanaged

SAM_FUNCTION = "AWS::Serverless::Function"
SAM_MACHINE = "AWS::Serverless::StateMachine"
MACHINE_TYPES = (SAM_MACHINE, "AWS::StepFunctions::StateMachine")
XRAY_POLICIES = ("AWSXRayDaemonWriteAccess", "AWSXrayWriteOnlyAccess", "AWSXrayFullAccess")


def _fn(ctx: FixContext, tpl: Template) -> str:
    return resource_of(ctx, tpl, ctx.match[0], *FUNCTION_TYPES)


def _role_allows(tpl: Template, role: str, action: str, policies: tuple[str, ...]) -> bool:
    """The role (its own policies, managed policy names, policies attached to it) already
    grants `action` (or its service's `*`) or names one of `policies`."""
    bodies = [tpl.props(role)] + [tpl.props(p) for p in tpl.referrers(role)
                                  if tpl.rtype(p) in ("AWS::IAM::Policy",
                                                      "AWS::IAM::ManagedPolicy")]
    text = json.dumps(bodies, default=str)
    service = action.split(":", 1)[0]
    return action in text or f'"{service}:*"' in text or any(p in text for p in policies)


def _grant_xray(ctx: FixContext, tpl: Template, owner: str, role: str | None,
                generated: bool) -> None:
    ctx.granted.update(xray_actions())
    if generated:
        return  # SAM adds AWSXrayWriteOnlyAccess to the role it generates
    if role is None:
        ctx.note(f"the role of {owner} is not declared in this template: allow it "
                 f"{', '.join(xray_actions())} (or attach AWSXRayDaemonWriteAccess)")
        return
    if _role_allows(tpl, role, xray_actions()[0], XRAY_POLICIES):
        return
    tpl.grant(None, role, f"{owner}Tracing",
              [{"Effect": "Allow", "Action": xray_actions(), "Resource": "*"}])


def _merge_into(tpl: Template, lid: str, key: str, values: dict[str, Any]) -> None:
    """Set `values` inside the mapping property `key` (created when missing)."""
    current = tpl.props(lid).get(key)
    if isinstance(current, dict):
        for k, v in values.items():
            tpl.set(lid, (key, k), v)
    else:
        tpl.set(lid, (key,), values)


# ------------------------------------------------------------------ OPS-LAMBDA-TRACING
def lambda_tracing(ctx: FixContext, tpl: Template) -> None:
    fn = _fn(ctx, tpl)
    if tpl.rtype(fn) == SAM_FUNCTION:
        tpl.set(fn, ("Tracing",), "Active")
    else:
        _merge_into(tpl, fn, "TracingConfig", {"Mode": "Active"})
    role, generated = tpl.function_role(fn)
    _grant_xray(ctx, tpl, fn, role, generated)


# ------------------------------------------------------------------ OPS-SFN-TRACING
def machine_role(tpl: Template, sm: str) -> tuple[str | None, bool]:
    """(role logical id in this template or None, whether SAM generates the role)."""
    p = tpl.props(sm)
    value = p.get("Role") if tpl.rtype(sm) == SAM_MACHINE else p.get("RoleArn")
    if value is None:
        return None, tpl.rtype(sm) == SAM_MACHINE
    target = ref_target(value)
    return (target, False) if target and tpl.rtype(target) == "AWS::IAM::Role" else (None, False)


def sfn_tracing(ctx: FixContext, tpl: Template) -> None:
    sm = resource_of(ctx, tpl, ctx.match[0], *MACHINE_TYPES)
    key = "Tracing" if tpl.rtype(sm) == SAM_MACHINE else "TracingConfiguration"
    _merge_into(tpl, sm, key, {"Enabled": True})
    role, generated = machine_role(tpl, sm)
    _grant_xray(ctx, tpl, sm, role, generated)


# ------------------------------------------------------------------ SEC-KMS-ROTATION
def key_rotation(ctx: FixContext, tpl: Template) -> None:
    key = resource_of(ctx, tpl, ctx.match[0], "AWS::KMS::Key")
    tpl.set(key, ("EnableKeyRotation",), True)


# ------------------------------------------------------------------ COST-LAMBDA-ARM64
def lambda_arm64(ctx: FixContext, tpl: Template) -> None:
    fn = _fn(ctx, tpl)
    p = tpl.props(fn)
    if str(p.get("PackageType", "")).lower() == "image" or "ImageUri" in p:
        raise Unpatchable(f"{fn} is a container image: the image must be built for arm64 "
                          "first, then set Architectures")
    tpl.set(fn, ("Architectures",), ["arm64"])
    ctx.note(note("arm64"))


# ------------------------------------------------------------------ OPS-LOG-RETENTION
def log_retention(ctx: FixContext, tpl: Template) -> None:
    node = ctx.match[0]
    after = ctx.after_props(node)
    if ctx.before.kind(node) == "logs":
        _set_retention(tpl, resource_of(ctx, tpl, node, "AWS::Logs::LogGroup"),
                       int(after["retention"]))
        return
    days = after.get("log_retention")
    if days is None:  # the retention went on the function's log group node(s)
        groups = [m for m in log_neighbours(ctx, node) if ctx.after_props(m).get("retention")
                  != ctx.node(m)["props"].get("retention")]
        if not groups:
            raise Unpatchable("the rewrite set no retention")
        for m in groups:
            _set_retention(tpl, resource_of(ctx, tpl, m, "AWS::Logs::LogGroup"),
                           int(ctx.after_props(m)["retention"]))
        return
    fn = resource_of(ctx, tpl, node, *FUNCTION_TYPES)
    existing = _function_log_group(ctx, tpl, node, fn)
    if existing is not None:
        _set_retention(tpl, existing, int(days))
        return
    tpl.add_resource(f"{fn}LogGroup", "AWS::Logs::LogGroup", {
        "LogGroupName": Sub("/aws/lambda/${" + fn + "}"),
        "RetentionInDays": int(days),
    })
    ctx.note(note("log_group_exists"))


def _set_retention(tpl: Template, lid: str, days: int) -> None:
    current = tpl.props(lid).get("RetentionInDays")
    if current is not None:
        raise Unpatchable(f"{lid} already sets RetentionInDays ({current}); the finding "
                          "comes from a value the importer could not read")
    tpl.set(lid, ("RetentionInDays",), days)


def log_neighbours(ctx: FixContext, node: str) -> list[str]:
    g = ctx.before.graph
    return sorted(m for m in set(g.successors(node)) | set(g.predecessors(node))
                  if ctx.before.kind(m) == "logs")


def _function_log_group(ctx: FixContext, tpl: Template, node: str, fn: str) -> str | None:
    """The log group the template declares for the function (LoggingConfig, or named
    `/aws/lambda/<function>`), whose retention is unset."""
    loc = (ctx.node(node).get("prop_locs") or {}).get("log_retention")
    if loc is not None:
        from advisor.fix.cfn.locate import lids_at_line

        lid = lids_at_line(tpl, loc.line)
        if lid and tpl.rtype(lid) == "AWS::Logs::LogGroup":
            return lid
    cfg = tpl.props(fn).get("LoggingConfig")
    lg = ref_target(cfg.get("LogGroup")) if isinstance(cfg, dict) else None
    if lg and tpl.rtype(lg) == "AWS::Logs::LogGroup":
        return lg
    for lid in tpl.of_type("AWS::Logs::LogGroup"):
        if fn in refs(tpl.props(lid).get("LogGroupName")):
            return lid
    return None


# ------------------------------------------------------------------ SEC-ENCRYPTION-AT-REST
# (resource type, AWS managed key setting): the "default" alternative
MANAGED_KEY = {
    "AWS::SQS::Queue": {"SqsManagedSseEnabled": True},
    "AWS::SNS::Topic": {"KmsMasterKeyId": "alias/aws/sns"},
    "AWS::Kinesis::Stream": {"StreamEncryption": {"EncryptionType": "KMS",
                                                  "KeyId": "alias/aws/kinesis"}},
    "AWS::KinesisFirehose::DeliveryStream": {
        "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"}},
    "AWS::OpenSearchService::Domain": {"EncryptionAtRestOptions": {"Enabled": True}},
    "AWS::Elasticsearch::Domain": {"EncryptionAtRestOptions": {"Enabled": True}},
}
def encryption_at_rest(ctx: FixContext, tpl: Template) -> None:
    node = ctx.match[0]
    refuse_unmanaged(ctx, node)
    lid = resource_of(ctx, tpl, node)
    rtype = tpl.rtype(lid)
    if rtype not in MANAGED_KEY:
        raise Unpatchable(f"no encryption setting known for {rtype}")
    if rtype == "AWS::SNS::Topic":
        refuse_service_publishers(ctx, node)
    if rtype == "AWS::KinesisFirehose::DeliveryStream" and \
            tpl.props(lid).get("KinesisStreamSourceConfiguration") is not None:
        raise Unpatchable("a delivery stream reading a Kinesis stream is encrypted by its "
                          "source: encrypt the source stream")
    props = tpl.props(lid)
    if rtype == "AWS::SQS::Queue" and props.get("SqsManagedSseEnabled") is not None:
        tpl.set(lid, ("SqsManagedSseEnabled",), True)
    else:
        for key, value in MANAGED_KEY[rtype].items():
            if isinstance(value, dict):
                _merge_into(tpl, lid, key, value)
            else:
                tpl.set(lid, (key,), value)
    ctx.note(note("encryption_default"))


# ------------------------------------------------------------------ COST-SQS-BATCH
STREAM_EVENTS = ("SQS", "Kinesis", "DynamoDB", "MSK", "SelfManagedKafka")


def batch_size(ctx: FixContext, tpl: Template) -> None:
    src, consumer = ctx.match[0], ctx.match[1]
    size = ctx.after_edge(src, consumer).get("batch")
    if size is None:
        raise Unpatchable("the rewrite set no batch size")
    size = int(size)
    anchor = edge_anchor(ctx, tpl, src, consumer)
    if anchor and tpl.rtype(anchor) == "AWS::Lambda::EventSourceMapping":
        tpl.set(anchor, ("BatchSize",), size)
    elif anchor and tpl.rtype(anchor) == "AWS::Pipes::Pipe":
        sp = tpl.props(anchor).get("SourceParameters")
        keys = [k for k in (sp or {}) if k.endswith("Parameters") and isinstance(sp[k], dict)
                and k != "FilterCriteria"]
        if len(keys) != 1:
            raise Unpatchable(f"pipe {anchor} has no single source parameters block")
        tpl.set(anchor, ("SourceParameters", keys[0], "BatchSize"), size)
    else:
        fn = resource_of(ctx, tpl, consumer, SAM_FUNCTION)
        events = find_events(tpl, fn, STREAM_EVENTS, names(ctx, tpl, src), "Queue") + \
            find_events(tpl, fn, STREAM_EVENTS, names(ctx, tpl, src), "Stream")
        if len(events) != 1:
            raise Unpatchable(f"{fn} has {len(events)} events polling {src}")
        tpl.set(fn, ("Events", events[0], "Properties", "BatchSize"), size)
    ctx.note(note("batch"))


# ------------------------------------------------------------------ SEC-LAMBDA-URL-AUTH
def url_auth(ctx: FixContext, tpl: Template) -> None:
    fn = _fn(ctx, tpl)
    urls = [u for u in tpl.of_type("AWS::Lambda::Url")
            if ref_target(tpl.props(u).get("TargetFunctionArn")) == fn]
    if isinstance(tpl.props(fn).get("FunctionUrlConfig"), dict):
        tpl.set(fn, ("FunctionUrlConfig", "AuthType"), "AWS_IAM")
    elif len(urls) == 1:
        tpl.set(urls[0], ("AuthType",), "AWS_IAM")
    else:
        raise Unpatchable(f"no single function URL of {fn} found in the template")
    for perm in tpl.of_type("AWS::Lambda::Permission"):
        p = tpl.props(perm)
        if ref_target(p.get("FunctionName")) == fn and p.get("FunctionUrlAuthType") == "NONE" \
                and p.get("Principal") == "*":
            tpl.remove_resource(perm)  # the public grant no longer applies to anything
    ctx.note(note("url_iam"))


# ------------------------------------------------------------------ COST-SFN-EXPRESS
def sfn_express(ctx: FixContext, tpl: Template) -> None:
    sm = resource_of(ctx, tpl, ctx.match[0], *MACHINE_TYPES)
    sam = tpl.rtype(sm) == SAM_MACHINE
    name_key = "Name" if sam else "StateMachineName"
    if tpl.props(sm).get(name_key) is not None:
        raise Unpatchable(f"changing the type replaces {sm}, and CloudFormation cannot "
                          f"replace a resource with a fixed {name_key}: change the name in "
                          "the same update")
    tpl.set(sm, ("Type" if sam else "StateMachineType",), "EXPRESS")
    ctx.note(note("express"))


# ------------------------------------------------------------------ SEC-APIGW-VALIDATION
def api_validation(ctx: FixContext, tpl: Template) -> None:
    api = ctx.match[0]
    site = node_site(ctx, tpl, api)
    if site.what != "resource" or tpl.rtype(site.lid) != "AWS::ApiGateway::RestApi":
        raise Unpatchable("a SAM API validates a request only against a model (RequestModel "
                          "with a Models schema) or required parameters, which only you can "
                          "write")
    methods = [m for m in tpl.of_type("AWS::ApiGateway::Method")
               if ref_target(tpl.props(m).get("RestApiId")) == site.lid
               and str(tpl.props(m).get("HttpMethod", "")).upper() != "OPTIONS"]
    if not methods or any(tpl.props(m).get("RequestValidatorId") is not None for m in methods):
        raise Unpatchable(f"{site.lid} has no methods without a validator to attach one to")
    from advisor.fix.emit import Ref

    validator = tpl.add_resource(f"{site.lid}Validator", "AWS::ApiGateway::RequestValidator", {
        "RestApiId": Ref(site.lid), "ValidateRequestBody": True,
        "ValidateRequestParameters": True})
    for m in methods:
        tpl.set(m, ("RequestValidatorId",), Ref(validator))
    ctx.note("the validator checks the parameters a method marks required and the body "
             "against its RequestModels: declare those models for the bodies to be checked")


# ------------------------------------------------------------------ what needs code
def needs_code(ctx: FixContext, tpl: Any) -> None:
    """Rewrites whose deployed half is the handler's code, not the template."""
    why = {
        "PERF-SFN-POLLING": "the polled task must send its task token back (SendTaskSuccess) "
                            "from its code before the loop can become a .waitForTaskToken "
                            "task",
        "SEC-ENV-SECRETS": "the handler must read the secret from Secrets Manager or "
                           "Parameter Store at run time before the variable can go",
        "COST-API-DIRECT-INGEST": "the clients must sign their own requests with Cognito "
                                  "identity-pool credentials before the API can go",
    }
    raise Unpatchable(why.get(ctx.rewrite.rule, "the change is in the handler's code"))


__all__ = ["api_validation", "batch_size", "encryption_at_rest", "lambda_arm64",
           "lambda_tracing", "log_retention", "needs_code", "sfn_express", "sfn_tracing",
           "url_auth"]


# ------------------------------------------------------------------ SEC-APIGW-AUTH
def api_auth(ctx: FixContext, tpl: Template) -> None:
    """IAM authorization (SigV4) on every method of the API, or a Cognito user pool
    authorizer (SAM APIs): what the chosen alternative says."""
    api = ctx.match[0]
    want = ctx.after_props(api).get("auth")
    site = node_site(ctx, tpl, api)
    if want not in ("iam", "cognito"):
        raise Unpatchable(f"no authorizer of type {want} is generated")
    if site.what == "implicit":
        section = "Api" if site.lid == "ServerlessRestApi" else "HttpApi"
        if want == "cognito":
            raise Unpatchable("a Cognito authorizer for SAM's implicit API needs the user "
                              "pool's clients and scopes; write it by hand")
        if section == "HttpApi":
            raise Unpatchable("SAM HTTP APIs take IAM authorization per route")
        _auth_globals(tpl, section, {"DefaultAuthorizer": "AWS_IAM"})
        ctx.note(note("auth_iam"))
        return
    lid = site.lid
    rtype = tpl.rtype(lid)
    if rtype == "AWS::Serverless::Api":
        auth = tpl.props(lid).get("Auth")
        if want == "iam":
            values: dict[str, Any] = {"DefaultAuthorizer": "AWS_IAM"}
        else:
            users = ctx.added("cognito")
            if len(users) != 1:
                raise Unpatchable("the rewrite added no single user pool")
            from advisor.fix.cfn.reliability import logical_base
            from advisor.fix.emit import GetAtt

            pool = tpl.add_resource(logical_base(users[0]), "AWS::Cognito::UserPool", {
                "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"]})
            ctx.names[users[0]] = pool
            values = {"DefaultAuthorizer": f"{pool}Authorizer", "Authorizers": {
                f"{pool}Authorizer": {"UserPoolArn": GetAtt(pool, "Arn")}}}
        if isinstance(auth, dict):
            for k, v in values.items():
                tpl.set(lid, ("Auth", k), v)
        else:
            tpl.set(lid, ("Auth",), values)
        ctx.note(note("auth_iam" if want == "iam" else "auth_cognito"))
        return
    if rtype == "AWS::ApiGateway::RestApi" and want == "iam":
        methods = [m for m in tpl.of_type("AWS::ApiGateway::Method")
                   if ref_target(tpl.props(m).get("RestApiId")) == lid
                   and str(tpl.props(m).get("HttpMethod", "")).upper() != "OPTIONS"]
        if not methods:
            raise Unpatchable(f"{lid} has no methods in the template")
        for m in methods:
            if str(tpl.props(m).get("AuthorizationType", "NONE")).upper() == "NONE":
                tpl.set(m, ("AuthorizationType",), "AWS_IAM")
        ctx.note(note("auth_iam"))
        return
    raise Unpatchable(f"a {want} authorizer on {rtype} is not generated")


def _auth_globals(tpl: Template, section: str, values: dict[str, Any]) -> None:
    current = tpl.globals(section).get("Auth")
    if isinstance(current, dict):
        for k, v in values.items():
            tpl.doc.set(("Globals", section, "Auth", k), v)
    elif "Globals" not in tpl.doc.root and tpl.doc.insert_before(
            "Resources", "Globals", {section: {"Auth": values}}):
        return
    else:
        tpl.doc.set(("Globals", section, "Auth"), values)


# ------------------------------------------------------------------ left with a reason
def api_type_change(ctx: FixContext, tpl: Any) -> None:
    raise Unpatchable("turning a REST API into an HTTP API rewrites every route, integration, "
                      "authorizer and stage setting (AWS::ApiGateway::* into "
                      "AWS::ApiGatewayV2::*, SAM Api events into HttpApi events with payload "
                      "format 1.0) and changes the URL; not generated")


def customer_key(ctx: FixContext, tpl: Any) -> None:
    raise Unpatchable("a customer managed KMS key needs a key policy naming every producer "
                      "and consumer of the data; it is not generated")
