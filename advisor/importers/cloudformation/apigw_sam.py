"""SAM APIs (`AWS::Serverless::Api`, `HttpApi`, `WebSocketApi`): what SAM generates from
their `Auth`, their functions' and state machines' `Api`/`HttpApi` events and WebSocket
`Routes`, read so that the graph is the one SAM's expansion deploys.

- Auth (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-api-apiauth.html):
  each authorizer with a `FunctionArn` is an `authorizer` edge; `DefaultAuthorizer` and
  `ApiKeyRequired` apply to every route that states nothing else (SAM writes them into
  each method of the definition, its own and the user's), `Authorizer: NONE` on an event
  removes it for that route. An API's `auth` is the weakest one its routes use
  (`advisor.importers.api_auth`), as on the expanded side; an API with no route has none.
- Events: SAM adds an event's integration to the API's definition only where it edits
  that definition (`manages_definition`); otherwise the event only gives API Gateway
  permission to invoke the function, and the user's definition says how. A state machine behind a REST
  event is a service integration (`StartExecution`, with a request template).
- WebSocket `Routes` (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-websocketapi.html):
  each route's `FunctionArn` is a proxy integration; `Auth` guards the `$connect` route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.importers.cloudformation.context import Ctx

_WEBSOCKET_AUTH = {"NONE": "none", "AWS_IAM": "iam", "CUSTOM": "lambda"}
CONNECT_ROUTE = "$connect"


@dataclass(frozen=True)
class RouteDefaults:
    """What a route of a SAM API gets when its event states no auth of its own."""

    auth: str | None = None  # the DefaultAuthorizer's kind
    api_key: bool = False  # Auth.ApiKeyRequired


def _auth_of(ctx: Ctx, lid: str | None) -> dict[str, Any]:
    if lid is None or lid not in ctx.resources:
        return {}
    auth = ctx.props_of(lid).get("Auth")
    return auth if isinstance(auth, dict) else {}


def _authorizers(auth: dict[str, Any]) -> dict[str, Any]:
    found = auth.get("Authorizers")
    return found if isinstance(found, dict) else {}


def authorizer_kind(spec: Any) -> str:
    """cognito (a user pool), jwt (HTTP API JWT configuration) or lambda."""
    if not isinstance(spec, dict):
        return "lambda"
    if "UserPoolArn" in spec:
        return "cognito"
    if "JwtConfiguration" in spec:
        return "jwt"
    return "lambda"


def named_kind(authorizers: dict[str, Any], name: Any, http: bool) -> str | None:
    """The auth kind an authorizer name stands for on a SAM API. `AWS_IAM` is the built-in
    IAM authorizer, except on an HTTP API whose `Auth.Authorizers` defines one of that
    name: SAM's HttpApiGenerator adds its IAM authorizer first and the user's entries
    over it, so the user's (a JWT or Lambda authorizer) is the one the routes get. A REST
    API's SwaggerEditor takes `AWS_IAM` for IAM whatever `Authorizers` holds."""
    if not isinstance(name, str):
        return None
    if name == "AWS_IAM" and not (http and name in authorizers):
        return "iam"
    return authorizer_kind(authorizers[name]) if name in authorizers else None


def api_auth(ctx: Ctx, lid: str, node: str) -> RouteDefaults:
    """Authorizer edges of a SAM API, and the defaults its routes get."""
    auth = _auth_of(ctx, lid)
    authorizers = _authorizers(auth)
    for spec in authorizers.values():
        if isinstance(spec, dict):
            identity = spec.get("Identity")
            ttl = identity.get("ReauthorizeEvery") if isinstance(identity, dict) else None
            ctx.authorizer_edge(node, spec.get("FunctionArn"), lid, ttl=ttl)
    default = ctx.scalar(auth.get("DefaultAuthorizer"))
    kind = named_kind(authorizers, default, ctx.rtype(lid) == "AWS::Serverless::HttpApi")
    defaults = RouteDefaults(kind, bool(ctx.flag(auth.get("ApiKeyRequired"))))
    ctx.route_defaults[node] = defaults
    return defaults


def security_schemes(ctx: Ctx, lid: str) -> dict[str, str]:
    """The security schemes SAM writes into an API's inline definition (replacing any of
    the same name) for its `Auth.Authorizers`, which the user's operations may name in
    their own `security`: scheme name -> auth kind."""
    return {str(name): authorizer_kind(spec)
            for name, spec in _authorizers(_auth_of(ctx, lid)).items()}


def manages_definition(ctx: Ctx, api_lid: str | None, event_type: str) -> bool:
    """True when SAM writes an event's route into the API's definition: one SAM generates
    (no `DefinitionBody`/`DefinitionUri`); for an `Api` event also the user's inline body
    with `MergeDefinitions: true`, for an `HttpApi` event any inline body (SAM's push
    event sources). A `DefinitionUri` file is deployed as it is."""
    if api_lid is None or api_lid not in ctx.resources:
        return False
    if not ctx.rtype(api_lid).startswith("AWS::Serverless::"):
        return False
    p = ctx.props_of(api_lid)
    body = p.get("DefinitionBody")
    if not body:
        return not p.get("DefinitionUri")
    if event_type == "http":
        return True
    # SAM merges only into what its SwaggerEditor takes for a document: a `paths` mapping
    return bool(ctx.flag(p.get("MergeDefinitions"))) and isinstance(body, dict) and \
        isinstance(body.get("paths"), dict)


def sam_api_event(ctx: Ctx, api: str, target: str, p: dict[str, Any], api_type: str,
                  owner: str) -> None:
    """A SAM Api/HttpApi event of a function or state machine: the API -> target edge,
    the route's auth and validation."""
    from advisor.importers.api_auth import route_label
    from advisor.importers.api_methods import add_method
    from advisor.importers.cloudformation.apigw import record_route

    api_lid = ctx.arch.graph.nodes[api].get("source_id")
    managed = manages_definition(ctx, api_lid, api_type)
    machine = ctx.arch.kind(target) == "sfn"
    path, method = ctx.scalar(p.get("Path")), ctx.scalar(p.get("Method"))
    if api_type == "http" and not path and not method:  # SAM's `$default` route
        path, method = "$default", "ANY"
    # an HTTP API route the user's body already integrates keeps that integration (SAM's
    # OpenApiEditor adds one only where there is none): the event reaches nothing there
    taken = api_type == "http" and managed and (api, route_label(
        str(method or ""), str(path or ""))) in ctx.memo.get("integrated routes", ())
    if managed and not taken:
        props = {"integration": "service", "action": "states:StartExecution", "transform": True} \
            if machine else {"integration": "proxy"}
        ctx.edge(api, target, props=props, anchor=owner)
    elif not machine and not taken:  # SAM adds the function's invoke permission; the
        ctx.edge(api, target, anchor=owner)  # definition says how
    defaults = ctx.route_defaults.get(api, RouteDefaults())
    kind, api_key = defaults.auth, defaults.api_key
    auth = p.get("Auth")
    if isinstance(auth, dict):
        name = ctx.scalar(auth.get("Authorizer"))
        if name == "NONE":
            kind = None
        elif isinstance(name, str):
            kind = named_kind(_authorizers(_auth_of(ctx, api_lid)), name, api_type == "http") \
                or authorizer_kind(None)
        required = ctx.flag(auth.get("ApiKeyRequired"))
        if required is not None:
            api_key = required
        if auth.get("ResourcePolicy") not in (None, {}):  # SAM adds it to the API's policy
            from advisor.importers.cloudformation.apigw_rest_only import mark

            mark(ctx, api, resource_policy=True)
    if managed:
        if not taken:
            add_method(ctx.arch, api, target, method)
        # an event without Auth leaves the security the user's operation states
        if (isinstance(auth, dict) and auth) or not _in_body(ctx, api, str(method or ""),
                                                              str(path or "")):
            record_route(ctx, api, kind, bool(api_key), str(method or ""), path=str(path or ""))
    model = p.get("RequestModel")
    if managed and isinstance(model, dict) and (
        ctx.flag(model.get("ValidateBody")) or ctx.flag(model.get("ValidateParameters"))
    ):
        ctx.set_props(api, validation=True)


def _in_body(ctx: Ctx, api: str, method: str, path: str) -> bool:
    """Whether the user's definition already states this route (an HTTP API's inline
    body, or a REST API's with `MergeDefinitions`). For an event without `Auth` SAM leaves
    that operation's `security` as written: the HTTP OpenApiEditor adds only a missing
    integration and puts the DefaultAuthorizer only where an operation has no security;
    a REST merge keeps the user's keys SAM generates nothing for, and the REST
    DefaultAuthorizer leaves an operation that names an authorizer. So the auth read from
    the body (its defaults applied) stands."""
    from advisor.importers.api_auth import route_label

    return route_label(method, path) in ctx.route_auths.get(api, {})


def wire_websocket(ctx: Ctx, lid: str, node: str) -> None:
    """`AWS::Serverless::WebSocketApi` Routes -> proxy edges; Auth on `$connect`."""
    p = ctx.props_of(lid)
    from advisor.importers.cloudformation.apigw import record_route

    auth = p.get("Auth") if isinstance(p.get("Auth"), dict) else {}
    auth_type = str(ctx.scalar(auth.get("AuthType")) or "NONE").upper()
    connect_kind = _WEBSOCKET_AUTH.get(auth_type, "lambda")
    if auth_type == "CUSTOM":
        ctx.authorizer_edge(node, auth.get("AuthArn"), lid)
    routes = p.get("Routes")
    for key, route in routes.items() if isinstance(routes, dict) else []:
        if not isinstance(route, dict):
            continue
        fn = ctx.node_ref(route.get("FunctionArn"), "lambda")
        ctx.edge(node, fn, props={"integration": "proxy"}, anchor=lid)
        record_route(ctx, node, connect_kind if key == CONNECT_ROUTE else "none",
                     bool(ctx.flag(route.get("ApiKeyRequired"))), str(key))
