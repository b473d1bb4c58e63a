"""API Gateway stages: every stage of an API is read, and the API node says what holds for
all of them, with the place to fix it.

Access logs, tracing and throttling are set per stage (an `AWS::ApiGateway::Stage` /
`AWS::ApiGatewayV2::Stage`, a Deployment's `StageDescription`, or a SAM API's own
properties, which configure the one stage SAM creates). The stages fold into the API node,
so the node's prop is `true` only when every stage sets it; when one stage does not, the
prop stays unset and `prop_locs[prop]` is that stage's resource (`file:line`), where the
fix goes. When every stage sets it, `prop_locs[prop]` is the first stage setting it.
`caching` is an optimisation, not a control: any stage with a cache cluster sets it.

A Deployment's `StageName` creates a stage with default settings; it counts when the API
has no other stage (SAM's extra `Stage` stage, created beside the configured one unless
`OpenApiVersion` is set, is SAM's artifact and is not counted). Usage plans throttle the
stages they list (all of the API's stages when the stage is not resolvable), of an API
that requires API keys (a plan meters requests by key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.importers.cloudformation.conditions import resolve_conditionals
from advisor.importers.cloudformation.context import Ctx
from advisor.model import Location

EVERY_STAGE = ("access_logging", "tracing", "throttling")
ANY_STAGE = ("caching",)
SAM_APIS = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::WebSocketApi")


@dataclass
class Stage:
    name: str | None
    loc: Location | None  # None: the API resource itself (SAM) -- the node's own location
    settings: dict[str, bool] = field(default_factory=dict)


def has_throttling(settings: Any) -> bool:
    """Burst or rate limits in MethodSettings (a list), DefaultRouteSettings (a mapping) or
    RouteSettings (route key -> settings)."""
    items = settings if isinstance(settings, list) else [settings]
    for item in items:
        if isinstance(item, dict) and any(
            k in item for k in ("ThrottlingBurstLimit", "ThrottlingRateLimit")
        ):
            return True
    return False


def _settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, bool]:
    p = resolve_conditionals(p)
    routes = p.get("RouteSettings")
    route_items = list(routes.values()) if isinstance(routes, dict) else []
    return {
        "access_logging": p.get("AccessLogSetting") is not None
        or p.get("AccessLogSettings") is not None,
        "tracing": bool(ctx.flag(p.get("TracingEnabled"))),
        "throttling": has_throttling(p.get("MethodSettings"))
        or has_throttling(p.get("DefaultRouteSettings")) or has_throttling(route_items)
        or has_throttling(p),
        "caching": bool(ctx.flag(p.get("CacheClusterEnabled"))),
    }


def _name(ctx: Ctx, value: Any) -> str | None:
    got = ctx.scalar(value)
    return str(got) if got is not None else None


def collect(ctx: Ctx) -> dict[str, list[Stage]]:
    """API node -> its stages."""
    stages: dict[str, list[Stage]] = {}

    def add(api: str | None, stage: Stage) -> None:
        if api is not None and ctx.arch.kind(api) == "apigw":
            stages.setdefault(api, []).append(stage)

    for lid in ctx.of_type(*SAM_APIS):
        p = ctx.props_of(lid)
        add(ctx.names.get(lid), Stage(_name(ctx, p.get("StageName")), None, _settings(ctx, p)))
    for lid in ctx.of_type("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
        p = ctx.props_of(lid)
        add(ctx.node_ref(p.get("RestApiId", p.get("ApiId")), "apigw"),
            Stage(_name(ctx, p.get("StageName")), ctx.loc_of(lid), _settings(ctx, p)))
    for lid in ctx.of_type("AWS::ApiGatewayV2::ApiGatewayManagedOverrides"):
        p = ctx.props_of(lid)  # a quick-create API's $default stage, configured
        stage = p.get("Stage")
        if isinstance(stage, dict):
            add(ctx.node_ref(p.get("ApiId"), "apigw"),
                Stage("$default", ctx.loc_of(lid), _settings(ctx, stage)))
    bare: list[tuple[str | None, Stage]] = []
    for lid in ctx.of_type("AWS::ApiGateway::Deployment"):
        p = ctx.props_of(lid)
        api = ctx.node_ref(p.get("RestApiId"), "apigw")
        desc = p.get("StageDescription")
        if isinstance(desc, dict):
            add(api, Stage(_name(ctx, p.get("StageName")), ctx.loc_of(lid), _settings(ctx, desc)))
        elif p.get("StageName") is not None:
            bare.append((api, Stage(_name(ctx, p.get("StageName")), ctx.loc_of(lid))))
    for api, stage in bare:
        if api is not None and api not in stages:
            add(api, stage)
    _usage_plans(ctx, stages)
    return stages


def _usage_plans(ctx: Ctx, stages: dict[str, list[Stage]]) -> None:
    """A usage plan with a Throttle throttles the stages it lists; a SAM API's
    `Auth.UsagePlan` throttles the API's own stage. A plan meters requests by API key,
    so it throttles only an API whose routes require one."""
    stages = {api: found for api, found in stages.items() if api in ctx.api_keys_required}
    for lid in ctx.of_type("AWS::ApiGateway::UsagePlan"):
        p = ctx.props_of(lid)
        throttle = p.get("Throttle")
        if not (isinstance(throttle, dict) and throttle):
            continue
        for entry in p.get("ApiStages") or []:
            if not isinstance(entry, dict):
                continue
            api = ctx.node_ref(entry.get("ApiId"), "apigw")
            wanted = _stage_name_of(ctx, entry.get("Stage"))
            for stage in stages.get(api or "", []):
                if wanted is None or stage.name == wanted:
                    stage.settings["throttling"] = True
    for lid in ctx.of_type("AWS::Serverless::Api"):
        auth = ctx.props_of(lid).get("Auth")
        usage = auth.get("UsagePlan") if isinstance(auth, dict) else None
        if isinstance(usage, dict) and str(ctx.scalar(usage.get("CreateUsagePlan"))).upper() \
                in ("PER_API", "SHARED") and isinstance(usage.get("Throttle"), dict) \
                and usage["Throttle"]:
            for stage in stages.get(ctx.names.get(lid) or "", []):
                if stage.loc is None:
                    stage.settings["throttling"] = True


def _stage_name_of(ctx: Ctx, value: Any) -> str | None:
    """A usage plan's `Stage`: a name, or a Ref to a Stage resource (its StageName)."""
    for ref in ctx.resource_refs(value):
        if ctx.rtype(ref) in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
            return _name(ctx, ctx.props_of(ref).get("StageName"))
    got = ctx.scalar(value)
    return got if isinstance(got, str) else None


def wire_stages(ctx: Ctx) -> None:
    """Fold each API's stages into its node: props that hold on every stage, and where a
    stage lacks one (`prop_locs`)."""
    for api, stages in sorted(collect(ctx).items()):
        data = ctx.arch.graph.nodes[api]
        locs = data.setdefault("prop_locs", {})
        for prop in EVERY_STAGE:
            lacking = [s for s in stages if not s.settings.get(prop)]
            if not lacking:
                data["props"][prop] = True
                where = next((s.loc for s in stages if s.loc is not None), None)
            else:
                where = lacking[0].loc
            if where is not None:
                locs[prop] = where
        for prop in ANY_STAGE:
            setting = [s for s in stages if s.settings.get(prop)]
            if setting:
                data["props"][prop] = True
                if setting[0].loc is not None:
                    locs[prop] = setting[0].loc
