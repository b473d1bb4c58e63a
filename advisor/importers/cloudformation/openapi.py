"""OpenAPI bodies of API Gateway APIs: integrations, authorizers, validators.

A body comes inline (`Body`, SAM `DefinitionBody`), from a local file (`DefinitionUri`,
`AWS::Include`), or -- in S3 -- not at all (reported). What it says:
- each method's `x-amazon-apigateway-integration` -> an edge from the API
  (`apigw.wire_integration`);
- `security` on the body or a method -> the API's `auth`, through the security schemes
  (`x-amazon-apigateway-authorizer` types, `awsSigv4`, API keys, OAuth2/OIDC);
- a Lambda authorizer's `authorizerUri` -> an `authorizer` edge to the function;
- request validators -> `validation`.

`Fn::If` may sit where a mapping belongs (SAM writes one around every path and method of
a function that has a `Condition`): both branches count (`conditions.resolve_conditionals`).
"""

from __future__ import annotations

from typing import Any

from advisor.errors import AdvisorError
from advisor.importers.api_auth import openapi_schemes, operation_auth, schemes_of, security_auth
from advisor.importers.cloudformation.conditions import resolve_conditionals
from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.template import load_template
from advisor.importers.reading import read_beside

MAX_OPENAPI_BYTES = 10 * 1024 * 1024
# ------------------------------------------------------------------ reading a body
def read_local(ctx: Ctx, lid: str, uri: str, what: str = "DefinitionUri") -> Any:
    """A definition file beside the template (S3 locations are not fetched); `what`
    names the property in the note when it cannot be read."""
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


def include(ctx: Ctx, lid: str, body: Any) -> Any:
    """`Fn::Transform: {Name: AWS::Include, Parameters: {Location: file}}` -> the file."""
    from advisor.importers.cloudformation.local_paths import include_location

    loc = include_location(ctx, body)
    return read_local(ctx, lid, loc, "AWS::Include file") if loc is not None else body


def body_of(ctx: Ctx, lid: str, p: dict[str, Any]) -> dict[str, Any] | None:
    """The API's OpenAPI body, conditionals resolved; None when it is not readable here."""
    body = p.get("DefinitionBody", p.get("Body"))
    if body is None and isinstance(ctx.scalar(p.get("DefinitionUri")), str):
        body = read_local(ctx, lid, str(ctx.scalar(p.get("DefinitionUri"))))
    if body is None and isinstance(p.get("BodyS3Location"), dict | str):
        line, col = ctx.line_of(None, lid)
        ctx.info(f"OpenAPI body of {lid} is stored in S3; its integrations are not read",
                 line, col)
    if body is None:
        return None
    body = resolve_conditionals(include(ctx, lid, body))
    return body if isinstance(body, dict) else None


# ------------------------------------------------------------------ wiring a body
def wire_openapi(ctx: Ctx, api: str, body: dict[str, Any], lid: str,
                 default_auth: str | None = None, default_api_key: bool = False,
                 sam_schemes: dict[str, str] | None = None) -> None:
    """Integrations, auth and validation of one body. `default_auth`/`default_api_key`:
    what SAM's `DefaultAuthorizer` / `Auth.ApiKeyRequired` give a method that states no
    security of its own; `sam_schemes`: the security schemes SAM writes into the body
    for its API's `Auth` (name -> auth kind; they replace the body's own of that name)."""
    from advisor.importers.cloudformation.apigw import record_route, wire_integration

    paths = body.get("paths")
    schemes = {**openapi_schemes(body), **(sam_schemes or {})}
    _authorizer_edges(ctx, api, body, lid)
    if body.get("x-amazon-apigateway-request-validators") or body.get(
        "x-amazon-apigateway-request-validator"
    ):
        ctx.set_props(api, validation=True)
    top_security = body.get("security")
    if not (default_auth or default_api_key) and isinstance(top_security, list) and top_security:
        # the body's own default, for operations without `security` (SAM's wins: it
        # writes its DefaultAuthorizer into each operation)
        default_auth, default_api_key = security_auth(top_security, schemes)
    if not isinstance(paths, dict):
        return
    for path, ops in paths.items():
        if not isinstance(ops, dict):
            continue
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            integ = op.get("x-amazon-apigateway-integration")
            if isinstance(integ, dict):
                from advisor.importers.api_auth import route_label

                # SAM's HTTP API editor adds an event's integration only where the
                # operation has none (apigw_sam.sam_api_event reads this)
                ctx.memo.setdefault("integrated routes", set()).add(
                    (api, route_label(str(method), str(path))))
                wire_integration(
                    ctx, api, lid,
                    itype=integ.get("type"), uri=integ.get("uri"),
                    subtype=integ.get("integrationSubtype"),
                    params=integ.get("requestParameters"),
                    templates=integ.get("requestTemplates"),
                    credentials=integ.get("credentials"), method=str(method),
                )
            auth, api_key = operation_auth(op, schemes, (default_auth, default_api_key))
            record_route(ctx, api, auth, bool(api_key), str(method), path=str(path))
            if op.get("x-amazon-apigateway-request-validator"):
                ctx.set_props(api, validation=True)


def _authorizer_edges(ctx: Ctx, api: str, body: dict[str, Any], lid: str) -> None:
    """A Lambda authorizer (`x-amazon-apigateway-authorizer.authorizerUri`) is a function
    the API calls before each request it guards."""
    for spec in schemes_of(body).values():
        az = spec.get("x-amazon-apigateway-authorizer") if isinstance(spec, dict) else None
        if not isinstance(az, dict) or az.get("authorizerUri") is None:
            continue
        ctx.authorizer_edge(api, az.get("authorizerUri"), lid,
                            ttl=az.get("authorizerResultTtlInSeconds"))


