"""API Gateway wiring, REST and HTTP/WebSocket (v2): integrations (proxy, AWS service,
HTTP, v2 subtypes), methods and routes (auth), authorizers, validators, stages, method
settings, usage plans, WAF, OpenAPI `body` documents, and the REST-only features the
engine asks of a REST API (a resource policy, API keys and usage plans, an edge-optimized
or private custom domain: `resource_policy`, `api_keys`, `endpoint`). An API's auth is its weakest
method's; it is settled in `finish_apis` once every method and route is read."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from advisor.importers import api_auth
from advisor.importers.api_methods import add_method
from advisor.importers.apigw_actions import subtype_action, uri_action
from advisor.importers.edge_labels import AUTHORIZER
from advisor.importers.terraform.hcl import Block, Expr
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import as_json, flag, num
from advisor.importers.terraform.wiring.common import default_bus, http_node, services

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


_APIGW_URI_RE = re.compile(r"arn:[^:]*:apigateway:[^:]*:([a-z0-9.-]+):(path|action)/([^\s\"]*)")




def _rest_integration(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    apis = ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id")
    itype = str(b.get("type", "")).upper()
    targets, props = _integration_targets(
        ctx, res, mod, itype, b.get("uri"), b.get("request_templates"), b
    )
    method = b.get("http_method")
    for api in apis:
        for target in targets:
            ctx.edge(api, target, block=b, **props)
            add_method(ctx.arch, api, target, method)
        # `http_method = aws_api_gateway_method.x.http_method`: resolved in `finish_apis`
        refs = _refs(method, "aws_api_gateway_method.", ".http_method")
        if refs:
            ctx.arch.graph.nodes[api].setdefault("_method_refs", []).append((refs, targets))


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
            return [http_node(ctx, res, uri)], {"integration": "proxy"}
        return [], {}
    if itype == "AWS_PROXY":
        return ctx.nodes(mod, uri, b, "uri"), {"integration": "proxy"}
    uri_text = str(uri) if uri is not None else ""
    m = _APIGW_URI_RE.search(uri_text)
    if not m:
        return ctx.nodes(mod, uri, b, "uri"), {"integration": "service"}
    service, style, rest = m.group(1), m.group(2), m.group(3)
    kind = services().get(service)
    props = {
        "integration": "service",
        "action": uri_action(service, style, rest, _plain_strings(templates)),
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
        targets = [default_bus(ctx, b)]
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
    authorizer = {
        "NONE": "none",
        "CUSTOM": "lambda",
        "COGNITO_USER_POOLS": "cognito",
        "AWS_IAM": "iam",
    }.get(str(b.get("authorization", "NONE")).upper(), "none")
    key_required = bool(flag(b.get("api_key_required")))
    auth = api_auth.route_auth(authorizer, key_required)
    path = _rest_path(ctx, mod, b.get("resource_id"))
    for api in ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id"):
        _record_auth(ctx, api, auth, str(b.get("http_method", "")), path)
        ctx.arch.graph.nodes[api].setdefault("_methods", {})[res.address] = b.get("http_method")
        if key_required:
            _rest_only(ctx, api, api_keys=True)
        if b.get("request_validator_id") is not None:
            ctx.set_props(api, validation=True)


def _rest_path(ctx: Context, mod: Module, resource_id: Any, depth: int = 0) -> str | None:
    """The path of a REST method's `resource_id`: `/` for the API's `root_resource_id`,
    else the `aws_api_gateway_resource` chain's `path_part`s; None when it cannot be told."""
    from advisor.importers.terraform.module import resolve_value

    found = resolve_value(ctx.ws, mod, resource_id)
    if len(found) != 1 or depth > 30:
        return None
    res, attr = found[0]
    if res.type == "aws_api_gateway_rest_api" and attr == "root_resource_id":
        return "/"
    if res.type != "aws_api_gateway_resource":
        return None
    part = res.block.get("path_part")
    parent = _rest_path(ctx, res.module, res.block.get("parent_id"), depth + 1)
    if not isinstance(part, str) or "${" in part or parent is None:
        return None
    return parent.rstrip("/") + "/" + part


def _record_auth(ctx: Context, api: str, auth: str, route_key: str | None = None,
                 path: str | None = None) -> None:
    """One route's auth (a CORS preflight, or a WebSocket route other than `$connect`,
    does not count); the API gets the weakest in `finish_apis`."""
    if not api_auth.counts(ctx.arch.props(api).get("type"), route_key):
        return
    routes = ctx.arch.graph.nodes[api].setdefault("_auths", {})
    api_auth.record(routes, auth, api_auth.route_label(route_key, path), keep_weaker=True)


def _rest_authorizer(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    atype = str(b.get("type", "TOKEN")).upper()
    _authorizer(ctx, b, mod, "rest_api_id", "cognito" if atype == "COGNITO_USER_POOLS" else "lambda")


def _authorizer(ctx: Context, b: Block, mod: Module, api_key: str, auth: str) -> None:
    """An authorizer block of either API flavour: the API's auth, and an edge to the
    Lambda authorizer function when there is one."""
    for api in ctx.nodes(mod, b.get(api_key), b, api_key):
        ctx.arch.graph.nodes[api].setdefault("_authorizers", set()).add(auth)
        ttl = num(b.get("authorizer_result_ttl_in_seconds"))
        for fn in ctx.nodes(mod, b.get("authorizer_uri"), b, "authorizer_uri"):
            ctx.edge(api, fn, block=b, label=AUTHORIZER,
                     auth_cache_ttl=int(ttl * 1000) if ttl is not None else None)


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
    """A usage plan meters the APIs it lists by API key (REST only), and throttles them
    when it has throttle settings."""
    throttles = b.first("throttle_settings") is not None
    for stage in b.sub("api_stages"):
        for api in ctx.nodes(mod, stage.get("api_id"), b, "api_stages"):
            _rest_only(ctx, api, api_keys=True)
            if throttles:
                ctx.set_props(api, throttling=True)


def _rest_api_policy(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for api in ctx.nodes(mod, b.get("rest_api_id"), b, "rest_api_id"):
        _rest_only(ctx, api, resource_policy=True)


def _base_path_mapping(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    """A custom domain serving the API: an edge-optimized or private one is REST-only
    (HTTP APIs have regional custom domains only). An `aws_api_gateway_domain_name`
    without `endpoint_configuration` is edge-optimized unless it names a
    `regional_certificate_arn` (API Gateway's default)."""
    from advisor.importers.terraform.module import resolve_value

    domains = [d for d, _ in resolve_value(ctx.ws, mod, b.get("domain_name"))
               if d.type == "aws_api_gateway_domain_name"]
    if not domains and isinstance(b.get("domain_name"), str):
        domains = [d for d in ctx.ws.resources() if d.type == "aws_api_gateway_domain_name"
                   and d.block.get("domain_name") == b.get("domain_name")]
    for domain in domains[:1]:
        etype = _domain_endpoint(domain.block)
        if etype in ("edge", "private"):
            for api in ctx.nodes(mod, b.get("api_id"), b, "api_id"):
                _rest_only(ctx, api, endpoint=etype)


def _domain_endpoint(b: Block) -> str:
    ec = b.first("endpoint_configuration")
    types = ec.get("types") if ec is not None else None
    if isinstance(types, list) and types and isinstance(types[0], str):
        return types[0].lower()
    return "regional" if b.get("regional_certificate_arn") is not None else "edge"


def _rest_only(ctx: Context, api: str, **props: Any) -> None:
    """Set a REST-only feature (advisor/engine/integration_limits.yaml `rest_only`) on a
    REST API; an HTTP or WebSocket API does not have it."""
    if ctx.arch.kind(api) == "apigw" and ctx.arch.props(api).get("type") in (None, "rest"):
        ctx.set_props(api, **props)


def _waf_association(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for node in ctx.nodes(mod, b.get("resource_arn"), b, "resource_arn"):
        if ctx.arch.kind(node) == "apigw":
            ctx.set_props(node, waf=True)


def _v2_integration(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    apis = ctx.nodes(mod, b.get("api_id"), b, "api_id")
    targets, props = _v2_targets(
        ctx, res, mod, b, str(b.get("integration_type", "")).upper(),
        b.get("integration_subtype"), b.get("integration_uri"), b.get("request_parameters"),
        b.get("request_templates"),
    )
    for api in apis:
        for target in targets:
            ctx.edge(api, target, block=b, **props)
        # which routes use it is read from the routes (`finish_apis` adds their methods)
        ctx.arch.graph.nodes[api].setdefault("_v2_integrations", {})[res.address] = targets


def _v2_targets(
    ctx: Context, res: Resource, mod: Module, b: Block, itype: str, subtype: Any, uri: Any,
    params: Any, templates: Any,
) -> tuple[list[str], dict[str, Any]]:
    """Targets and edge props of one HTTP/WebSocket API integration (a resource or a
    registry module's route)."""
    from advisor.importers.terraform.importer import mapping

    if not (isinstance(subtype, str) and subtype in mapping()["apigwv2_subtypes"]):
        return _integration_targets(ctx, res, mod, itype, uri, templates, b)
    spec = mapping()["apigwv2_subtypes"][subtype]
    targets: list[str] = []
    if isinstance(params, dict):
        for key in spec["params"]:
            targets += [
                n
                for n in ctx.nodes(mod, params.get(key), b, "request_parameters")
                if ctx.arch.kind(n) == spec["kind"]
            ]
    if not targets and spec["kind"] == "eventbridge":
        targets = [default_bus(ctx, b)]
    if not targets:
        targets = ctx.only_of(spec["kind"])
        if targets:
            ctx.note(
                b,
                f"{subtype} target not named; "
                f"taken as the only {spec['kind']} here ({targets[0]})",
            )
    return targets, {"integration": "service", "action": subtype_action(subtype)}


def _registry_routes(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    """terraform-aws-modules/apigateway-v2: `routes` (v5: route key -> {authorization_type,
    integration = {uri, type, subtype, request_parameters}}) and the older `integrations`
    (route key -> {lambda_arn | integration_uri, integration_type, authorization_type}).
    Unset attributes take the module's defaults (`registry_defaults` in mapping.yaml)."""
    from advisor.importers.terraform.importer import registry_default

    auth_default = registry_default(res, "route_authorization_type")
    type_default = registry_default(res, "route_integration_type")
    for attr in ("routes", "integrations"):
        routes = b.get(attr)
        if not isinstance(routes, dict):
            continue
        for _key, route in sorted(routes.items()):
            if not isinstance(route, dict):
                continue
            integ = route.get("integration") if attr == "routes" else route
            integ = integ if isinstance(integ, dict) else {}
            uri = integ.get("uri", integ.get("lambda_arn", integ.get("integration_uri")))
            itype = integ.get("type", integ.get("integration_type", type_default))
            targets, props = _v2_targets(
                ctx, res, mod, b, str(itype or "").upper(),
                integ.get("subtype", integ.get("integration_subtype")), uri,
                integ.get("request_parameters"), integ.get("request_templates"),
            )
            for target in targets:
                ctx.edge(name, target, block=b, **props)
                add_method(ctx.arch, name, target, str(_key))
            auth = str(route.get("authorization_type", auth_default) or "NONE").upper()
            _record_auth(ctx, name, _V2_AUTH.get(auth, "none"), str(_key))


def _refs(value: Any, prefix: str, suffix: str) -> list[str]:
    """The addresses of `prefix` resources an expression refers to (`suffix` removed)."""
    parts = getattr(value, "parts", None) or ([value] if hasattr(value, "path") else [])
    return [str(r.path).removesuffix(suffix) for r in parts
            if str(getattr(r, "path", "")).startswith(prefix)]


def _named(address: str, refs: list[str]) -> bool:
    """`address` (module-qualified) is one of the local references `refs`."""
    return any(address == r or address.endswith("." + r) for r in refs)


_V2_AUTH = {"NONE": "none", "JWT": "jwt", "AWS_IAM": "iam", "CUSTOM": "lambda"}


def _v2_route(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    auth = api_auth.route_auth(_V2_AUTH.get(str(b.get("authorization_type", "NONE")).upper()),
                               bool(flag(b.get("api_key_required"))))
    refs = _refs(b.get("target"), "aws_apigatewayv2_integration.", ".id")
    for api in ctx.nodes(mod, b.get("api_id"), b, "api_id"):
        _record_auth(ctx, api, auth, str(b.get("route_key", "")))
        ctx.arch.graph.nodes[api].setdefault("_v2_routes", []).append(
            (refs, b.get("route_key")))
        if b.get("request_models") is not None or b.get("model_selection_expression") is not None:
            ctx.set_props(api, validation=True)


def _v2_authorizer(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    atype = str(b.get("authorizer_type", "REQUEST")).upper()
    _authorizer(ctx, b, mod, "api_id", "jwt" if atype == "JWT" else "lambda")


def _apigw_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    """An OpenAPI `body` on the API: integrations, authorizers, validators."""
    if res.registry:
        _registry_routes(ctx, name, res, b, mod)
    if res.type == "aws_api_gateway_rest_api" and b.get("policy") not in (None, ""):
        _rest_only(ctx, name, resource_policy=True)
    body = as_json(b.get("body")) or _openapi_yaml(b.get("body"))
    if not isinstance(body, dict):
        if b.get("target") is not None:  # HTTP API quick create
            for target in ctx.nodes(mod, b.get("target"), b, "target"):
                ctx.edge(name, target, block=b, integration="proxy")
        return
    if body.get("x-amazon-apigateway-policy") not in (None, {}):
        _rest_only(ctx, name, resource_policy=True)
    paths = body.get("paths") if isinstance(body.get("paths"), dict) else {}
    schemes = api_auth.openapi_schemes(body)
    top = body.get("security")
    default = api_auth.security_auth(top, schemes) if isinstance(top, list) and top else (None, False)
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
                    props: dict[str, Any] = {"integration": "service",
                                             "action": subtype_action(subtype)}
                else:
                    targets, props = _integration_targets(
                        ctx, res, mod, itype, integ.get("uri"), integ.get("requestTemplates"), b
                    )
                for target in targets:
                    ctx.edge(name, target, block=b, **props)
                    add_method(ctx.arch, name, target, method)
            authorizer, api_key = api_auth.operation_auth(op, schemes, default)
            _record_auth(ctx, name, api_auth.route_auth(authorizer, api_key), method,
                         str(path_key))
            if api_key:
                _rest_only(ctx, name, api_keys=True)
            if op.get("x-amazon-apigateway-request-validator") or body.get(
                "x-amazon-apigateway-request-validator"
            ):
                ctx.set_props(name, validation=True)


MAX_BODY_CHARS = 2 * 1024 * 1024  # what file()/templatefile() read at most


def _openapi_yaml(value: Any) -> dict[str, Any] | None:
    """An OpenAPI `body` written as YAML text (`file("api.yaml")`, `templatefile()`,
    `data.template_file`): the document, when it is one (`openapi`/`swagger`, `paths`).
    Read with YAML's safe loader; `${...}` references stay text for the wiring."""
    text = value.text if isinstance(value, Expr) and value.func == "string" else value
    if not isinstance(text, str) or len(text) > MAX_BODY_CHARS or "paths" not in text:
        return None
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # a safe loader: data only, no objects
    except yaml.YAMLError:
        return None
    if isinstance(doc, dict) and isinstance(doc.get("paths"), dict) and (
            "openapi" in doc or "swagger" in doc):
        return doc
    return None


def finish_apis(ctx: Context) -> None:
    """Each API's `auth`: its weakest route's (`advisor.importers.api_auth`); each HTTP
    API route's method on the edges of the integration it targets."""
    for api in list(ctx.arch.nodes_of_kind("apigw")):
        data = ctx.arch.graph.nodes[api]
        integrations = data.pop("_v2_integrations", {})
        for refs, key in data.pop("_v2_routes", []):  # a route's method on its targets' edges
            for address, targets in sorted(integrations.items()):
                if _named(address, refs):
                    for target in targets:
                        add_method(ctx.arch, api, target, key)
        methods = data.pop("_methods", {})
        for refs, targets in data.pop("_method_refs", []):
            for address, method in sorted(methods.items()):
                if _named(address, refs):
                    for target in targets:
                        add_method(ctx.arch, api, target, method)
        routes: dict[Any, str] = data.pop("_auths", {})
        data.pop("_authorizers", None)
        if routes:
            auth, open_routes = api_auth.settle(routes)
            ctx.set_props(api, auth=auth, open_routes=open_routes or None)


WIRING = {
    "aws_api_gateway_integration": _rest_integration,
    "aws_api_gateway_method": _rest_method,
    "aws_api_gateway_authorizer": _rest_authorizer,
    "aws_api_gateway_request_validator": _rest_validator,
    "aws_api_gateway_method_settings": _rest_method_settings,
    "aws_api_gateway_stage": _rest_stage,
    "aws_api_gateway_usage_plan": _usage_plan,
    "aws_api_gateway_rest_api_policy": _rest_api_policy,
    "aws_api_gateway_base_path_mapping": _base_path_mapping,
    "aws_apigatewayv2_integration": _v2_integration,
    "aws_apigatewayv2_route": _v2_route,
    "aws_apigatewayv2_authorizer": _v2_authorizer,
    "aws_apigatewayv2_stage": _rest_stage,
    "aws_wafv2_web_acl_association": _waf_association,
}
IMPLIED = {
    "apigw": _apigw_implied,
}
