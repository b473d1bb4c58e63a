"""Glue between API Gateway and an AWS service, removed in CloudFormation/SAM: the API calls
the service itself (GLUE-APIGW-SQS/SNS/DYNAMODB/KINESIS/FIREHOSE/EVENTBRIDGE/SFN).

What the integration sends is what the function sent: the arguments of its one SDK call,
read from the handler (advisor.fix.mapping), written as a REST API mapping template or an
HTTP API parameter mapping (advisor.fix.requests). The member that names the target (the
queue, table, stream...) is written from the template's own resource. A function whose
handler was not read forwards the body as is, for the services that take a message
(stated beside the patch); a DynamoDB item cannot be guessed, so that is not patched.
When the handler answered with one constant success response, the integration answers
the same (a REST integration response template); otherwise the API now answers with the
service's response, and the patch says so.

Where the API meets the function:
- explicit `AWS::ApiGateway::Method`s / `AWS::ApiGatewayV2::Integration`s: rewritten;
- an OpenAPI body (`Body`, SAM `DefinitionBody`) naming the function: its operations'
  `x-amazon-apigateway-integration`s are rewritten;
- SAM `Api`/`HttpApi` events: the routes move into the API's `DefinitionBody` (REST:
  with `MergeDefinitions`, so SAM still merges the other functions' events; SAM applies
  the API's `Auth` defaults to these routes too). SAM's implicit API is replaced by an
  explicit one (SAM regenerates `ServerlessRestApi`'s body, so the id cannot be kept):
  every implicit event moves to it and references to the implicit ids follow; its URL
  changes, which the patch states.

The integration assumes a new role that may call the one action on the one target.
"""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.glue import remove_function
from advisor.fix.cfn.locate import node_site, resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES
from advisor.fix.cfn.template import Template, Unpatchable, plain, ref_target, refs
from advisor.fix.context import FixContext
from advisor.fix.data import integration_action, service_integration, service_target
from advisor.fix.emit import GetAtt, Ref, Sub
from advisor.fix.handler import template_handler
from advisor.fix.mapping import Event, Response, SdkArgs, read_response
from advisor.fix.requests import Target, env_values, http_params, vtl_form, vtl_json

SAM_API = "AWS::Serverless::Api"
SAM_HTTP = "AWS::Serverless::HttpApi"
IMPLICIT = {"ServerlessRestApi": ("Api", "RestApiId", SAM_API, "RestApi"),
            "ServerlessHttpApi": ("HttpApi", "ApiId", SAM_HTTP, "HttpApi")}
JSON_TYPE = "application/json"


class Call:
    """The SDK call the integration makes instead of the function: service, action,
    arguments (the target member removed), and how they were found."""

    def __init__(self, kind: str, action: str, args: dict[str, Any], read: bool) -> None:
        self.kind, self.action, self.args, self.read = kind, action, args, read
        self.spec = service_integration(kind)


# ------------------------------------------------------------------ what to send
def forwarded_call(ctx: FixContext, tpl: Template, fn_node: str, fn: str,
                   target_node: str) -> tuple[Call, Response | None]:
    kind = ctx.before.kind(target_node)
    spec = service_integration(kind)
    if spec is None:
        raise Unpatchable(f"no API Gateway service integration is written for {kind}")
    found = template_handler(ctx, tpl, fn_node, fn)
    if found is not None:
        sdk = found.call
        action = integration_action(spec, sdk.method)
        if action is None:
            raise Unpatchable(f"{sdk.method} has no {spec['service']} service integration "
                              "written here")
        args = document_args(tpl, target_of(ctx, tpl, fn_node), sdk, _without_target(kind, sdk))
        return Call(kind, action, args, True), read_response(found.path, found.name,
                                                             found.text)
    passthrough = _passthrough(kind)
    if passthrough is None:
        raise Unpatchable(f"the handler of {fn} was not read, so what it sends to {kind} is "
                          "not known (a DynamoDB item or an event's source cannot be "
                          "guessed); name its code or write the mapping by hand")
    ctx.note(f"the handler of {fn} was not read: the integration forwards the request body "
             "unchanged, as a function that only forwards does")
    return Call(kind, passthrough[0], passthrough[1], False), None


def target_of(ctx: FixContext, tpl: Template, fn_node: str) -> str:
    return resource_of(ctx, tpl, ctx.match[2]) if len(ctx.match) > 2 else ""


def document_args(tpl: Template, table: str, sdk: SdkArgs, args: dict[str, Any]
                  ) -> dict[str, Any]:
    """A DynamoDB document client's plain items, marshalled with the table's attribute
    types; other calls' arguments as they are."""
    if not sdk.document:
        return args
    from advisor.fix.requests import marshal_args

    defs = tpl.props(table).get("AttributeDefinitions") if table else None
    types = {str(d.get("AttributeName")): str(d.get("AttributeType"))
             for d in defs or [] if isinstance(d, dict)}
    if tpl.rtype(table) == "AWS::Serverless::SimpleTable":
        pk = tpl.props(table).get("PrimaryKey") or {"Name": "id", "Type": "String"}
        types[str(pk.get("Name"))] = {"String": "S", "Number": "N", "Binary": "B"}.get(
            str(pk.get("Type")), "S")
    return marshal_args(args, types)


def _passthrough(kind: str) -> tuple[str, dict[str, Any]] | None:
    body = Event("body")
    return {
        "sqs": ("SendMessage", {"MessageBody": body}),
        "sns": ("Publish", {"Message": body}),
        "kinesis": ("PutRecord", {"Data": body,
                                  "PartitionKey": Event("context", ("requestId",))}),
        "firehose": ("PutRecord", {"Record": {"Data": body}}),
        "sfn": ("StartExecution", {"input": body}),
    }.get(kind)


def _without_target(kind: str, sdk: SdkArgs) -> dict[str, Any]:
    """The call's arguments without the member naming the target (written from the
    template's resource instead)."""
    param = service_target(kind)["param"]
    args = dict(sdk.args)
    if "." not in param:
        args.pop(param, None)
        return args
    head, _, rest = param.partition(".*.")
    items = args.get(head)
    if isinstance(items, list):
        if len(items) != 1:
            raise Unpatchable(f"the handler sends {len(items)} {head} at once")
        args[head] = [{k: v for k, v in items[0].items() if k != rest}]
    return args


# ------------------------------------------------------------------ the integration
def _role(ctx: FixContext, tpl: Template, api_base: str, target: str, call: Call) -> str:
    action = call.spec["iam"][call.action]
    resource: Any = Ref(target) if call.spec["resource"] == "ref" else GetAtt(target, "Arn")
    return tpl.add_resource(f"{api_base}To{target}Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": call.action[:1].lower() + call.action[1:],
                      "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Action": action, "Resource": resource}]}}],
    })


def _request(tpl: Template, fn: str, target: str, call: Call) -> tuple[Any, Any, dict]:
    """(URI, request template, request parameters) of a REST AWS integration."""
    env = function_env(tpl, fn)
    svc = call.spec["service"]
    args = _with_target(dict(call.args), call.kind, target)
    if call.spec["protocol"] == "form":
        if call.kind == "sqs":
            uri = Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:sqs:path/"
                      "${AWS::AccountId}/${" + target + ".QueueName}")
        else:
            uri = Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:" + svc + ":path//")
        params = {"integration.request.header.Content-Type":
                  "'application/x-www-form-urlencoded'"}
        return uri, vtl_form(call.action, args, env), params
    uri = Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:" + svc + ":action/"
              + call.action)
    blobs = tuple(call.spec.get("blobs") or ())
    return uri, vtl_json(args, env, blobs), {}


def _with_target(args: dict[str, Any], kind: str, target: str) -> dict[str, Any]:
    """The member naming the target, written from the template's resource (first, as the
    SDK's documentation lists it); SQS names its queue in the URI instead."""
    spec = service_target(kind)
    if spec["how"] == "uri":
        return args
    param, value = spec["param"], Target(target)
    if "." not in param:
        return {param: value, **args}
    head, _, rest = param.partition(".*.")
    items = args.get(head)
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return {**args, head: [{**items[0], rest: value}]}
    return args


def function_env(tpl: Template, fn: str) -> dict[str, Any]:
    """The function's environment variables (its own, then SAM Globals')."""
    env = env_values((tpl.props(fn).get("Environment") or {}).get("Variables"))
    env.update(_globals_env(tpl, fn, env))
    return env


def _globals_env(tpl: Template, fn: str, own: dict[str, Any]) -> dict[str, Any]:
    if tpl.rtype(fn) != "AWS::Serverless::Function":
        return {}
    env = (tpl.globals("Function").get("Environment") or {}).get("Variables")
    return {k: v for k, v in env_values(env).items() if k not in own}


def rest_integration(ctx: FixContext, tpl: Template, fn: str, target: str, call: Call,
                     response: Response | None, role: str) -> dict[str, Any]:
    """`AWS::ApiGateway::Method.Integration` (CloudFormation property names)."""
    uri, template, params = _request(tpl, fn, target, call)
    out: dict[str, Any] = {
        "Type": "AWS", "IntegrationHttpMethod": "POST", "Uri": uri,
        "Credentials": GetAtt(role, "Arn"), "PassthroughBehavior": "NEVER",
    }
    if params:
        out["RequestParameters"] = params
    out["RequestTemplates"] = {JSON_TYPE: template}
    out["IntegrationResponses"] = [_integration_response(ctx, call, response)]
    return out


def _integration_response(ctx: FixContext, call: Call,
                          response: Response | None) -> dict[str, Any]:
    status = str(response.status) if response else "200"
    out: dict[str, Any] = {"StatusCode": status}
    if response is not None and response.body is not None and \
            "$" not in response.body and "#" not in response.body:
        out["ResponseTemplates"] = {response.content_type: response.body}
    else:
        ctx.note(f"the API now answers with {call.spec['service']} {call.action}'s response "
                 "instead of the function's")
    return out


def _openapi_integration(rest: dict[str, Any]) -> dict[str, Any]:
    """The same integration as an `x-amazon-apigateway-integration`."""
    resp = rest["IntegrationResponses"][0]
    out: dict[str, Any] = {
        "type": "aws", "httpMethod": "POST", "uri": rest["Uri"],
        "credentials": rest["Credentials"], "passthroughBehavior": "never",
    }
    if rest.get("RequestParameters"):
        out["requestParameters"] = rest["RequestParameters"]
    out["requestTemplates"] = rest["RequestTemplates"]
    default: dict[str, Any] = {"statusCode": resp["StatusCode"]}
    if resp.get("ResponseTemplates"):
        default["responseTemplates"] = resp["ResponseTemplates"]
    out["responses"] = {"default": default}
    return out


def http_integration(tpl: Template, fn: str, target: str, call: Call,
                     role: str) -> dict[str, Any]:
    """An HTTP API AWS_PROXY integration with a subtype (CloudFormation names)."""
    subtype = (call.spec.get("subtype") or {}).get(call.action)
    if subtype is None:
        raise Unpatchable(f"HTTP APIs have no {call.spec['service']} {call.action} "
                          "integration subtype")
    env = function_env(tpl, fn)
    args = dict(call.args)
    if call.kind == "eventbridge":
        entries = args.pop("Entries", None)
        if not isinstance(entries, list) or len(entries) != 1 or \
                not isinstance(entries[0], dict):
            raise Unpatchable("the handler does not put one event")
        args.update(entries[0])
    params = http_params(args, list(call.spec["subtype_params"]), env)
    name = service_target(call.kind)["param"].split(".")[-1]
    by_lower = {p.lower(): p for p in call.spec["subtype_params"]}
    params[by_lower.get(name.lower(), name)] = Ref(target)  # a queue's Ref is its URL
    if call.kind == "eventbridge":
        params["EventBusName"] = Ref(target)
    return {"IntegrationType": "AWS_PROXY", "IntegrationSubtype": subtype,
            "CredentialsArn": GetAtt(role, "Arn"), "PayloadFormatVersion": "1.0",
            "RequestParameters": dict(sorted(params.items()))}


# ------------------------------------------------------------------ the generator
def api_to_service(ctx: FixContext, tpl: Template) -> None:
    api_node, fn_node, target_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    target = resource_of(ctx, tpl, target_node)
    api_type = ctx.after_props(api_node).get("type") or "rest"
    if api_type != (ctx.node(api_node).get("props") or {}).get("type", "rest"):
        raise Unpatchable(f"the rewrite makes {api_node} a {api_type} API; that change of "
                          "API type is not generated")
    call, response = forwarded_call(ctx, tpl, fn_node, fn, target_node)
    site = node_site(ctx, tpl, api_node)
    api_base = site.lid
    role = _role(ctx, tpl, api_base, target, call)
    handled: set[str] = set()
    if api_type == "http":
        integ = http_integration(tpl, fn, target, call, role)
        done = _explicit_v2(tpl, fn, integ, handled) or _openapi_ops(
            ctx, tpl, fn, api_node, _openapi_http(integ), handled) or _sam_events(
            ctx, tpl, fn, api_node, "HttpApi", _openapi_http(integ), handled)
        if response is not None:
            ctx.note("an HTTP API answers with the service's response; the function's "
                     "response is not kept")
    else:
        rest = rest_integration(ctx, tpl, fn, target, call, response, role)
        done = _explicit_methods(tpl, fn, rest, handled) or _openapi_ops(
            ctx, tpl, fn, api_node, _openapi_integration(rest), handled) or _sam_events(
            ctx, tpl, fn, api_node, "Api", _openapi_integration(rest), handled)
    if not done:
        raise Unpatchable(f"no route of {api_node} to {fn} found in the template")
    remove_function(ctx, tpl, fn, handled)


def _openapi_http(integ: dict[str, Any]) -> dict[str, Any]:
    return {"type": "aws_proxy", "integrationSubtype": integ["IntegrationSubtype"],
            "credentials": integ["CredentialsArn"],
            "requestParameters": integ["RequestParameters"],
            "payloadFormatVersion": "1.0", "connectionType": "INTERNET"}


def _explicit_methods(tpl: Template, fn: str, integ: dict[str, Any], handled: set[str]) -> bool:
    methods = [m for m in tpl.of_type("AWS::ApiGateway::Method")
               if fn in refs(tpl.props(m).get("Integration"))]
    for m in methods:
        tpl.set(m, ("Integration",), integ)
        if "MethodResponses" not in tpl.props(m):
            tpl.set(m, ("MethodResponses",),
                    [{"StatusCode": integ["IntegrationResponses"][0]["StatusCode"]}])
        handled.add(m)
    return bool(methods)


def _explicit_v2(tpl: Template, fn: str, integ: dict[str, Any], handled: set[str]) -> bool:
    found = [i for i in tpl.of_type("AWS::ApiGatewayV2::Integration")
             if fn in refs(tpl.props(i).get("IntegrationUri"))]
    for i in found:
        p = tpl.props(i)
        for key in ("IntegrationUri", "IntegrationMethod"):
            if key in p:
                tpl.doc.delete(tpl.prop_path(i, key))
        for key, value in integ.items():
            tpl.set(i, (key,), value)
        handled.add(i)
    return bool(found)


def _openapi_ops(ctx: FixContext, tpl: Template, fn: str, api_node: str,
                 integ: dict[str, Any], handled: set[str]) -> bool:
    """Operations of an inline OpenAPI body whose integration calls the function."""
    site = node_site(ctx, tpl, api_node)
    if site.what != "resource":
        return False
    key = "DefinitionBody" if "DefinitionBody" in tpl.props(site.lid) else "Body"
    body = tpl.props(site.lid).get(key)
    if not isinstance(body, dict) or not isinstance(body.get("paths"), dict):
        return False
    hits = []
    for path, ops in body["paths"].items():
        for method, op in (ops or {}).items() if isinstance(ops, dict) else []:
            integration = op.get("x-amazon-apigateway-integration") if isinstance(op, dict) \
                else None
            if isinstance(integration, dict) and fn in refs(integration.get("uri")):
                hits.append((path, method))
    for path, method in hits:
        tpl.set(site.lid, (key, "paths", path, method, "x-amazon-apigateway-integration"),
                integ)
    if hits:
        handled.add(site.lid)
    return bool(hits)


def _sam_events(ctx: FixContext, tpl: Template, fn: str, api_node: str, etype: str,
                integ: dict[str, Any], handled: set[str]) -> bool:
    events = tpl.props(fn).get("Events")
    if not isinstance(events, dict):
        return False
    api_key = "RestApiId" if etype == "Api" else "ApiId"
    mine = [(name, ev) for name, ev in events.items() if isinstance(ev, dict)
            and ev.get("Type") == etype]
    if not mine:
        return False
    site = node_site(ctx, tpl, api_node)
    for name, ev in mine:
        p = ev.get("Properties") or {}
        for key in ("Auth", "RequestModel", "RequestParameters", "RouteSettings"):
            if p.get(key) is not None:
                raise Unpatchable(f"event {name} of {fn} sets its own {key}, which would have "
                                  "to move into the API definition by hand")
        api_ref = ref_target(p.get(api_key)) if p.get(api_key) is not None else None
        if (site.what == "implicit") != (api_ref is None) or \
                (api_ref is not None and api_ref != site.lid):
            raise Unpatchable(f"event {name} of {fn} is on another API than {api_node}")
    api = _explicit_api(ctx, tpl, site, fn, etype)
    body_path = ("DefinitionBody",)
    version = _openapi_version(tpl, api, etype)
    body = tpl.props(api).get("DefinitionBody")
    if body is None:
        head: dict[str, Any] = {"openapi": version} if version.startswith("3") else \
            {"swagger": "2.0"}
        tpl.set(api, body_path, {**head, "info": {"title": Ref("AWS::StackName"),
                                                  "version": "1.0"}, "paths": {}})
        if etype == "Api":
            tpl.set(api, ("MergeDefinitions",), True)
    elif etype == "Api" and not tpl.props(api).get("MergeDefinitions"):
        raise Unpatchable(f"{api}'s DefinitionBody does not merge SAM's events; the route "
                          "must be written into it by hand")
    for _name, ev in mine:
        p = ev.get("Properties") or {}
        path, method = str(p.get("Path")), str(p.get("Method", "any")).lower()
        op_key = "x-amazon-apigateway-any-method" if method == "any" else method
        op: dict[str, Any] = {"responses": {}, "x-amazon-apigateway-integration": integ}
        if etype == "Api":
            status = integ["responses"]["default"]["statusCode"]
            op["responses"] = {status: {"description": "OK"}}
        tpl.set(api, (*body_path, "paths", path, op_key), op)
    handled.add(api)
    return True


def _openapi_version(tpl: Template, api: str, etype: str) -> str:
    body = tpl.props(api).get("DefinitionBody")
    if isinstance(body, dict):
        return str(body.get("openapi") or body.get("swagger") or "2.0")
    if etype == "HttpApi":
        return "3.0.1"
    version = tpl.props(api).get("OpenApiVersion") or tpl.globals("Api").get("OpenApiVersion")
    return str(version) if version else "2.0"


def _explicit_api(ctx: FixContext, tpl: Template, site: Any, fn: str, etype: str) -> str:
    """The API resource the events are on; for SAM's implicit API, a new explicit API
    that takes every implicit event of the template over."""
    if site.what == "resource":
        if tpl.rtype(site.lid) not in (SAM_API, SAM_HTTP):
            raise Unpatchable(f"{site.lid} is not a SAM API")
        if tpl.props(site.lid).get("DefinitionUri") is not None:
            raise Unpatchable(f"{site.lid}'s definition is in a file (DefinitionUri); the "
                              "route must be written there by hand")
        return site.lid
    section, api_key, rtype, base = IMPLICIT[site.lid]
    if tpl.globals(section).get("DefinitionUri") is not None:
        raise Unpatchable(f"Globals.{section} sets a DefinitionUri")
    for lid, res in tpl.added.items():
        if res.get("Type") == rtype and ctx.names.get(f"implicit:{site.lid}") == lid:
            return lid
    props: dict[str, Any] = {"StageName": "Prod"} if etype == "Api" else {}
    api = tpl.add_resource(base, rtype, props)
    ctx.names[f"implicit:{site.lid}"] = api
    node = next((n for n, d in ctx.before.graph.nodes(data=True)
                 if d.get("source_id") == site.lid), None)
    if node is not None:
        ctx.names[node] = api
    for owner in tpl.resources:
        if owner == fn:
            continue
        events = tpl.props(owner).get("Events")
        for name, ev in (events or {}).items() if isinstance(events, dict) else []:
            if isinstance(ev, dict) and ev.get("Type") == etype and \
                    (ev.get("Properties") or {}).get(api_key) is None:
                tpl.set(owner, ("Events", name, "Properties", api_key), Ref(api))
    renames = {site.lid: api}
    if etype == "Api":
        renames[f"{site.lid}ProdStage"] = f"{api}ProdStage"
    else:
        renames[f"{site.lid}ApiGatewayDefaultStage"] = f"{api}ApiGatewayDefaultStage"
    rename_references(tpl, renames, skip={fn})
    ctx.note(f"SAM's implicit API {site.lid} becomes the explicit {api}: its id, so its URL, "
             "changes; update the clients or a custom domain's mapping")
    return api


def rename_references(tpl: Template, renames: dict[str, str], skip: set[str]) -> None:
    """Point every reference to a renamed logical id (Ref, GetAtt, Sub) at the new one,
    in resources and outputs."""
    root = tpl.doc.root
    sections: list[tuple[tuple[Any, ...], Any]] = []
    for lid in tpl.resources:
        if lid not in skip:
            sections.append((("Resources", lid), tpl.resources[lid]))
    outputs = root.get("Outputs") if isinstance(root, dict) else None
    if isinstance(outputs, dict):
        for name in outputs:
            sections.append((("Outputs", name), plain(outputs[name])))
    for path, value in sections:
        if not refs(value) & set(renames):
            continue
        _rename_in(tpl, path, value, renames)


def _rename_in(tpl: Template, path: tuple[Any, ...], value: Any,
               renames: dict[str, str]) -> None:
    """Replace the smallest values that hold a reference to a renamed id."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
            new = _renamed(value, renames)
            if new != value:
                tpl.doc.set(path, new)
            return
        for k, v in value.items():
            if refs(v) & set(renames):
                _rename_in(tpl, (*path, k), v, renames)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if refs(v) & set(renames):
                _rename_in(tpl, (*path, i), v, renames)


def _renamed(value: Any, renames: dict[str, str]) -> Any:
    import re

    k, v = next(iter(value.items()))
    if k == "Ref" and isinstance(v, str):
        return {"Ref": renames.get(v, v)}
    if k == "Fn::GetAtt":
        parts = v if isinstance(v, list) else str(v).split(".", 1)
        return {"Fn::GetAtt": [renames.get(parts[0], parts[0]), *parts[1:]]}
    text = v if isinstance(v, str) else v[0]

    def sub(m: Any) -> str:
        name, rest = m.group(1), m.group(2) or ""
        return "${" + renames.get(name, name) + rest + "}"

    new_text = re.sub(r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9_.]+)?)\}", sub, text)
    return {"Fn::Sub": new_text if isinstance(v, str) else [new_text, *v[1:]]}
