"""API Gateway (REST, HTTP, WebSocket): integrations become edges, the rest props.

Integrations are read from every place a template can put them: `AWS::ApiGateway::Method`,
`AWS::ApiGatewayV2::Integration` (+ Route), SAM `Api`/`HttpApi` events, and OpenAPI
bodies (`Body`, `DefinitionBody`, a local `DefinitionUri` or `AWS::Include`) with
`x-amazon-apigateway-integration`. The API's `auth` and `validation` come from
methods/routes, authorizers and validators; `throttling`, `access_logging`, `tracing` and
`caching` from its stages (`apigw_stages`); SAM's own API resources are `apigw_sam`,
OpenAPI bodies `openapi`.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.importers import api_auth
from advisor.importers.api_methods import add_method
from advisor.importers.apigw_actions import subtype_action, uri_action
from advisor.importers.cloudformation import apigw_sam, openapi
from advisor.importers.cloudformation.context import Ctx, data, kind_from_arn

_SERVICE_URI = re.compile(r"arn:[^:]*:apigateway:[^:]*:([a-z0-9-]+):(path|action)/(.*)")
_AUTH = {"NONE": "none", "AWS_IAM": "iam", "COGNITO_USER_POOLS": "cognito", "CUSTOM": "lambda",
         "JWT": "jwt"}


# ------------------------------------------------------------------ props
def record_route(ctx: Ctx, api: str | None, authorizer: str | None, api_key: bool = False,
                 route_key: str | None = None, path: str | None = None) -> None:
    """One route of the API and how it is authorized (`advisor.importers.api_auth`);
    `settle_auth` gives the API the weakest route's auth once every route is read. A
    route stated again for the same path and method (a SAM event merged into the user's
    definition) replaces the first statement."""
    if api is None or not api_auth.counts(ctx.arch.props(api).get("type"), route_key):
        return
    if api_key:
        ctx.api_keys_required.add(api)
    api_auth.record(ctx.route_auths.setdefault(api, {}), api_auth.route_auth(authorizer, api_key),
                    api_auth.route_label(route_key, path))


def settle_auth(ctx: Ctx) -> None:
    for api, routes in sorted(ctx.route_auths.items()):
        auth, open_routes = api_auth.settle(routes)
        ctx.set_props(api, auth=auth, open_routes=open_routes or None)


def _regional_domain_only(ctx: Ctx, lid: str, p: dict[str, Any]) -> None:
    """SAM refuses a custom `Domain` of an HttpApi or WebSocketApi whose
    `EndpointConfiguration` is not REGIONAL (`EndpointConfiguration for Custom Domains
    must be one of ['REGIONAL']`: API Gateway v2 has regional custom domains only), so
    the template would not deploy: say so where it is written."""
    domain = p.get("Domain")
    if not isinstance(domain, dict) or "EndpointConfiguration" not in domain:
        return
    etype = ctx.scalar(domain["EndpointConfiguration"])
    if not isinstance(etype, str) or etype == "REGIONAL":
        return
    line, col = ctx.line_of(domain["EndpointConfiguration"], lid)
    ctx.info(f"{ctx.rtype(lid)} {lid}: a custom domain's EndpointConfiguration must be "
             f"REGIONAL, not {etype}: SAM rejects the template (API Gateway HTTP and "
             "WebSocket APIs have regional custom domains only)", line, col,
             "use EndpointConfiguration: REGIONAL, or an AWS::Serverless::Api (REST) for an "
             "edge-optimized domain", severity="warning")


def api_props(ctx: Ctx, lid: str, node: str) -> None:
    rtype = ctx.rtype(lid)
    p = ctx.props_of(lid)
    if rtype == "AWS::Serverless::HttpApi":
        ctx.set_props(node, type="http")
        _regional_domain_only(ctx, lid, p)
    elif rtype == "AWS::Serverless::WebSocketApi":
        ctx.set_props(node, type="websocket")
        _regional_domain_only(ctx, lid, p)
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
    defaults = apigw_sam.api_auth(ctx, lid, node) if rtype.startswith("AWS::Serverless::") \
        else apigw_sam.RouteDefaults()
    if rtype == "AWS::Serverless::WebSocketApi":
        apigw_sam.wire_websocket(ctx, lid, node)
    body = openapi.body_of(ctx, lid, p)
    if body is None and p.get("DefinitionBody") is not None and (defaults.auth or defaults.api_key):
        # an inline definition that could not be read here (an `AWS::Include` file not
        # beside the template): SAM gives each of its operations that states no security
        # the API's DefaultAuthorizer; what it is open to is not known, not "none"
        record_route(ctx, node, defaults.auth, defaults.api_key)
    if body is not None:
        sam_schemes = None
        if p.get("DefinitionBody") is None:  # a file SAM uploads as it is
            defaults = apigw_sam.RouteDefaults()
        elif rtype.startswith("AWS::Serverless::"):
            sam_schemes = apigw_sam.security_schemes(ctx, lid)
        openapi.wire_openapi(ctx, node, body, lid, defaults.auth, defaults.api_key,
                             sam_schemes)


# ------------------------------------------------------------------ integrations
def wire_integration(ctx: Ctx, api: str | None, owner: str, *, itype: Any, uri: Any,
                     subtype: Any = None, params: Any = None, templates: Any = None,
                     credentials: Any = None, method: Any = None) -> str | None:
    """The edge API -> what one integration calls, with the route's `method` when the
    caller knows it (`advisor.importers.api_methods`). Returns the target (None: none)."""
    if api is None:
        return None
    itype = str(ctx.scalar(itype) or "").upper()
    subtype = ctx.scalar(subtype)
    if isinstance(subtype, str) and subtype:
        service = subtype.split("-", 1)[0]
        kind = data()["http_api_subtypes"].get(service)
        target = _pick(ctx, kind, [params, uri], credentials, owner, subtype)
        return _edge(ctx, api, target, {"integration": "service",
                                        "action": subtype_action(subtype)}, owner, method)
    text = ctx.text_of(uri) or ""
    if itype in ("MOCK", "") and not text:
        return None
    if itype in ("HTTP", "HTTP_PROXY") or re.match(r"https?://", text):
        # a URL is an HTTP endpoint, whatever type the integration claims
        url = ctx.scalar(uri)
        target = ctx.node_ref(uri)
        if target is None:
            host = re.sub(r"^https?://", "", url).split("/")[0] if isinstance(url, str) else ""
            target = ctx.implicit_node(host.replace(".", "_") or f"{owner}Endpoint", "http",
                                       {"url": url} if isinstance(url, str) else {})
        return _edge(ctx, api, target, {"integration": "proxy"}, owner, method)
    m = _SERVICE_URI.search(re.sub(r"\$\{AWS::[^}]*\}", "pseudo", text))
    if m and m.group(1) != "lambda":
        kind = data()["apigw_services"].get(m.group(1))
        rest = re.sub(r"\$\{[^}]*\}|__cfnref\d+__", "", m.group(3)).strip("/")
        action = uri_action(m.group(1), m.group(2), rest, templates)
        if kind is None:  # a service without a catalog kind (Batch, Comprehend, ...)
            target = ctx.implicit_node(m.group(1), "resource",
                                       {"type": f"AWS service {m.group(1)}"})
        else:
            target = _pick(ctx, kind, [uri, templates, params], credentials, owner, m.group(1))
        props: dict[str, Any] = {"integration": "service"}
        if action:
            props["action"] = action
        if templates:
            props["transform"] = True
        return _edge(ctx, api, target, props, owner, method)
    target = ctx.node_ref(uri, "lambda") or ctx.node_ref(uri)
    if target is None and text:
        target = ctx.function_named_in(_lambda_arn(text)) or _pick(
            ctx, kind_from_arn(_lambda_arn(text)) or "lambda", [uri], None, owner, "lambda")
    if target is not None:
        props = {"integration": "proxy" if itype in ("AWS_PROXY", "") else "service"}
        return _edge(ctx, api, target, props, owner, method)
    return None


def _edge(ctx: Ctx, api: str, target: str | None, props: dict[str, Any], owner: str,
          method: Any) -> str | None:
    ctx.edge(api, target, props=props, anchor=owner)
    add_method(ctx.arch, api, target, method)
    return target


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


PHYSICAL_NAME_KEYS = ("QueueName", "TableName", "TopicName", "StreamName", "BucketName",
                      "DeliveryStreamName", "Name", "StateMachineName")


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
    return ctx.named_in_text(blob, kind, PHYSICAL_NAME_KEYS)


# ------------------------------------------------------------------ REST resources
def wire_rest(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::ApiGateway::Method"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId"), "apigw")
        method = str(ctx.scalar(p.get("HttpMethod")) or "").upper()
        authz = str(ctx.scalar(p.get("AuthorizationType")) or "NONE").upper()
        record_route(ctx, api, _AUTH.get(authz, "lambda"), bool(ctx.flag(p.get("ApiKeyRequired"))),
                     method, path=_rest_path(ctx, p.get("ResourceId")))
        if p.get("RequestValidatorId") is not None:
            ctx.set_props(api, validation=True)
        integ = p.get("Integration")
        if isinstance(integ, dict):
            wire_integration(
                ctx, api, lid, itype=integ.get("Type"), uri=integ.get("Uri"),
                params=integ.get("RequestParameters"), templates=integ.get("RequestTemplates"),
                credentials=integ.get("Credentials"), method=method,
            )
    for lid in ctx.of_type("AWS::ApiGateway::Authorizer"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId"), "apigw")
        atype = str(ctx.scalar(p.get("Type")) or "").upper()
        if atype == "COGNITO_USER_POOLS":
            continue
        ctx.authorizer_edge(api, p.get("AuthorizerUri"), lid,
                            ttl=p.get("AuthorizerResultTtlInSeconds"))
    for lid in ctx.of_type("AWS::ApiGateway::RequestValidator"):
        p = ctx.props_of(lid)
        if ctx.flag(p.get("ValidateRequestBody")) or ctx.flag(p.get("ValidateRequestParameters")):
            ctx.set_props(ctx.node_ref(p.get("RestApiId"), "apigw"), validation=True)


def _rest_path(ctx: Ctx, resource: Any, depth: int = 0) -> str | None:
    """The path of a REST method's `ResourceId`: `/` for the API's `RootResourceId`, else
    the `AWS::ApiGateway::Resource` chain's `PathPart`s; None when it cannot be told."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        att = resource["Fn::GetAtt"]
        att = att.split(".", 1) if isinstance(att, str) else att
        return "/" if isinstance(att, list) and att[1:] == ["RootResourceId"] else None
    refs = ctx.resource_refs(resource)
    if len(refs) != 1 or depth > 30 or ctx.rtype(refs[0]) != "AWS::ApiGateway::Resource":
        return None
    p = ctx.props_of(refs[0])
    part = ctx.scalar(p.get("PathPart"))
    parent = _rest_path(ctx, p.get("ParentId"), depth + 1)
    if not isinstance(part, str) or parent is None:
        return None
    return parent.rstrip("/") + "/" + part


def wire_v2(ctx: Ctx) -> None:
    integrations: dict[str, str | None] = {}
    route_keys: dict[str, list[Any]] = {}  # integration -> the keys of routes targeting it
    for lid in ctx.of_type("AWS::ApiGatewayV2::Route"):
        p = ctx.props_of(lid)
        for integ in ctx.resource_refs(p.get("Target")):
            route_keys.setdefault(integ, []).append(ctx.scalar(p.get("RouteKey")))
    for lid in ctx.of_type("AWS::ApiGatewayV2::Integration"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("ApiId"), "apigw")
        integrations[lid] = api
        keys = route_keys.get(lid) or [None]
        target = wire_integration(
            ctx, api, lid, itype=p.get("IntegrationType"), uri=p.get("IntegrationUri"),
            subtype=p.get("IntegrationSubtype"), params=p.get("RequestParameters"),
            templates=p.get("RequestTemplates"), credentials=p.get("CredentialsArn"),
            method=keys[0],
        )
        for key in keys[1:]:
            add_method(ctx.arch, api, target, key)
    authorizers: dict[str, str] = {}
    for lid in ctx.of_type("AWS::ApiGatewayV2::Authorizer"):
        p = ctx.props_of(lid)
        atype = str(ctx.scalar(p.get("AuthorizerType")) or "").upper()
        authorizers[lid] = "jwt" if atype == "JWT" else "lambda"
        if atype != "JWT":
            ctx.authorizer_edge(ctx.node_ref(p.get("ApiId"), "apigw"), p.get("AuthorizerUri"),
                                lid, ttl=p.get("AuthorizerResultTtlInSeconds"))
    for lid in ctx.of_type("AWS::ApiGatewayV2::Route"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("ApiId"), "apigw")
        authz = str(ctx.scalar(p.get("AuthorizationType")) or "NONE").upper()
        kind = _AUTH.get(authz, "lambda")
        for az in ctx.resource_refs(p.get("AuthorizerId")):
            kind = authorizers.get(az, kind)
        route_key = str(ctx.scalar(p.get("RouteKey")) or "")
        record_route(ctx, api, kind, bool(ctx.flag(p.get("ApiKeyRequired"))), route_key)
