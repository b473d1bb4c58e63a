"""What sits in front of the components: AppSync data sources and Lambda authorizers,
load balancer listeners and target groups, CloudFront origins, WAF associations."""

from __future__ import annotations

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.wiring.common import as_list

_DS_FIELDS = {
    "AWS_LAMBDA": ("LambdaConfig", "LambdaFunctionArn"),
    "AMAZON_DYNAMODB": ("DynamoDBConfig", "TableName"),
    "AMAZON_EVENTBRIDGE": ("EventBridgeConfig", "EventBusArn"),
    "AMAZON_OPENSEARCH_SERVICE": ("OpenSearchServiceConfig", "Endpoint"),
    "AMAZON_ELASTICSEARCH": ("ElasticsearchConfig", "Endpoint"),
    "RELATIONAL_DATABASE": ("RelationalDatabaseConfig", "RdsHttpEndpointConfig"),
}


def _appsync_authorizers(ctx: Ctx, lid: str) -> None:
    """AppSync Lambda authorizers: `LambdaAuthorizerConfig` (and in each of the
    `AdditionalAuthenticationProviders`), SAM's `Auth.LambdaAuthorizer` (and `Additional`)."""
    p = ctx.props_of(lid)
    auth = p.get("Auth") if isinstance(p.get("Auth"), dict) else {}
    configs = [p.get("LambdaAuthorizerConfig"), auth.get("LambdaAuthorizer")]
    for extra in as_list(p.get("AdditionalAuthenticationProviders")):
        configs.append(extra.get("LambdaAuthorizerConfig") if isinstance(extra, dict) else None)
    for extra in as_list(auth.get("Additional")):
        configs.append(extra.get("LambdaAuthorizer") if isinstance(extra, dict) else None)
    api = ctx.names.get(lid)
    for cfg in configs:
        if isinstance(cfg, dict):
            ctx.authorizer_edge(api, cfg.get("AuthorizerUri"), lid,
                                ttl=cfg.get("AuthorizerResultTtlInSeconds"))


def wire_appsync(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::AppSync::GraphQLApi", "AWS::Serverless::GraphQLApi"):
        _appsync_authorizers(ctx, lid)
    for lid in ctx.of_type("AWS::AppSync::DataSource"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("ApiId"), "appsync")
        dtype = str(ctx.scalar(p.get("Type")) or "")
        target = None
        if dtype in _DS_FIELDS:
            section, field = _DS_FIELDS[dtype]
            cfg = p.get(section)
            if isinstance(cfg, dict):
                target = ctx.node_ref(cfg.get(field)) or ctx.node_ref(cfg)
        elif dtype == "HTTP":
            cfg = p.get("HttpConfig") if isinstance(p.get("HttpConfig"), dict) else {}
            auth = cfg.get("AuthorizationConfig")
            iam = auth.get("AwsIamConfig") if isinstance(auth, dict) else None
            service = ctx.scalar(iam.get("SigningServiceName")) if isinstance(iam, dict) else None
            if service == "states":
                target = _resolver_ref(ctx, lid, "sfn")
                for api_lid in ctx.resource_refs(p.get("ApiId")) if target is None else []:
                    # SAM GraphQLApi: the resolver code lives in the API's Functions
                    target = ctx.node_ref(ctx.props_of(api_lid).get("Functions"), "sfn")
                props = {"integration": "service"}
                ctx.edge(api, target, props=props, anchor=lid)
                continue
            url = ctx.scalar(cfg.get("Endpoint"))
            target = ctx.implicit_node(f"{lid}Endpoint", "http",
                                       {"url": url} if isinstance(url, str) else {})
        ctx.edge(api, target, anchor=lid)
    for lid in ctx.of_type("AWS::Serverless::GraphQLApi"):
        api = ctx.names.get(lid)
        sources = ctx.props_of(lid).get("DataSources")
        if not isinstance(sources, dict):
            continue
        for group in sources.values():
            if not isinstance(group, dict):
                continue
            for ds in group.values():
                if isinstance(ds, dict):
                    for node in ctx.node_refs(ds):
                        ctx.edge(api, node, anchor=lid)


def _resolver_ref(ctx: Ctx, ds_lid: str, kind: str) -> str | None:
    for lid in ctx.of_type("AWS::AppSync::Resolver", "AWS::AppSync::FunctionConfiguration"):
        p = ctx.props_of(lid)
        if ds_lid not in ctx.ref_names(p.get("DataSourceName")):
            continue
        node = ctx.node_ref(p, kind)
        if node is not None:
            return node
    return None


def wire_alb(ctx: Ctx) -> None:
    groups: dict[str, list[str]] = {}
    for lid in ctx.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"):
        targets = [t.get("Id") for t in as_list(ctx.props_of(lid).get("Targets"))
                   if isinstance(t, dict)]
        groups[lid] = ctx.node_refs(targets)
    for lid in ctx.of_type("AWS::ElasticLoadBalancingV2::Listener",
                           "AWS::ElasticLoadBalancingV2::ListenerRule"):
        p = ctx.props_of(lid)
        lb = ctx.node_ref(p.get("LoadBalancerArn"), "alb")
        if lb is None and p.get("ListenerArn") is not None:
            for listener in ctx.resource_refs(p.get("ListenerArn")):
                lb = ctx.node_ref(ctx.props_of(listener).get("LoadBalancerArn"), "alb")
        for action in as_list(p.get("DefaultActions")) + as_list(p.get("Actions")):
            if not isinstance(action, dict):
                continue
            atype = str(ctx.scalar(action.get("Type")) or "")
            if atype == "authenticate-cognito":
                ctx.set_props(lb, auth="cognito")
            elif atype == "authenticate-oidc":
                ctx.set_props(lb, auth="oidc")
            for tg in ctx.resource_refs(action):
                for node in groups.get(tg, []):
                    ctx.edge(lb, node, anchor=lid)


def wire_cloudfront(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::CloudFront::Distribution"):
        cfg = ctx.props_of(lid).get("DistributionConfig")
        if not isinstance(cfg, dict):
            continue
        node = ctx.names.get(lid)
        for origin in as_list(cfg.get("Origins")):
            if isinstance(origin, dict):
                for target in ctx.node_refs(origin.get("DomainName")):
                    ctx.edge(node, target, anchor=lid)
        if cfg.get("WebACLId") is not None:
            ctx.set_props(node, waf=True)


def wire_waf(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::WAFv2::WebACLAssociation"):
        for node in ctx.node_refs(ctx.props_of(lid).get("ResourceArn")):
            if ctx.arch.kind(node) in ("apigw", "alb", "appsync"):
                ctx.set_props(node, waf=True)
