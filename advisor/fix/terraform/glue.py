"""Glue removal in Terraform (the same choices as advisor/fix/cfn/: integrations.py,
pipes.py, glue.py, s3.py, native.py): the function's resources go, the services connect
natively, in the module file that declares them, written as `terraform fmt` would.

`remove_function` deletes the `aws_lambda_function` block and what only it used: its
event source mappings, permissions, invoke configs, URLs, aliases, its
`/aws/lambda/<name>` log group, its role (with the role's policies, attachments and the
policies and policy documents only they use), the `archive_file` data source that zips
only it, and outputs that name any of these. Anything else that names one of them keeps
the function, with that resource named.

What each native connection sends is what the function sent (its SDK call read from the
handler, advisor.fix.mapping); the target's name comes from the module's own resource.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.context import FixContext
from advisor.fix.registry import register
from advisor.fix.terraform.families import FMT, _addr, _module_files, _refs
from advisor.fix.terraform.hcl import Call, HclFile, Nested, Raw, resource_text
from advisor.fix.terraform.target import TerraformTarget

OWNED = {
    "aws_lambda_permission": "function_name",
    "aws_lambda_event_source_mapping": "function_name",
    "aws_lambda_function_event_invoke_config": "function_name",
    "aws_lambda_function_url": "function_name",
    "aws_lambda_alias": "function_name",
    "aws_lambda_provisioned_concurrency_config": "function_name",
}
ROLE_PARTS = ("aws_iam_role_policy", "aws_iam_role_policy_attachment")


def _block_refs(block: Any) -> set[str]:
    """`type.name` (`data.type.name`) of everything a block references."""
    out: set[str] = set()
    stack = [block]
    while stack:
        b = stack.pop()
        for path in _refs(b.attrs):
            parts = path.split(".")
            if parts[0] == "data" and len(parts) >= 3:
                out.add(".".join(parts[:3]))
            elif parts[0] in ("var", "local", "module", "each", "count", "path", "self"):
                continue
            elif len(parts) >= 2:
                out.add(".".join(parts[:2]))
        stack.extend(b.blocks)
    return out


def _role_part(block: Any, role: str) -> bool:
    """An inline policy or attachment of the role (its `role` names it)."""
    return block.type == "resource" and block.labels[0] in ROLE_PARTS and any(
        r == role or r.startswith(role + ".") for r in _refs(block.attrs.get("role")))


def _key(block: Any) -> str:
    if block.type == "data":
        return f"data.{block.labels[0]}.{block.labels[1]}"
    if block.type == "resource":
        return f"{block.labels[0]}.{block.labels[1]}"
    return f"{block.type}.{'.'.join(block.labels)}"


def remove_function(ctx: FixContext, t: TerraformTarget, f: HclFile, fn: Any,
                    handled: set[str]) -> None:
    files = _module_files(t, f)
    blocks = [(mf, b) for mf in files for b in mf.blocks if b.line not in mf.removed]
    by_key = {_key(b): (mf, b) for mf, b in blocks}
    refs_of = {_key(b): _block_refs(b) for _, b in blocks}
    fn_key = _key(fn)
    gone = {fn_key}
    role = next((r for r in _refs(fn.attrs.get("role")) if r.startswith("aws_iam_role.")), None)
    role_key = ".".join(role.split(".")[:2]) if role else None
    changed = True
    while changed:  # what references removed things, and only belongs to them, goes too
        changed = False
        for key, (_, b) in by_key.items():
            if key in gone or key in handled or not refs_of[key] & gone:
                continue
            kind = b.labels[0] if b.type in ("resource", "data") else b.type
            if kind in OWNED or kind in ROLE_PARTS or b.type == "output" or (
                    kind == "aws_cloudwatch_log_group"
                    and "/aws/lambda/" in str(b.attrs.get("name"))):
                gone.add(key)
                changed = True
    # the role, its policies and what only they use
    if role_key and role_key in by_key:
        users = {k for k, r in refs_of.items() if role_key in r and k not in gone
                 and not _role_part(by_key[k][1], role_key)}
        if not users:
            gone.add(role_key)
            for key, r in refs_of.items():
                kind = key.split(".")[0]
                if _role_part(by_key[key][1], role_key) or (
                        role_key in r and key.startswith("output.")):
                    gone.add(key)
    for _ in range(3):  # policies, documents and zip data sources nothing else uses
        for key in by_key:
            if key in gone or key in handled:
                continue
            kind = key.split(".")[1] if key.startswith("data.") else key.split(".")[0]
            if kind not in ("aws_iam_policy", "aws_iam_policy_document", "archive_file"):
                continue
            users = {k for k, r in refs_of.items() if key in r}
            if users and users <= gone:
                gone.add(key)
    for key, r in refs_of.items():
        if key in gone or key in handled:
            continue
        hit = r & gone
        if hit:
            raise Unpatchable(f"{key} still references {', '.join(sorted(hit))}")
    for key in sorted(gone):
        mf, b = by_key[key]
        mf.remove(b)


# ------------------------------------------------------------------ helpers
def _role(t: TerraformTarget, f: HclFile, base: str, service: str, actions: list[str],
          resource: str, extra: list[dict[str, Any]] | None = None) -> str:
    name = t.unique_name(f, "aws_iam_role", base)
    f.append(resource_text("aws_iam_role", name, [
        ("name_prefix", name.replace("_", "-")[:30]),
        ("assume_role_policy", Call("jsonencode", {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                           "Action": "sts:AssumeRole"}],
        })),
    ]))
    statements = [{"Effect": "Allow", "Action": actions[0] if len(actions) == 1 else actions,
                   "Resource": Raw(resource)}, *(extra or [])]
    policy = t.unique_name(f, "aws_iam_role_policy", f"{name}_policy")
    f.append(resource_text("aws_iam_role_policy", policy, [
        ("name", policy.replace("_", "-")),
        ("role", Raw(f"aws_iam_role.{name}.id")),
        ("policy", Call("jsonencode", {"Version": "2012-10-17", "Statement": statements})),
    ]))
    return f"aws_iam_role.{name}"


def _sdk(ctx: FixContext, fn_node: str, fn: Any, f: HclFile, first_record: bool = False) -> Any:
    from advisor.fix.handler import read_handler

    found = read_handler(ctx, fn_node, f.path, fn.attrs.get("handler"),
                         first_record=first_record)
    return found.call if found is not None else None


def _env(fn: Any) -> dict[str, Any]:
    """The function's environment variables: literals, or references written `${...}`."""
    from advisor.fix.requests import Env2Value

    env_block = fn.first("environment")
    variables = env_block.attrs.get("variables") if env_block is not None else None
    out: dict[str, Any] = {}
    if not isinstance(variables, dict):
        return out
    for k, v in variables.items():
        if isinstance(v, str) and "${" not in v:
            out[str(k)] = Env2Value(literal=v)
        else:
            refs = _refs(v)
            if len(refs) == 1:
                out[str(k)] = Env2Value(sub=refs[0])
    return out


def _attr_of(kind: str, what: str) -> str:
    """The attribute of a target resource that gives its name/URL/ARN."""
    table = {
        ("sqs", "name"): "url", ("sns", "name"): "arn", ("dynamodb", "name"): "name",
        ("kinesis", "name"): "name", ("firehose", "name"): "name", ("sfn", "name"): "arn",
        ("eventbridge", "name"): "name",
    }
    return table.get((kind, what), "arn")


def _region(t: TerraformTarget, f: HclFile) -> str:
    """`data.aws_region.<name>.name`, adding the data source when the module has none."""
    for mf in _module_files(t, f):
        for b in mf.blocks:
            if b.type == "data" and b.labels[0] == "aws_region":
                return f"data.aws_region.{b.labels[1]}.name"
    f.append('data "aws_region" "current" {}\n')
    return "data.aws_region.current.name"


# ------------------------------------------------------------------ API Gateway
@register(FMT, "GLUE-APIGW-SQS", "GLUE-APIGW-SNS", "GLUE-APIGW-DYNAMODB", "GLUE-APIGW-KINESIS",
          "GLUE-APIGW-FIREHOSE", "GLUE-APIGW-EVENTBRIDGE", "GLUE-APIGW-SFN")
def api_to_service(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.data import integration_action, service_integration, service_target
    from advisor.fix.requests import Target, http_params, vtl_form, vtl_json

    api_node, fn_node, target_node = ctx.match[:3]
    f, fn, _ = t.block_of(ctx, fn_node)
    if fn.labels[0] != "aws_lambda_function":
        raise Unpatchable(f"{fn_node} is a {fn.labels[0]}")
    tf_target, tblock, _ = t.block_of(ctx, target_node)
    if tf_target is not f and Path(tf_target.path).parent != Path(f.path).parent:
        raise Unpatchable("the target is in another module than the function")
    kind = ctx.before.kind(target_node)
    spec = service_integration(kind)
    if spec is None:
        raise Unpatchable(f"no API Gateway service integration is written for {kind}")
    sdk = _sdk(ctx, fn_node, fn, f)
    if sdk is None:
        raise Unpatchable(f"the handler of {fn_node} was not read, so what it sends is not "
                          "known")
    action = integration_action(spec, sdk.method)
    if action is None:
        raise Unpatchable(f"{sdk.method} has no {spec['service']} service integration here")
    from advisor.fix.cfn.integrations import _without_target

    args = _without_target(kind, sdk)
    if sdk.document:
        raise Unpatchable("a DynamoDB document client's items are not marshalled for Terraform "
                          "yet")
    target = _addr(tblock)
    env = _env(fn)
    api_type = (ctx.node(api_node).get("props") or {}).get("type", "rest")
    integs = [(mf, b) for mf in _module_files(t, f) for b in mf.resources(
        "aws_apigatewayv2_integration" if api_type == "http" else "aws_api_gateway_integration")
        if _addr(fn) in {".".join(r.split(".")[:2]) for r in _refs(b.attrs.get(
            "integration_uri" if api_type == "http" else "uri"))}]
    if not integs:
        raise Unpatchable(f"no integration of {api_node} with {fn_node} found")
    role = _role(t, f, f"{api_node}_to_{tblock.labels[1]}", "apigateway.amazonaws.com",
                 [spec["iam"][action]], f"{target}.arn")
    handled = {_key(b) for _, b in integs}
    for mf, b in integs:
        if api_type == "http":
            subtype = (spec.get("subtype") or {}).get(action)
            if subtype is None:
                raise Unpatchable(f"HTTP APIs have no {spec['service']} {action} subtype")
            params = http_params(args, list(spec["subtype_params"]), env)
            member = service_target(kind)["param"].split(".")[-1]
            by_lower = {p.lower(): p for p in spec["subtype_params"]}
            params[by_lower.get(member.lower(), member)] = Raw(
                f"{target}.{_attr_of(kind, 'name')}")
            for k in ("integration_uri", "integration_method"):
                mf.delete_attr(b, k)
            mf.set_value(b, "integration_subtype", subtype)
            mf.insert(b, [("credentials_arn", Raw(f"{role}.arn")),
                          ("payload_format_version", "1.0"),
                          ("request_parameters", {k: _hcl(v) for k, v in sorted(
                              params.items())})])
            continue
        full = dict(args)
        if service_target(kind)["how"] != "uri":
            full = {service_target(kind)["param"]: Target(target, _attr_of(kind, "name")),
                    **args}
        region = _region(t, f)
        if spec["protocol"] == "form":
            template = vtl_form(action, full, env, hcl=True)
            uri = f"arn:aws:apigateway:${{{region}}}:sns:path//"
            if kind == "sqs":  # the queue's account and name, from its URL
                uri = (f"arn:aws:apigateway:${{{region}}}:sqs:path/"
                       f"${{split(\"/\", {target}.url)[3]}}/${{{target}.name}}")
        else:
            template = vtl_json(full, env, tuple(spec.get("blobs") or ()), hcl=True)
            uri = f"arn:aws:apigateway:${{{region}}}:{spec['service']}:action/{action}"
        mf.set_value(b, "type", "AWS")
        mf.set_value(b, "uri", Raw(_hcl_string(uri)))
        mf.set_value(b, "integration_http_method", "POST")
        entries: list[tuple[str, Any]] = [("credentials", Raw(f"{role}.arn")),
                                          ("passthrough_behavior", "NEVER")]
        if spec["protocol"] == "form":
            entries.append(("request_parameters", {
                "integration.request.header.Content-Type":
                    "'application/x-www-form-urlencoded'"}))
        entries.append(("request_templates", {"application/json": Raw(_hcl_string(template))}))
        mf.insert(b, entries)
        _responses(t, mf, b, _response(ctx, fn_node, fn, f))
    ctx.note("redeploy the API's stage (a deployment's triggers) for the new integration "
             "to serve")
    remove_function(ctx, t, f, fn, handled)


def _response(ctx: FixContext, fn_node: str, fn: Any, f: HclFile) -> Any:
    from advisor.fix.handler import read_handler
    from advisor.fix.mapping import read_response

    handler = read_handler(ctx, fn_node, f.path, fn.attrs.get("handler"))
    found = read_response(handler.path, handler.name) if handler else None
    if found is None or found.body is None or "$" in found.body or "#" in found.body:
        ctx.note("the API now answers with the service's response instead of the function's")
    return found


def _responses(t: TerraformTarget, f: HclFile, integ: Any, found: Any) -> None:
    """The method response and integration response of an AWS integration (AWS_PROXY
    needs neither, an AWS integration both): the function's one success response when it
    was a constant, else 200 with the service's response."""
    addr = _addr(integ)
    for key in ("rest_api_id", "resource_id", "http_method"):
        if f.raw_value(integ, key) is None:
            raise Unpatchable(f"{addr}'s {key} is not a one-line expression")
    common = [(k, Raw(str(f.raw_value(integ, k)))) for k in
              ("rest_api_id", "resource_id", "http_method")]
    status = str(found.status) if found is not None else "200"
    method = t.unique_name(f, "aws_api_gateway_method_response",
                           f"{integ.labels[1]}_{status}")
    f.append(resource_text("aws_api_gateway_method_response", method,
                           [*common, ("status_code", status)]))
    resp = t.unique_name(f, "aws_api_gateway_integration_response",
                         f"{integ.labels[1]}_response")
    entries: list[tuple[str, Any]] = [
        *common,
        ("status_code", Raw(f"aws_api_gateway_method_response.{method}.status_code")),
    ]
    if found is not None and found.body is not None and "$" not in found.body and \
            "#" not in found.body:
        entries.append(("response_templates", {found.content_type: found.body}))
    entries.append(("depends_on", Raw(f"[{addr}]")))
    f.append(resource_text("aws_api_gateway_integration_response", resp, entries))


def _hcl_string(text: str) -> str:
    """`text` as an HCL quoted template: `"` and `\\` escaped outside `${...}`."""
    out, i, depth = ['"'], 0, 0
    while i < len(text):
        if text.startswith("${", i) and not text.startswith("$${", i - 1 if i else 0):
            depth += 1
            out.append("${")
            i += 2
            continue
        c = text[i]
        if depth:
            depth += {"{": 1, "}": -1}.get(c, 0)
            out.append(c)
        elif c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        else:
            out.append(c)
        i += 1
    return "".join(out) + '"'



def _hcl(value: Any) -> Any:
    """A parameter value for HCL: references as expressions."""
    from advisor.fix.emit import Sub

    if isinstance(value, Sub):
        inner = value.text
        if inner.startswith("${") and inner.endswith("}") and inner.count("${") == 1:
            return Raw(inner[2:-1])
        return Raw(_hcl_string(inner))
    return value


# ------------------------------------------------------------------ left with a reason
@register(FMT, "GLUE-SFN-OPTIMIZED", "GLUE-SFN-SDK")
def sfn_task(ctx: FixContext, t: TerraformTarget) -> None:
    raise Unpatchable("a Terraform state machine's definition is an expression (jsonencode, "
                      "templatefile, file) whose task is not edited here yet; replace the "
                      "task's Resource and Parameters by hand")


@register(FMT, "GLUE-APPSYNC-DATASOURCE", "GLUE-SSM-AUTOMATION", "GLUE-EVENTBRIDGE-HTTP",
          "GLUE-EXPRESS-SDK-TASK", "GLUE-EXPRESS-SDK-TASK-UNSHOWN")
def needs_user_code(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.cfn.native import needs_user_code as cfn

    cfn(ctx, t)


__all__ = ["Nested", "api_to_service", "needs_user_code", "remove_function", "sfn_task"]


# ------------------------------------------------------------------ EventBridge Pipes
PIPE_BLOCKS = {"sqs": "sqs_queue_parameters", "kinesis": "kinesis_stream_parameters",
               "dynamodb": "dynamodb_stream_parameters"}
ESM_TO_PIPE = {"batch_size": "batch_size",
               "maximum_batching_window_in_seconds": "maximum_batching_window_in_seconds",
               "starting_position": "starting_position",
               "maximum_retry_attempts": "maximum_retry_attempts",
               "maximum_record_age_in_seconds": "maximum_record_age_in_seconds",
               "parallelization_factor": "parallelization_factor"}
QUEUE_SETTINGS = ("batch_size", "maximum_batching_window_in_seconds")


@register(FMT, "GLUE-STREAM-PIPES")
def stream_to_pipe(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.cfn.pipes import _leaves, _member, _per_record
    from advisor.fix.data import pipe_source, pipe_target, service_target
    from advisor.fix.requests import _pipe_text, pipe_template
    from advisor.importers.handlers import payload

    src_node, fn_node, target_node = ctx.match[:3]
    f, fn, _ = t.block_of(ctx, fn_node)
    pipes = ctx.added("pipes")
    if len(pipes) != 1 or fn.labels[0] != "aws_lambda_function":
        raise Unpatchable("the rewrite added no single pipe in place of a function")
    src_kind, tgt_kind = ctx.before.kind(src_node), ctx.before.kind(target_node)
    ssrc, stgt = pipe_source(src_kind), pipe_target(tgt_kind)
    if ssrc is None or stgt is None:
        raise Unpatchable(f"no pipe is written from {src_kind} to {tgt_kind}")
    ef, esm = t.edge_block(ctx, src_node, fn_node)
    if esm.labels[0] != "aws_lambda_event_source_mapping" or ef is not f:
        raise Unpatchable(f"{src_node} -> {fn_node} is not an event source mapping in the "
                          "function's file")
    source = f.raw_value(esm, "event_source_arn")
    tf, tblock, _ = t.block_of(ctx, target_node)
    if source is None or Path(tf.path).parent != Path(f.path).parent:
        raise Unpatchable("the pipe's source or target is not in the function's module")
    target = f"{_addr(tblock)}.arn"
    sdk = _sdk(ctx, fn_node, fn, f, first_record=True)
    params: list[tuple[str, Any]] = []
    template: str | None = "<$.body>" if src_kind == "sqs" else None
    target_blocks: dict[str, list[tuple[str, Any]]] = {}
    if sdk is None:
        ctx.note(f"the handler of {fn_node} was not read: the pipe sends each record's body, "
                 "as a function that only forwards does")
    else:
        if not _per_record(sdk.args):
            raise Unpatchable(f"{fn_node} sends the whole batch in one call; a pipe sends "
                              "each record")
        name = str(payload.member(tgt_kind))
        known = {name, service_target(tgt_kind)["param"].replace("*", "0"),
                 *(stgt.get("params") or {})}
        for extra in sorted(_leaves(sdk.args) - known):
            raise Unpatchable(f"the handler also sets {extra}, which a pipe to {tgt_kind} "
                              "cannot send")
        env = _env(fn)
        template = pipe_template(_member(sdk.args, name), src_kind, env)
        for member, (block, key) in (stgt.get("params") or {}).items():
            value = _member(sdk.args, member, required=False)
            if value is not None:
                target_blocks.setdefault(_snake(block), []).append(
                    (_snake(key), _pipe_text(value, src_kind, env, quoted=False)))
    for key, dst in ESM_TO_PIPE.items():
        if src_kind == "sqs" and key not in QUEUE_SETTINGS:
            continue
        raw = f.raw_value(esm, key)
        if raw is not None:
            params.append((dst, Raw(raw)))
    if src_kind != "sqs" and not any(k == "starting_position" for k, _ in params):
        params.append(("starting_position", "LATEST"))
    if esm.first("destination_config") is not None or esm.first("filter_criteria") is not None:
        raise Unpatchable("the mapping's destination or filter criteria are not carried to "
                          "the pipe in Terraform yet")
    pipe = t.unique_name(f, "aws_pipes_pipe", f"{fn.labels[1]}_pipe")
    role = _role(t, f, f"{pipe}_role", "pipes.amazonaws.com", list(ssrc["read"]),
                 _source_arn(source), [{"Effect": "Allow", "Action": list(stgt["write"]),
                                        "Resource": Raw(target)}])
    fixed = stgt.get("fixed") or {}
    for block, values in fixed.items():
        target_blocks.setdefault(_snake(block), []).extend(
            (_snake(k), v) for k, v in values.items())
    tp: list[tuple[str, Any]] = []
    if template is not None:
        tp.append(("input_template", template))
    tp += [(name, Nested(entries)) for name, entries in sorted(target_blocks.items())]
    body: list[tuple[str, Any]] = [
        ("name", pipe.replace("_", "-")),
        ("role_arn", Raw(f"{role}.arn")),
        ("source", Raw(source)),
        ("target", Raw(target)),
        ("source_parameters", Nested([(PIPE_BLOCKS[src_kind], Nested(params))])),
    ]
    if tp:
        body.append(("target_parameters", Nested(tp)))
    f.append(resource_text("aws_pipes_pipe", pipe, body))
    ctx.names[pipes[0]] = f"{f.module_prefix}aws_pipes_pipe.{pipe}"
    remove_function(ctx, t, f, fn, set())


def _snake(name: str) -> str:
    import re

    out = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return out.replace("dynamo_d_b", "dynamodb").replace("event_bridge", "eventbridge")


def _source_arn(raw: str) -> str:
    """The stream's ARN for IAM: a DynamoDB stream ARN as it is."""
    return raw


# ------------------------------------------------------------------ SNS / EventBridge
def _message(ctx: FixContext, fn_node: str, fn: Any, f: HclFile, kind: str,
             first_record: bool = False) -> Any:
    """What the function sent as the message (None: its handler was not read);
    `first_record` as advisor.fix.cfn.glue.forwarded_message takes it."""
    from advisor.fix.cfn.glue import _TARGET_MEMBERS, _TARGET_PARAMS, MESSAGE_MEMBER

    sdk = _sdk(ctx, fn_node, fn, f, first_record)
    if sdk is None:
        ctx.note(f"the handler of {fn_node} was not read: the native connection delivers the "
                 "message unchanged, as a function that only forwards does")
        return None, {}
    member = MESSAGE_MEMBER.get(kind, "")
    node: Any = sdk.args
    for part in member.split("."):
        if not isinstance(node, dict) or part not in node:
            raise Unpatchable(f"the handler's call has no {member}")
        node = node[part]
    extra = set(sdk.args) - {member.split(".")[0], _TARGET_MEMBERS.get(kind, ""),
                             *_TARGET_PARAMS.get(kind, ())}
    if extra:
        raise Unpatchable(f"the handler also sets {', '.join(sorted(extra))}, which the "
                          "native connection does not send")
    return node, sdk.args


@register(FMT, "GLUE-SNS-SQS")
def sns_to_sqs(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.requests import sns_raw_delivery
    from advisor.fix.terraform.families import queue_policy

    topic_node, fn_node, queue_node = ctx.match[:3]
    f, fn, _ = t.block_of(ctx, fn_node)
    qf, queue, _ = t.block_of(ctx, queue_node)
    if Path(qf.path).parent != Path(f.path).parent:
        raise Unpatchable("the queue is in another module than the function")
    message, _ = _message(ctx, fn_node, fn, f, "sqs", first_record=True)
    raw = True if message is None else sns_raw_delivery(message)
    subs = [(mf, b) for mf in _module_files(t, f) for b in mf.resources(
        "aws_sns_topic_subscription") if _addr(fn) in {".".join(r.split(".")[:2])
                                                        for r in _refs(b.attrs.get("endpoint"))}]
    if len(subs) != 1:
        raise Unpatchable(f"no single aws_sns_topic_subscription of {fn_node} found")
    sf, sub = subs[0]
    sf.set_value(sub, "protocol", "sqs")
    sf.set_value(sub, "endpoint", Raw(f"{_addr(queue)}.arn"))
    sf.set_value(sub, "raw_message_delivery", raw)
    dlq = ctx.after_edge(topic_node, queue_node).get("dlq")
    if dlq and "redrive_policy" not in sub.attrs:
        name = ctx.names.get(str(dlq), "")
        sf.insert(sub, [("redrive_policy", Call("jsonencode", {
            "deadLetterTargetArn": Raw(f"{name.split('.', 1)[-1] if name else dlq}.arn")}))])
    topic_arn = sf.raw_value(sub, "topic_arn")
    if topic_arn is None:
        raise Unpatchable("the subscription's topic_arn is not a one-line expression")
    queue_policy(t, qf, _addr(queue), "sns.amazonaws.com", topic_arn)
    remove_function(ctx, t, f, fn, {_key(sub)})


@register(FMT, "GLUE-EVENTBRIDGE-SQS", "GLUE-EVENTBRIDGE-SNS", "GLUE-EVENTBRIDGE-SFN",
          "GLUE-EVENTBRIDGE-KINESIS")
def rule_to_service(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.requests import eventbridge_input
    from advisor.fix.terraform.families import queue_policy

    rule_node, fn_node, target_node = ctx.match[:3]
    f, fn, _ = t.block_of(ctx, fn_node)
    tf_, target, _ = t.block_of(ctx, target_node)
    if Path(tf_.path).parent != Path(f.path).parent:
        raise Unpatchable("the target is in another module than the function")
    kind = ctx.before.kind(target_node)
    message, args = _message(ctx, fn_node, fn, f, kind)
    targets = [(mf, b) for mf in _module_files(t, f) for b in mf.resources(
        "aws_cloudwatch_event_target") if _addr(fn) in {".".join(r.split(".")[:2])
                                                         for r in _refs(b.attrs.get("arn"))}]
    if len(targets) != 1:
        raise Unpatchable(f"no single aws_cloudwatch_event_target of {fn_node} found")
    ef, et = targets[0]
    if message is not None:
        shaped = eventbridge_input(message)
        if shaped and any(k in et.attrs or et.first(k) is not None
                          for k in ("input", "input_path", "input_transformer")):
            raise Unpatchable("the rule already reshapes the event for the function")
        if "InputPath" in shaped:
            ef.insert(et, [("input_path", shaped["InputPath"])])
        elif "InputTransformer" in shaped:
            it = shaped["InputTransformer"]
            ef.insert(et, [("input_transformer", Nested([
                ("input_paths", it["InputPathsMap"]),
                ("input_template", it["InputTemplate"])]))])
    ef.set_value(et, "arn", Raw(f"{_addr(target)}.arn"))
    dlq = ctx.after_edge(rule_node, target_node).get("dlq")
    if dlq and et.first("dead_letter_config") is None:
        addr = ctx.names.get(str(dlq)) or ctx.source_id(str(dlq))
        ef.insert(et, [("dead_letter_config", Nested([
            ("arn", Raw(f"{addr.removeprefix(ef.module_prefix)}.arn"))]))])
    rule = ef.raw_value(et, "rule")
    if rule is None:
        raise Unpatchable("the target's rule is not a one-line expression")
    rule_arn = rule[:-5] + ".arn" if rule.endswith(".name") else rule + ".arn" \
        if not rule.endswith(".arn") else rule
    if kind == "sqs":
        queue_policy(t, tf_, _addr(target), "events.amazonaws.com", rule_arn)
    elif kind == "sns":
        name = t.unique_name(tf_, "aws_sns_topic_policy", f"{target.labels[1]}_events")
        tf_.append(resource_text("aws_sns_topic_policy", name, [
            ("arn", Raw(f"{_addr(target)}.arn")),
            ("policy", Call("jsonencode", {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish", "Resource": Raw(f"{_addr(target)}.arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": Raw(rule_arn)}}}]})),
        ]))
    else:
        action = "kinesis:PutRecord" if kind in ("kinesis",) else "firehose:PutRecord" \
            if kind == "firehose" else "states:StartExecution"
        role = _role(t, ef, f"{target.labels[1]}_events", "events.amazonaws.com", [action],
                     f"{_addr(target)}.arn")
        ef.set_value(et, "role_arn", Raw(f"{role}.arn"))
        key = args.get("PartitionKey") if args else None
        if key is not None:
            from advisor.fix.mapping import Event

            if not (isinstance(key, Event) and key.where == "doc"):
                raise Unpatchable("the handler's partition key is not a field of the event")
            ef.insert(et, [("kinesis_target", Nested([(
                "partition_key_path", "$" + "".join(f".{k}" for k in key.keys))]))])
    remove_function(ctx, t, f, fn, {_key(et)})


@register(FMT, "GLUE-")
def not_generated(ctx: FixContext, t: TerraformTarget) -> None:
    raise Unpatchable(f"{ctx.rewrite.rule} is not generated for Terraform yet; make the change "
                      "the finding describes by hand")
