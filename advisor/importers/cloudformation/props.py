"""Node props from a resource's own Properties, per kind, in internal units.

Only what the template states is set: a function without `MemorySize` gets no `memory`
prop, so rules can tell "left at the default" from "chosen". Values referencing
parameters use the parameter's Default when it has one.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.importers.api_auth import APPSYNC_AUTH
from advisor.importers.cloudformation.context import Ctx
from advisor.importers.event_patterns import pattern_text

MB = 1024 * 1024
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)


def props_for(ctx: Ctx, logical: str, kind: str, p: dict[str, Any]) -> dict[str, Any]:
    fn = _BUILDERS.get(kind)
    out = fn(ctx, logical, p) if fn else {}
    desc = ctx.scalar(p.get("Description"))
    if isinstance(desc, str) and desc and kind not in ("resource",):
        out.setdefault("description", desc[:200])
    return {k: v for k, v in out.items() if v is not None}


def _seconds(ctx: Ctx, value: Any) -> float | None:
    n = ctx.number(value)
    return None if n is None else n * 1000


def lambda_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    mem = ctx.number(p.get("MemorySize"))
    if mem is not None:
        out["memory"] = int(mem) * MB
    timeout = _seconds(ctx, p.get("Timeout"))
    if timeout is not None:
        out["timeout"] = timeout
    runtime = ctx.scalar(p.get("Runtime"))
    if isinstance(runtime, str):
        out["runtime"] = runtime
    archs = p.get("Architectures")
    if isinstance(archs, list) and archs:
        first = ctx.scalar(archs[0])
        if isinstance(first, str):
            out["arch"] = "arm64" if first == "arm64" else "x86"
    tracing = p.get("Tracing")
    if tracing is None and isinstance(p.get("TracingConfig"), dict):
        tracing = p["TracingConfig"].get("Mode")
    tracing = ctx.scalar(tracing)
    # SAM's `Tracing: Disabled` deploys no TracingConfig at all: the same as leaving it unset
    if isinstance(tracing, str) and not (p.get("Tracing") is not None and tracing == "Disabled"):
        out["tracing"] = tracing.lower() == "active"
    rc = ctx.number(p.get("ReservedConcurrentExecutions"))
    if rc is not None:
        out["reserved_concurrency"] = int(rc)
    pc = p.get("ProvisionedConcurrencyConfig")
    if isinstance(pc, dict):
        n = ctx.number(pc.get("ProvisionedConcurrentExecutions"))
        if n is not None:
            out["provisioned_concurrency"] = int(n)
    layers = p.get("Layers")
    if isinstance(layers, list) and layers:
        out["layers"] = len(layers)
    vpc = p.get("VpcConfig")
    if isinstance(vpc, dict) and (vpc.get("SubnetIds") or vpc.get("SecurityGroupIds")):
        out["vpc"] = True
    env = p.get("Environment")
    variables = env.get("Variables") if isinstance(env, dict) else None
    if isinstance(variables, dict):
        secrets = sorted(
            str(k) for k, v in variables.items()
            if SECRET_NAME.search(str(k)) and isinstance(v, str | int) and str(v)
            and not str(v).startswith(("arn:", "{{resolve:"))
        )
        if secrets:
            out["env_secrets"] = secrets
    url = p.get("FunctionUrlConfig")
    if isinstance(url, dict):
        out["url"] = True
        auth = ctx.scalar(url.get("AuthType"))
        if isinstance(auth, str):
            out["url_auth"] = "none" if auth.upper() == "NONE" else "iam"
    return out


def sqs_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ctx.flag(p.get("FifoQueue")):
        out["fifo"] = True
    vis = _seconds(ctx, p.get("VisibilityTimeout"))
    if vis is not None:
        out["visibility"] = vis
    ret = _seconds(ctx, p.get("MessageRetentionPeriod"))
    if ret is not None:
        out["retention"] = ret
    if p.get("KmsMasterKeyId") is not None:
        out["encryption"] = "sse-kms"
    else:
        managed = ctx.flag(p.get("SqsManagedSseEnabled"))
        if managed is True:
            out["encryption"] = "sse-sqs"
        elif managed is False:
            out["encryption"] = "none"
    return out


def sns_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ctx.flag(p.get("FifoTopic")):
        out["fifo"] = True
    if p.get("KmsMasterKeyId") is not None:
        out["encryption"] = "sse-kms"
    return out


def kinesis_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    details = p.get("StreamModeDetails")
    mode = ctx.scalar(details.get("StreamMode")) if isinstance(details, dict) else None
    shards = ctx.number(p.get("ShardCount"))
    if isinstance(mode, str):
        out["mode"] = "on-demand" if mode.upper() == "ON_DEMAND" else "provisioned"
    elif shards is not None:
        out["mode"] = "provisioned"
    if shards is not None:
        out["shards"] = int(shards)
    enc = p.get("StreamEncryption")
    if isinstance(enc, dict):
        etype = ctx.scalar(enc.get("EncryptionType"))
        out["encryption"] = "sse-kms" if str(etype).upper() == "KMS" else "none"
    return out


def firehose_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    enc = p.get("DeliveryStreamEncryptionConfigurationInput")
    if isinstance(enc, dict):  # an AWS-owned key unless the key is the customer's
        customer = str(ctx.scalar(enc.get("KeyType")) or "").upper() == "CUSTOMER_MANAGED_CMK"
        out["encryption"] = "sse-kms" if customer else "default"
    for key in ("ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"):
        dest = p.get(key)
        hints = dest.get("BufferingHints") if isinstance(dest, dict) else None
        if isinstance(hints, dict):
            interval = _seconds(ctx, hints.get("IntervalInSeconds"))
            size = ctx.number(hints.get("SizeInMBs"))
            if interval is not None:
                out["buffer_interval"] = interval
            if size is not None:
                out["buffer_size"] = int(size) * MB
            break
    return out


def dynamodb_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    billing = ctx.scalar(p.get("BillingMode"))
    throughput = p.get("ProvisionedThroughput")
    if isinstance(billing, str):
        out["billing"] = "on-demand" if billing.upper() == "PAY_PER_REQUEST" else "provisioned"
    elif isinstance(throughput, dict):
        out["billing"] = "provisioned"
    elif ctx.rtype(logical) == "AWS::DynamoDB::Table":
        out["billing"] = "provisioned"  # CloudFormation's default BillingMode
    elif ctx.rtype(logical) == "AWS::Serverless::SimpleTable":
        out["billing"] = "on-demand"  # SAM: PAY_PER_REQUEST unless ProvisionedThroughput
    if isinstance(throughput, dict):
        rcu = ctx.number(throughput.get("ReadCapacityUnits"))
        wcu = ctx.number(throughput.get("WriteCapacityUnits"))
        if rcu is not None:
            out["rcu"] = int(rcu)
        if wcu is not None:
            out["wcu"] = int(wcu)
    writes = p.get("WriteProvisionedThroughputSettings")
    if isinstance(writes, dict) and isinstance(writes.get("WriteCapacityAutoScalingSettings"),
                                               dict):
        out["autoscaling"] = True  # a global table scales its writes (and reads) inline
    sse = p.get("SSESpecification")
    if isinstance(sse, dict) and ctx.flag(sse.get("SSEEnabled")):
        out["encryption"] = "sse-kms"  # SSEEnabled switches from the AWS-owned key to KMS
    pitr = p.get("PointInTimeRecoverySpecification")
    if isinstance(pitr, dict) and ctx.flag(pitr.get("PointInTimeRecoveryEnabled")):
        out["pitr"] = True
    replicas = [r for r in p.get("Replicas") or () if isinstance(r, dict)] \
        if isinstance(p.get("Replicas"), list) else []
    if replicas and all(isinstance(r.get("PointInTimeRecoverySpecification"), dict) and ctx.flag(
            r["PointInTimeRecoverySpecification"].get("PointInTimeRecoveryEnabled"))
            for r in replicas):
        out["pitr"] = True  # a global table: PITR is set per replica, and every one has it
    ttl = p.get("TimeToLiveSpecification")
    if isinstance(ttl, dict) and ctx.flag(ttl.get("Enabled")):
        out["ttl"] = True
    if isinstance(p.get("StreamSpecification"), dict):
        out["stream"] = True
    return out


def s3_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    enc = p.get("BucketEncryption")
    rules = enc.get("ServerSideEncryptionConfiguration") if isinstance(enc, dict) else None
    if isinstance(rules, list) and rules and isinstance(rules[0], dict):
        default = rules[0].get("ServerSideEncryptionByDefault")
        algo = ctx.scalar(default.get("SSEAlgorithm")) if isinstance(default, dict) else None
        if isinstance(algo, str):
            out["encryption"] = "sse-kms" if "kms" in algo.lower() else "sse-s3"
    ver = p.get("VersioningConfiguration")
    if isinstance(ver, dict) and str(ctx.scalar(ver.get("Status"))) == "Enabled":
        out["versioning"] = True
    acl = ctx.scalar(p.get("AccessControl"))
    if isinstance(acl, str) and acl.startswith("PublicRead"):
        out["public"] = True
    block = p.get("PublicAccessBlockConfiguration")
    if isinstance(block, dict) and any(
            k not in block or ctx.flag(block[k]) is False for k in PUBLIC_ACCESS_BLOCK):
        # a stated configuration replaces S3's all-on default: an omitted setting is off
        out["block_public_access"] = False
    return out


# The four S3 Block Public Access settings (AWS::S3::Bucket PublicAccessBlockConfiguration).
PUBLIC_ACCESS_BLOCK = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls",
                       "RestrictPublicBuckets")


def sfn_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    stype = ctx.scalar(p.get("Type", p.get("StateMachineType")))
    if isinstance(stype, str):
        out["type"] = "express" if stype.upper() == "EXPRESS" else "standard"
    logging = p.get("Logging", p.get("LoggingConfiguration"))
    if logging is not None:
        level = ctx.scalar(logging.get("Level")) if isinstance(logging, dict) else None
        # Level OFF (Step Functions' default when a configuration leaves it out) logs nothing;
        # a parameter or expression is taken as logging
        if not (isinstance(level, str) and level.upper() == "OFF") and (
                not isinstance(logging, dict) or "Level" in logging):
            out["logging"] = True
    tracing = p.get("Tracing", p.get("TracingConfiguration"))
    if isinstance(tracing, dict):
        enabled = ctx.flag(tracing.get("Enabled"))
        if enabled is not None:
            out["tracing"] = enabled
    return out


def eventbridge_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pattern = p.get("EventPattern")
    if pattern is not None:
        out["pattern"] = pattern_text(pattern)
    schedule = ctx.scalar(p.get("ScheduleExpression"))
    if isinstance(schedule, str):
        out["schedule"] = schedule
    if p.get("KmsKeyIdentifier") is not None:
        out["encryption"] = "sse-kms"
    return out


def scheduler_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    schedule = ctx.scalar(p.get("ScheduleExpression"))
    return {"schedule": schedule} if isinstance(schedule, str) else {}


def logs_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    days = ctx.number(p.get("RetentionInDays"))
    return {"retention": int(days)} if days is not None else {}


def cognito_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"pool": "identity"} if ctx.rtype(logical).endswith("IdentityPool") else {}


def appsync_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    auth = p.get("AuthenticationType")
    if auth is None and isinstance(p.get("Auth"), dict):
        auth = p["Auth"].get("Type")
    auth = ctx.scalar(auth)
    if isinstance(auth, str) and auth.upper() in APPSYNC_AUTH:
        out["auth"] = APPSYNC_AUTH[auth.upper()]
    xray = ctx.flag(p.get("XrayEnabled"))
    if xray is not None:
        out["tracing"] = xray
    logging = _appsync_logging(ctx, logical, p)
    if logging is not None:
        out["logging"] = logging
    return out


def _appsync_logging(ctx: Ctx, logical: str, p: dict[str, Any]) -> bool | None:
    """AppSync logs once `LogConfig` names the role it writes with; SAM's GraphQLApi makes
    that role and logs unless `Logging: false` (the SAM translator's expansions)."""
    if ctx.rtype(logical) == "AWS::Serverless::GraphQLApi":
        given = p.get("Logging")  # `false`: no LogConfig, as in the expansion (unset)
        return None if not isinstance(given, dict) and ctx.flag(given) is False else True
    config = p.get("LogConfig")
    if isinstance(config, dict) and config.get("CloudWatchLogsRoleArn") is not None:
        return True
    return None


def kms_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rotation = ctx.flag(p.get("EnableKeyRotation"))
    if rotation is not None:
        out["rotation"] = rotation
    spec, origin = ctx.scalar(p.get("KeySpec")), ctx.scalar(p.get("Origin"))
    if (isinstance(spec, str) and spec.upper() != "SYMMETRIC_DEFAULT") or (
            isinstance(origin, str) and origin.upper() != "AWS_KMS"):
        out["rotatable"] = False  # asymmetric, HMAC, or imported key material
    return out


def http_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    url = ctx.scalar(p.get("InvocationEndpoint"))
    return {"url": url} if isinstance(url, str) else {}


def store_encryption(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    """RDS and OpenSearch: encrypted only when the template says so."""
    if ctx.flag(p.get("StorageEncrypted")):
        return {"encryption": "sse-kms" if p.get("KmsKeyId") else "default"}
    ear = p.get("EncryptionAtRestOptions")
    if isinstance(ear, dict) and ctx.flag(ear.get("Enabled")):
        return {"encryption": "sse-kms" if ear.get("KmsKeyId") else "default"}
    if ctx.rtype(logical) == "AWS::OpenSearchServerless::Collection":
        return {"encryption": "default"}  # collections always encrypt (encryption policy)
    return {}


def alb_props(ctx: Ctx, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    scheme = ctx.scalar(p.get("Scheme"))
    return {"scheme": scheme} if scheme in ("internet-facing", "internal") else {}


_BUILDERS = {
    "lambda": lambda_props,
    "sqs": sqs_props,
    "sns": sns_props,
    "kinesis": kinesis_props,
    "firehose": firehose_props,
    "dynamodb": dynamodb_props,
    "s3": s3_props,
    "sfn": sfn_props,
    "eventbridge": eventbridge_props,
    "scheduler": scheduler_props,
    "logs": logs_props,
    "cognito": cognito_props,
    "appsync": appsync_props,
    "kms": kms_props,
    "http": http_props,
    "rds": store_encryption,
    "opensearch": store_encryption,
    "alb": alb_props,
}
