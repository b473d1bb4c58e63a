"""An API's `auth`: the weakest route's, for both importers.

Authorization is set per route (a REST method, an HTTP API route, an OpenAPI operation,
a SAM event). One route's auth is its authorizer (`iam`, `cognito`, `jwt`, `lambda`),
else `api_key` when it only requires a key, else `none`. The API's `auth` is the weakest
route's: one open route makes the API callable by anyone, which is what
SEC-APIGW-AUTH's peers check per method (checkov CKV_AWS_59, cdk-nag AwsSolutions-APIG4).
CORS preflight (`OPTIONS`) routes do not count, and on a WebSocket API only `$connect`
can be authorized, so only it counts. An API with no route has no `auth`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# weakest first; among real authorizers the order only makes the one shown independent of
# the order routes are read in
RANK = {"none": 0, "api_key": 1, "lambda": 2, "jwt": 3, "cognito": 4, "iam": 5}
CONNECT_ROUTE = "$connect"
# AppSync's AuthenticationType (CloudFormation) / authentication_type (Terraform)
APPSYNC_AUTH = {"API_KEY": "api_key", "AWS_IAM": "iam", "AMAZON_COGNITO_USER_POOLS": "cognito",
                "OPENID_CONNECT": "oidc", "AWS_LAMBDA": "lambda"}


def route_auth(authorizer: str | None, api_key: bool = False) -> str:
    """One route's auth: its authorizer, else `api_key` if it requires one, else `none`."""
    if authorizer and authorizer != "none":
        return authorizer
    return "api_key" if api_key else "none"


def counts(api_type: str | None, route_key: str | None) -> bool:
    """Whether a route's authorization decides who may call the API."""
    key = (route_key or "").strip()
    if api_type == "websocket":
        return key == CONNECT_ROUTE
    return not key.upper().startswith("OPTIONS")


def method_key(method: str | None) -> str:
    """`get`, `GET`, `any`, `x-amazon-apigateway-any-method` as one spelling."""
    m = (method or "").strip().upper()
    return "ANY" if m in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else m


def route_label(route_key: str | None, path: str | None = None) -> str | None:
    """How a finding names a route: `GET /orders/{id}` (a REST method or OpenAPI operation
    with its path), an HTTP API route key as written (`POST /orders`, `$default`), a
    WebSocket route (`$connect`); None when the path is not known."""
    if path:
        if path.lstrip("/") == "$default":  # SAM writes the default route both ways
            path = "$default"
        return f"{method_key(route_key) or 'ANY'} {path}"
    key = (route_key or "").strip()
    return key if key.startswith("$") or " " in key else None


def record(routes: dict[Any, str], auth: str, label: str | None, *,
           keep_weaker: bool = False) -> None:
    """One route's auth into `routes` (label -> auth; one whose path is not known gets a
    key of its own). A route stated again replaces the first (a SAM event merged into the
    user's definition), or with `keep_weaker` keeps the weaker of the two (Terraform: an
    OpenAPI body and an `aws_api_gateway_method` for the same route both apply)."""
    key = label if label is not None else len(routes)
    if keep_weaker and key in routes:
        auth = weakest((routes[key], auth)) or auth
    routes[key] = auth


def settle(routes: dict[Any, str]) -> tuple[str | None, list[str]]:
    """The API's auth (the weakest route's) and, when that is `none`, the routes open to
    anyone by name (sorted; routes whose path is not known are left out)."""
    auth = weakest(routes.values())
    if auth != "none":
        return auth, []
    return auth, sorted(k for k, a in routes.items() if a == "none" and isinstance(k, str))


def weakest(auths: Iterable[str]) -> str | None:
    found = sorted(set(auths), key=lambda a: (RANK.get(a, 2), a))
    return found[0] if found else None


# ------------------------------------------------------------------ OpenAPI bodies
def schemes_of(body: dict[str, Any]) -> dict[str, Any]:
    """The security schemes of an OpenAPI 3 (`components.securitySchemes`) or Swagger 2
    (`securityDefinitions`) body."""
    comps = body.get("components") if isinstance(body.get("components"), dict) else {}
    schemes = comps.get("securitySchemes") or body.get("securityDefinitions") or {}
    return schemes if isinstance(schemes, dict) else {}


def openapi_schemes(body: dict[str, Any]) -> dict[str, str]:
    """Security scheme name -> the auth kind it stands for."""
    out: dict[str, str] = {}
    for name, spec in schemes_of(body).items():
        if not isinstance(spec, dict):
            continue
        az = spec.get("x-amazon-apigateway-authorizer")
        atype = str(spec.get("x-amazon-apigateway-authtype", "")).lower()
        if isinstance(az, dict):
            t = str(az.get("type", "")).lower()
            out[str(name)] = {"cognito_user_pools": "cognito", "jwt": "jwt"}.get(t, "lambda")
        elif atype == "awssigv4":
            out[str(name)] = "iam"
        elif spec.get("type") == "apiKey":
            out[str(name)] = "api_key"
        elif spec.get("type") in ("oauth2", "openIdConnect"):
            out[str(name)] = "jwt"
    return out


def security_auth(security: list[Any], schemes: dict[str, str]) -> tuple[str | None, bool]:
    """An operation's `security`: (authorizer, API key required). API Gateway does not
    read it as OpenAPI's "any one requirement": a method has one authorizer and may also
    require an API key, so every scheme listed applies (SAM writes
    `[{MyAuth: []}, {api_key: []}]` for both). A list naming no defined scheme (SAM's
    `[{NONE: []}]`) leaves the method open."""
    kinds = [schemes.get(str(name)) for req in security if isinstance(req, dict) for name in req]
    known = [k for k in kinds if k]
    best = max((k for k in known if k != "api_key"), key=lambda k: RANK.get(k, 2), default=None)
    return best, "api_key" in known


def operation_auth(op: dict[str, Any], schemes: dict[str, str],
                   default: tuple[str | None, bool]) -> tuple[str | None, bool]:
    """One operation's (authorizer, API key): its own `security` (a mapping where a list
    belongs is one requirement), else `default` (the body's top-level security, or what
    SAM's DefaultAuthorizer writes into it)."""
    security = op.get("security")
    if isinstance(security, dict):
        security = [security]
    if isinstance(security, list) and security:
        return security_auth(security, schemes)
    return default
