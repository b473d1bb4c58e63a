"""REST-only API Gateway features a template states beside the API: the props
COST-APIGW-REST-TO-HTTP and the safety invariants ask of a REST API (advisor/engine/
apis.py, integration_limits.yaml `http_api.rest_only`), so a REST -> HTTP switch is
blocked, with the reason, when the API uses one.

- `resource_policy`: `Policy` of an `AWS::ApiGateway::RestApi` or a SAM Api, an OpenAPI
  body's `x-amazon-apigateway-policy`; SAM `Auth.ResourcePolicy`
  (of the API, or of an Api event: SAM adds it to the API's policy).
- `api_keys`: a route that requires a key (`ApiKeyRequired` on a method or a SAM event, SAM
  `Auth.ApiKeyRequired`), an `AWS::ApiGateway::UsagePlan` listing one of the API's stages,
  SAM `Auth.UsagePlan` with `CreateUsagePlan` PER_API or SHARED.
- `endpoint`: an edge-optimized or private custom domain mapped to the API
  (`AWS::ApiGateway::DomainName` / `DomainNameV2` and their `BasePathMapping(V2)`, SAM
  `Domain`): HTTP APIs have regional custom domains only. A domain without
  `EndpointConfiguration` is edge-optimized unless it names a `RegionalCertificateArn`
  (API Gateway's default); a SAM `Domain` is REGIONAL unless it says otherwise (SAM's
  default).

Sources: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-domainname-endpointconfiguration.html,
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-api-domainconfiguration.html
"""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx

USAGE_PLAN_ON = ("PER_API", "SHARED")
DOMAIN_TYPES = ("AWS::ApiGateway::DomainName", "AWS::ApiGateway::DomainNameV2")
MAPPING_TYPES = ("AWS::ApiGateway::BasePathMapping", "AWS::ApiGateway::BasePathMappingV2")
REST_ONLY_ENDPOINTS = ("edge", "private")


def read_rest_only(ctx: Ctx) -> None:
    """Set the props above on the REST APIs of the template (after every route is read)."""
    for api in sorted(ctx.api_keys_required):
        mark(ctx, api, api_keys=True)
    for lid in ctx.of_type("AWS::ApiGateway::UsagePlan"):
        for entry in _list(ctx.props_of(lid).get("ApiStages")):
            if isinstance(entry, dict):
                mark(ctx, ctx.node_ref(entry.get("ApiId"), "apigw"), api_keys=True)
    for lid in ctx.of_type("AWS::ApiGateway::RestApi", "AWS::Serverless::Api"):
        if _has_policy(ctx, lid):
            mark(ctx, ctx.names.get(lid), resource_policy=True)
    for lid in ctx.of_type("AWS::Serverless::Api"):
        p = ctx.props_of(lid)
        auth = p.get("Auth") if isinstance(p.get("Auth"), dict) else {}
        node = ctx.names.get(lid)
        if _sam_writes_policy(ctx, lid, node, auth.get("ResourcePolicy")):
            mark(ctx, node, resource_policy=True)
        usage = auth.get("UsagePlan")
        if isinstance(usage, dict) and str(ctx.scalar(usage.get("CreateUsagePlan"))).upper() \
                in USAGE_PLAN_ON:
            mark(ctx, node, api_keys=True)
        domain = p.get("Domain")
        if isinstance(domain, dict):
            etype = ctx.scalar(domain.get("EndpointConfiguration"))
            _domain_endpoint(ctx, node, etype if isinstance(etype, str) else "REGIONAL")
    _mapped_domains(ctx)


def _sam_writes_policy(ctx: Ctx, lid: str, node: str | None, policy: Any) -> bool:
    """Whether SAM's `Auth.ResourcePolicy` ends up in the API's policy. SAM's
    ApiGenerator writes its account/IP/VPC lists once per path of the definition
    (`add_resource_policy` for each `iter_on_path`) and its `CustomStatements` whatever
    the paths: an API with no route (no event, no path in its body) gets no policy from
    the lists alone. A body SAM cannot read (not a mapping) is taken to have paths."""
    if policy in (None, {}):
        return False
    if not isinstance(policy, dict) or policy.get("CustomStatements"):
        return True
    if node is not None and ctx.route_auths.get(node):
        return True
    body = ctx.props_of(lid).get("DefinitionBody")
    if body is None:
        return False
    return not isinstance(body, dict) or not isinstance(body.get("paths"), dict) or \
        bool(body["paths"])


def _has_policy(ctx: Ctx, lid: str) -> bool:
    """`Policy` on the API, or `x-amazon-apigateway-policy` in its OpenAPI body (where
    SAM writes `Auth.ResourcePolicy`)."""
    from advisor.importers.cloudformation.openapi import body_of

    p = ctx.props_of(lid)
    if p.get("Policy") not in (None, {}, ""):
        return True
    body = body_of(ctx, lid, p)
    return isinstance(body, dict) and body.get("x-amazon-apigateway-policy") not in (None, {})


def _mapped_domains(ctx: Ctx) -> None:
    endpoint = {lid: _endpoint_of(ctx, ctx.props_of(lid)) for lid in ctx.of_type(*DOMAIN_TYPES)}
    by_name = {str(ctx.scalar(ctx.props_of(lid).get("DomainName"))): lid
               for lid in endpoint if isinstance(ctx.scalar(ctx.props_of(lid).get("DomainName")),
                                                 str)}
    for lid in ctx.of_type(*MAPPING_TYPES):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId"), "apigw")
        named = p.get("DomainNameArn", p.get("DomainName"))
        domain = next(iter(ctx.ref_names(named)), None) if named is not None else None
        if domain not in endpoint:
            literal = ctx.scalar(named)
            domain = by_name.get(str(literal)) if isinstance(literal, str) else None
        if domain is not None and api is not None:
            _domain_endpoint(ctx, api, endpoint[domain])


def _endpoint_of(ctx: Ctx, p: dict[str, Any]) -> str:
    config = p.get("EndpointConfiguration")
    types = config.get("Types") if isinstance(config, dict) else None
    first = ctx.scalar(types[0]) if isinstance(types, list) and types else None
    if isinstance(first, str):
        return first
    return "REGIONAL" if p.get("RegionalCertificateArn") is not None else "EDGE"


def _domain_endpoint(ctx: Ctx, api: str | None, etype: str) -> None:
    """A custom domain of `etype` serves `api`: an edge-optimized or private one is
    REST-only, whatever the API's own endpoint."""
    if etype.lower() in REST_ONLY_ENDPOINTS:
        mark(ctx, api, endpoint=etype.lower())


def mark(ctx: Ctx, api: str | None, **props: Any) -> None:
    """Set REST-only feature props on `api` when it is a REST API."""
    if api is None or api not in ctx.arch.graph or ctx.arch.kind(api) != "apigw":
        return
    if ctx.arch.props(api).get("type") not in (None, "rest"):
        return  # an HTTP or WebSocket API: these are REST features by definition
    ctx.set_props(api, **props)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
