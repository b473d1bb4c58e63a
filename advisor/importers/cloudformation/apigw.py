"""API Gateway (REST, HTTP, WebSocket): integrations become edges, the rest props.

Integrations are read from every place a template can put them: `AWS::ApiGateway::Method`,
`AWS::ApiGatewayV2::Integration` (+ Route), SAM `Api`/`HttpApi` events, and OpenAPI
bodies (`Body`, `DefinitionBody`, a local `DefinitionUri` or `AWS::Include`) with
`x-amazon-apigateway-integration`. The API's `auth`, `validation`, `throttling`,
`access_logging`, `tracing` and `caching` props come from methods/routes, authorizers,
validators, stages, usage plans and SAM's `Auth`/`MethodSettings`.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import AdvisorError
from advisor.importers.cloudformation.context import Ctx, data, kind_from_arn
from advisor.importers.cloudformation.template import load_template
from advisor.importers.reading import read_beside

_SERVICE_URI = re.compile(r"arn:[^:]*:apigateway:[^:]*:([a-z0-9-]+):(path|action)/(.*)")
_AUTH = {"NONE": "none", "AWS_IAM": "iam", "COGNITO_USER_POOLS": "cognito", "CUSTOM": "lambda",
         "JWT": "jwt"}
_RANK = {"none": 0, "api_key": 1, "lambda": 2, "iam": 3, "cognito": 3, "jwt": 3}
MAX_OPENAPI_BYTES = 10 * 1024 * 1024


# ------------------------------------------------------------------ props
def set_auth(ctx: Ctx, api: str | None, auth: str | None) -> None:
    """Record an auth mode seen on the API; the strongest one seen wins, `none` never
    overrides a real one (an API is 'authorized' when its routes use an authorizer)."""
    if api is None or auth is None:
        return
    props = ctx.arch.graph.nodes[api]["props"]
    current = props.get("auth")
    if current is None or _RANK.get(auth, 0) > _RANK.get(current, 0):
        props["auth"] = auth


def api_props(ctx: Ctx, lid: str, node: str) -> None:
    rtype = ctx.rtype(lid)
    p = ctx.props_of(lid)
    if rtype == "AWS::Serverless::HttpApi":
        ctx.set_props(node, type="http")
    elif rtype == "AWS::ApiGatewayV2::Api":
        proto = str(ctx.scalar(p.get("ProtocolType")) or "HTTP").upper()
        ctx.set_props(node, type="websocket" if proto == "WEBSOCKET" else "http")
        target = p.get("Target")
        if target is not None:  # quick create: one integration for $default
            fn = ctx.node_ref(target)
            ctx.edge(node, fn, props={"integration": "proxy"}, anchor=lid)
    else:
        ctx.set_props(node, type="rest")
    ep = p.get("EndpointConfiguration")
    etype = None
    if isinstance(ep, dict):
        types = ep.get("Types", ep.get("Type"))
        etype = ctx.scalar(types[0] if isinstance(types, list) and types else types)
    elif ep is not None:
        etype = ctx.scalar(ep)
    if isinstance(etype, str) and etype.lower() in ("edge", "regional", "private"):
        ctx.set_props(node, endpoint=etype.lower())
    if ctx.flag(p.get("TracingEnabled")):
        ctx.set_props(node, tracing=True)
    if ctx.flag(p.get("CacheClusterEnabled")):
        ctx.set_props(node, caching=True)
    if p.get("AccessLogSetting") is not None or p.get("AccessLogSettings") is not None:
        ctx.set_props(node, access_logging=True)
    if _has_throttling(ctx, p.get("MethodSettings")) or _has_throttling(
        ctx, p.get("DefaultRouteSettings")
    ):
        ctx.set_props(node, throttling=True)
    auth = p.get("Auth")
    if isinstance(auth, dict):
        _sam_auth(ctx, node, auth)
    if ctx.flag(p.get("ApiKeyRequired")):
        set_auth(ctx, node, "api_key")
    body = p.get("DefinitionBody", p.get("Body"))
    if body is None and isinstance(ctx.scalar(p.get("DefinitionUri")), str):
        body = _read_local(ctx, lid, str(ctx.scalar(p.get("DefinitionUri"))))
    if body is None and isinstance(p.get("BodyS3Location"), dict | str):
        line, col = ctx.line_of(None, lid)
        ctx.info(f"OpenAPI body of {lid} is stored in S3; its integrations are not read",
                 line, col)
    if body is not None:
        body = _include(ctx, lid, body)
        if isinstance(body, dict):
            wire_openapi(ctx, node, body, lid)


def _has_throttling(ctx: Ctx, settings: Any) -> bool:
    items = settings if isinstance(settings, list) else [settings]
    for item in items:
        if isinstance(item, dict) and any(
            k in item for k in ("ThrottlingBurstLimit", "ThrottlingRateLimit")
        ):
            return True
    return False


def _sam_auth(ctx: Ctx, node: str, auth: dict[str, Any]) -> None:
    authorizers = auth.get("Authorizers") if isinstance(auth.get("Authorizers"), dict) else {}
    default = ctx.scalar(auth.get("DefaultAuthorizer"))
    if isinstance(default, str):
        if default == "AWS_IAM":
            set_auth(ctx, node, "iam")
        elif default in authorizers:
            set_auth(ctx, node, _authorizer_kind(ctx, authorizers[default]))
    if ctx.flag(auth.get("ApiKeyRequired")):
        set_auth(ctx, node, "api_key")
    for spec in authorizers.values():
        if isinstance(spec, dict):
            fn = ctx.node_ref(spec.get("FunctionArn"), "lambda")
            ctx.edge(node, fn, label="authorizer")
            if fn is not None:
                ctx.authorizer_fns.add(fn)
    if ctx.flag(auth.get("EnableIamAuthorizer")):
        pass  # only applies where a route names AWS_IAM


def _authorizer_kind(ctx: Ctx, spec: Any) -> str:
    if not isinstance(spec, dict):
        return "lambda"
    if "UserPoolArn" in spec:
        return "cognito"
    if "JwtConfiguration" in spec:
        return "jwt"
    return "lambda"


def _read_local(ctx: Ctx, lid: str, uri: str, what: str = "DefinitionUri") -> Any:
    if uri.startswith("s3://"):
        return None
    path = (ctx.base_dir / uri).resolve()
    line, col = ctx.line_of(None, lid)
    text, why = read_beside(path, MAX_OPENAPI_BYTES)
    if text is None:
        ctx.info(f"{what} {uri} of {lid} is not a readable file beside the template "
                 f"({why})", line, col)
        return None
    try:
        return load_template(text, str(path))
    except AdvisorError:
        ctx.info(f"{what} {uri} of {lid} could not be read", line, col)
        return None


def _include(ctx: Ctx, lid: str, body: Any) -> Any:
    """`Fn::Transform: {Name: AWS::Include, Parameters: {Location: file}}` -> the file."""
    if isinstance(body, dict) and set(body) == {"Fn::Transform"}:
        spec = body["Fn::Transform"]
        if isinstance(spec, dict) and spec.get("Name") == "AWS::Include":
            params = spec.get("Parameters") if isinstance(spec.get("Parameters"), dict) else {}
            loc = ctx.scalar(params.get("Location"))
            if isinstance(loc, str):
                return _read_local(ctx, lid, loc, "AWS::Include file")
    return body


# ------------------------------------------------------------------ OpenAPI
def wire_openapi(ctx: Ctx, api: str, body: dict[str, Any], lid: str) -> None:
    paths = body.get("paths")
    schemes = _security_schemes(body)
    if body.get("x-amazon-apigateway-request-validators") or body.get(
        "x-amazon-apigateway-request-validator"
    ):
        ctx.set_props(api, validation=True)
    top_security = body.get("security")
    if isinstance(top_security, list) and top_security:
        _apply_security(ctx, api, top_security, schemes)
    if not isinstance(paths, dict):
        return
    for ops in paths.values():
        if not isinstance(ops, dict):
            continue
        for _method, op in ops.items():
            if not isinstance(op, dict):
                continue
            integ = op.get("x-amazon-apigateway-integration")
            if isinstance(integ, dict):
                wire_integration(
                    ctx, api, lid,
                    itype=integ.get("type"), uri=integ.get("uri"),
                    subtype=integ.get("integrationSubtype"),
                    params=integ.get("requestParameters"),
                    templates=integ.get("requestTemplates"),
                    credentials=integ.get("credentials"),
                )
            security = op.get("security")
            if isinstance(security, list) and security:
                _apply_security(ctx, api, security, schemes)
            if op.get("x-amazon-apigateway-request-validator"):
                ctx.set_props(api, validation=True)


def _security_schemes(body: dict[str, Any]) -> dict[str, str]:
    comps = body.get("components") if isinstance(body.get("components"), dict) else {}
    schemes = comps.get("securitySchemes") or body.get("securityDefinitions") or {}
    out: dict[str, str] = {}
    if not isinstance(schemes, dict):
        return out
    for name, spec in schemes.items():
        if not isinstance(spec, dict):
            continue
        az = spec.get("x-amazon-apigateway-authorizer")
        atype = str(spec.get("x-amazon-apigateway-authtype", "")).lower()
        if isinstance(az, dict):
            t = str(az.get("type", "")).lower()
            out[name] = {"cognito_user_pools": "cognito", "jwt": "jwt"}.get(t, "lambda")
        elif atype == "awssigv4":
            out[name] = "iam"
        elif spec.get("type") == "apiKey":
            out[name] = "api_key"
        elif spec.get("type") in ("oauth2", "openIdConnect"):
            out[name] = "jwt"
    return out


def _apply_security(ctx: Ctx, api: str, security: list[Any], schemes: dict[str, str]) -> None:
    for req in security:
        if isinstance(req, dict):
            for name in req:
                set_auth(ctx, api, schemes.get(str(name)))


# ------------------------------------------------------------------ integrations
def wire_integration(ctx: Ctx, api: str | None, owner: str, *, itype: Any, uri: Any,
                     subtype: Any = None, params: Any = None, templates: Any = None,
                     credentials: Any = None) -> None:
    if api is None:
        return
    itype = str(ctx.scalar(itype) or "").upper()
    subtype = ctx.scalar(subtype)
    if isinstance(subtype, str) and subtype:
        service = subtype.split("-", 1)[0]
        kind = data()["http_api_subtypes"].get(service)
        action = subtype.split("-", 1)[1] if "-" in subtype else subtype
        target = _pick(ctx, kind, [params, uri], credentials, owner, subtype)
        ctx.edge(api, target, props={"integration": "service", "action": action}, anchor=owner)
        return
    text = ctx.text_of(uri) or ""
    if itype in ("MOCK", "") and not text:
        return
    if itype in ("HTTP", "HTTP_PROXY"):
        url = ctx.scalar(uri)
        target = ctx.node_ref(uri)
        if target is None:
            host = re.sub(r"^https?://", "", url).split("/")[0] if isinstance(url, str) else ""
            target = ctx.implicit_node(host.replace(".", "_") or f"{owner}Endpoint", "http",
                                       {"url": url} if isinstance(url, str) else {})
        ctx.edge(api, target, props={"integration": "proxy"}, anchor=owner)
        return
    m = _SERVICE_URI.search(re.sub(r"\$\{AWS::[^}]*\}", "pseudo", text))
    if m and m.group(1) != "lambda":
        kind = data()["apigw_services"].get(m.group(1))
        action = m.group(3).split("/")[-1] if m.group(2) == "action" else m.group(3)
        action = re.sub(r"\$\{[^}]*\}|__cfnref\d+__", "", action).strip("/")
        if kind is None:  # a service without a catalog kind (Batch, Comprehend, ...)
            target = ctx.implicit_node(m.group(1), "resource",
                                       {"type": f"AWS service {m.group(1)}"})
        else:
            target = _pick(ctx, kind, [uri, templates, params], credentials, owner, m.group(1))
        props: dict[str, Any] = {"integration": "service"}
        if m.group(2) == "action" and action:
            props["action"] = action
        if templates:
            props["transform"] = True
        ctx.edge(api, target, props=props, anchor=owner)
        return
    target = ctx.node_ref(uri, "lambda") or ctx.node_ref(uri)
    if target is None and text:
        target = _pick(ctx, kind_from_arn(_lambda_arn(text)) or "lambda", [uri], None, owner,
                       "lambda")
    if target is not None:
        props = {"integration": "proxy" if itype in ("AWS_PROXY", "") else "service"}
        ctx.edge(api, target, props=props, anchor=owner)


def _lambda_arn(text: str) -> str:
    m = re.search(r"functions/(arn:[^/]*)/invocations", text)
    return m.group(1) if m else text


def _pick(ctx: Ctx, kind: str | None, places: list[Any], credentials: Any, owner: str,
          what: str) -> str | None:
    """The target of a service integration: a resource of `kind` named in the URI, the
    request templates/parameters, or (last) the integration role's policy resources."""
    for place in places:
        node = ctx.node_ref(place, kind) if kind else ctx.node_ref(place)
        if node is not None:
            return node
        if isinstance(place, str | dict):
            node = _physical(ctx, place, kind)
            if node is not None:
                return node
    if credentials is not None and kind:
        for role in ctx.resource_refs(credentials):
            from advisor.importers.cloudformation.iam import role_statements

            stmts, _ = role_statements(ctx, role)
            for stmt in stmts:
                node = ctx.node_ref(stmt.get("Resource"), kind)
                if node is not None:
                    return node
    if kind:
        line, col = ctx.line_of(None, owner)
        ctx.info(f"{what} integration of {owner}: the target {kind} is not named by a resource "
                 "of this template (chosen per request or outside it); shown as an external "
                 f"{kind}", line, col)
        return ctx.implicit_node(f"external_{kind}", kind,
                                 {"description": "named per request or outside this template"})
    return None


def _physical(ctx: Ctx, place: Any, kind: str | None) -> str | None:
    """A resource of `kind` whose physical name (QueueName, TableName, ...) appears in a
    literal string of the integration (e.g. `"TableName": "Orders"` in a VTL template)."""
    if kind is None:
        return None
    texts: list[str] = []
    stack = [place]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    blob = "\n".join(texts)
    if not blob:
        return None
    if isinstance(place, dict):
        for value in place.values():
            found = ctx.by_physical_name(value, kind)
            if found is not None:
                return found
    for logical, name in ctx.names.items():
        if ctx.arch.kind(name) != kind:
            continue
        p = ctx.props_of(logical)
        for key in ("QueueName", "TableName", "TopicName", "StreamName", "BucketName",
                    "DeliveryStreamName", "Name", "StateMachineName"):
            value = ctx.scalar(p.get(key))
            if isinstance(value, str) and len(value) > 2 and re.search(
                r"(?<![A-Za-z0-9_-])" + re.escape(value) + r"(?![A-Za-z0-9_-])", blob
            ):
                return name
    return None


# ------------------------------------------------------------------ REST resources
def wire_rest(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::ApiGateway::Method"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId"), "apigw")
        method = str(ctx.scalar(p.get("HttpMethod")) or "").upper()
        authz = str(ctx.scalar(p.get("AuthorizationType")) or "NONE").upper()
        if method != "OPTIONS":
            set_auth(ctx, api, _AUTH.get(authz, "lambda"))
            if ctx.flag(p.get("ApiKeyRequired")):
                set_auth(ctx, api, "api_key")
        if p.get("RequestValidatorId") is not None:
            ctx.set_props(api, validation=True)
        integ = p.get("Integration")
        if isinstance(integ, dict):
            wire_integration(
                ctx, api, lid, itype=integ.get("Type"), uri=integ.get("Uri"),
                params=integ.get("RequestParameters"), templates=integ.get("RequestTemplates"),
                credentials=integ.get("Credentials"),
            )
    for lid in ctx.of_type("AWS::ApiGateway::Authorizer"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId"), "apigw")
        atype = str(ctx.scalar(p.get("Type")) or "").upper()
        if atype == "COGNITO_USER_POOLS":
            continue
        fn = ctx.node_ref(p.get("AuthorizerUri"), "lambda")
        ctx.edge(api, fn, label="authorizer", anchor=lid)
        if fn is not None:
            ctx.authorizer_fns.add(fn)
    for lid in ctx.of_type("AWS::ApiGateway::RequestValidator"):
        p = ctx.props_of(lid)
        if ctx.flag(p.get("ValidateRequestBody")) or ctx.flag(p.get("ValidateRequestParameters")):
            ctx.set_props(ctx.node_ref(p.get("RestApiId"), "apigw"), validation=True)
    for lid in ctx.of_type("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId", p.get("ApiId")), "apigw")
        _stage(ctx, api, p)
    for lid in ctx.of_type("AWS::ApiGateway::Deployment"):
        p = ctx.props_of(lid)
        desc = p.get("StageDescription")
        if isinstance(desc, dict):
            _stage(ctx, ctx.node_ref(p.get("RestApiId"), "apigw"), desc)
    for lid in ctx.of_type("AWS::ApiGateway::UsagePlan"):
        p = ctx.props_of(lid)
        throttle = p.get("Throttle")
        if isinstance(throttle, dict) and throttle:
            for stage in p.get("ApiStages") or []:
                if isinstance(stage, dict):
                    ctx.set_props(ctx.node_ref(stage.get("ApiId"), "apigw"), throttling=True)


def _stage(ctx: Ctx, api: str | None, p: dict[str, Any]) -> None:
    if api is None:
        return
    if _has_throttling(ctx, p.get("MethodSettings")) or _has_throttling(
        ctx, p.get("DefaultRouteSettings")
    ) or _has_throttling(ctx, p):
        ctx.set_props(api, throttling=True)
    if p.get("AccessLogSetting") is not None or p.get("AccessLogSettings") is not None:
        ctx.set_props(api, access_logging=True)
    if ctx.flag(p.get("TracingEnabled")):
        ctx.set_props(api, tracing=True)
    if ctx.flag(p.get("CacheClusterEnabled")):
        ctx.set_props(api, caching=True)


def wire_v2(ctx: Ctx) -> None:
    integrations: dict[str, str | None] = {}
    for lid in ctx.of_type("AWS::ApiGatewayV2::Integration"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("ApiId"), "apigw")
        integrations[lid] = api
        wire_integration(
            ctx, api, lid, itype=p.get("IntegrationType"), uri=p.get("IntegrationUri"),
            subtype=p.get("IntegrationSubtype"), params=p.get("RequestParameters"),
            templates=p.get("RequestTemplates"), credentials=p.get("CredentialsArn"),
        )
    authorizers: dict[str, str] = {}
    for lid in ctx.of_type("AWS::ApiGatewayV2::Authorizer"):
        p = ctx.props_of(lid)
        atype = str(ctx.scalar(p.get("AuthorizerType")) or "").upper()
        authorizers[lid] = "jwt" if atype == "JWT" else "lambda"
        if atype != "JWT":
            api = ctx.node_ref(p.get("ApiId"), "apigw")
            fn = ctx.node_ref(p.get("AuthorizerUri"), "lambda")
            ctx.edge(api, fn, label="authorizer", anchor=lid)
            if fn is not None:
                ctx.authorizer_fns.add(fn)
    for lid in ctx.of_type("AWS::ApiGatewayV2::Route"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("ApiId"), "apigw")
        authz = str(ctx.scalar(p.get("AuthorizationType")) or "NONE").upper()
        kind = _AUTH.get(authz, "lambda")
        for az in ctx.resource_refs(p.get("AuthorizerId")):
            kind = authorizers.get(az, kind)
        route_key = str(ctx.scalar(p.get("RouteKey")) or "")
        if not route_key.startswith("OPTIONS"):
            set_auth(ctx, api, kind)
        if ctx.flag(p.get("ApiKeyRequired")):
            set_auth(ctx, api, "api_key")


def sam_api_event(ctx: Ctx, api: str, target: str, p: dict[str, Any], api_type: str,
                  owner: str) -> None:
    """A SAM Api/HttpApi event: proxy integration api -> function, per-route auth."""
    ctx.edge(api, target, props={"integration": "proxy"}, anchor=owner)
    auth = p.get("Auth")
    if isinstance(auth, dict):
        name = ctx.scalar(auth.get("Authorizer"))
        if name == "AWS_IAM":
            set_auth(ctx, api, "iam")
        elif isinstance(name, str) and name != "NONE":
            set_auth(ctx, api, _named_authorizer(ctx, api, name))
        if ctx.flag(auth.get("ApiKeyRequired")):
            set_auth(ctx, api, "api_key")
    model = p.get("RequestModel")
    if isinstance(model, dict) and ctx.flag(model.get("ValidateBody")) is not False:
        ctx.set_props(api, validation=True)
    params = p.get("RequestParameters")
    if isinstance(params, list) and any(
        isinstance(x, dict) and any(isinstance(v, dict) and v.get("Required") for v in x.values())
        for x in params
    ):
        ctx.set_props(api, validation=True)


def _named_authorizer(ctx: Ctx, api: str, name: str) -> str:
    source = ctx.arch.graph.nodes[api].get("source_id")
    auth = ctx.props_of(source).get("Auth") if source in ctx.resources else None
    if isinstance(auth, dict) and isinstance(auth.get("Authorizers"), dict):
        return _authorizer_kind(ctx, auth["Authorizers"].get(name))
    return "lambda"
