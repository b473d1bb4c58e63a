"""API Gateway stage settings in CloudFormation/SAM: throttling (OPS-APIGW-THROTTLING),
X-Ray tracing (OPS-APIGW-TRACING, AppSync's `XrayEnabled` too) and JSON access logs
(OPS-APIGW-ACCESS-LOGGING).

Every one of these lives on the stage, so one locator (`stage_of`) says where an API's
stage is configured: `Globals` for SAM's implicit API, the SAM API's own properties (they
configure the one stage SAM creates), the one `Stage` resource, the one Deployment's
`StageDescription`, or, for a quick-create HTTP API (whose `$default` stage API Gateway
creates), an `AWS::ApiGatewayV2::ApiGatewayManagedOverrides`. An API with several stages
is not guessed at: the rewrite is listed with that reason.

The throttling limits written are the account-level defaults of API Gateway (10,000
requests per second, burst 5,000; `advisor/fix/data.yaml`, with its source), stated on
the stage so they are explicit and can be lowered to the API's expected peak: the patch
says so. Access logs go to a new log group named after the API, kept 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.fix.cfn.locate import node_site
from advisor.fix.cfn.template import Template, Unpatchable, ref_target
from advisor.fix.context import FixContext
from advisor.fix.data import (
    access_log_format,
    access_log_rest_note,
    access_log_retention,
    throttling_limits,
)
from advisor.fix.emit import GetAtt, Ref

REST, HTTP, WEBSOCKET = "rest", "http", "websocket"


@dataclass(frozen=True)
class StageSite:
    """Where one API's stage settings are written.

    `where`: `globals` (path = ("Globals", "Api"|"HttpApi")), `props` (the properties of
    `lid`: a SAM API or a Stage resource), `description` (a Deployment's
    `StageDescription`), `overrides` (a quick-create API's managed overrides `Stage`)."""

    where: str
    lid: str
    api_type: str  # rest | http | websocket

    def path(self, tpl: Template, *keys: Any) -> tuple[Any, ...]:
        if self.where == "globals":
            return ("Globals", "Api" if self.api_type == REST else "HttpApi", *keys)
        if self.where == "description":
            return tpl.prop_path(self.lid, "StageDescription", *keys)
        if self.where == "overrides":
            return tpl.prop_path(self.lid, "Stage", *keys)
        return tpl.prop_path(self.lid, *keys)

    def current(self, tpl: Template, key: str) -> Any:
        if self.where == "globals":
            return tpl.globals("Api" if self.api_type == REST else "HttpApi").get(key)
        props = tpl.props(self.lid) if tpl.has(self.lid) else {}
        if self.where in ("description", "overrides"):
            inner = props.get("StageDescription" if self.where == "description" else "Stage")
            return inner.get(key) if isinstance(inner, dict) else None
        return props.get(key)


def stage_of(ctx: FixContext, tpl: Template, api_node: str) -> StageSite:
    site = node_site(ctx, tpl, api_node)
    if site.what == "implicit":
        return StageSite("globals", site.lid, REST if site.lid == "ServerlessRestApi" else HTTP)
    if site.what != "resource":
        raise Unpatchable(f"{api_node} is not an API resource")
    lid, rtype = site.lid, tpl.rtype(site.lid)
    if rtype == "AWS::Serverless::Api":
        return StageSite("props", lid, REST)
    if rtype == "AWS::Serverless::HttpApi":
        return StageSite("props", lid, HTTP)
    if rtype == "AWS::Serverless::WebSocketApi":
        return StageSite("props", lid, WEBSOCKET)
    if rtype == "AWS::ApiGateway::RestApi":
        stages = [s for s in tpl.of_type("AWS::ApiGateway::Stage")
                  if ref_target(tpl.props(s).get("RestApiId")) == lid]
        if len(stages) == 1:
            return StageSite("props", stages[0], REST)
        deployments = [d for d in tpl.of_type("AWS::ApiGateway::Deployment")
                       if ref_target(tpl.props(d).get("RestApiId")) == lid
                       and tpl.props(d).get("StageName") is not None]
        if not stages and len(deployments) == 1:
            return StageSite("description", deployments[0], REST)
        raise Unpatchable(f"{lid} has {len(stages)} stages and {len(deployments)} deployments "
                          "with a stage; which one to configure is not clear")
    if rtype == "AWS::ApiGatewayV2::Api":
        websocket = str(tpl.props(lid).get("ProtocolType", "")).upper() == "WEBSOCKET"
        stages = [s for s in tpl.of_type("AWS::ApiGatewayV2::Stage")
                  if ref_target(tpl.props(s).get("ApiId")) == lid]
        if len(stages) == 1:
            return StageSite("props", stages[0], WEBSOCKET if websocket else HTTP)
        if not stages and tpl.props(lid).get("Target") is not None:
            return StageSite("overrides", _overrides(tpl, lid), HTTP)
        raise Unpatchable(f"{lid} has {len(stages)} stage resources; which one to configure "
                          "is not clear")
    raise Unpatchable(f"{rtype} has no stage settings")


def _overrides(tpl: Template, api: str) -> str:
    """The quick-create API's managed overrides resource (added when missing)."""
    found = [o for o in tpl.of_type("AWS::ApiGatewayV2::ApiGatewayManagedOverrides")
             if ref_target(tpl.props(o).get("ApiId")) == api]
    found += [o for o, body in tpl.added.items()
              if body.get("Type") == "AWS::ApiGatewayV2::ApiGatewayManagedOverrides"
              and (body.get("Properties") or {}).get("ApiId") == Ref(api)]
    if found:
        return found[0]
    return tpl.add_resource(f"{api}StageOverrides",
                            "AWS::ApiGatewayV2::ApiGatewayManagedOverrides", {"ApiId": Ref(api)})


# ------------------------------------------------------------------ writing
def _append(tpl: Template, site: StageSite, key: str, item: dict[str, Any]) -> None:
    """Add a `/*` `*` method setting, or update the one there (so a second fix is a
    no-op)."""
    current = site.current(tpl, key)
    path = site.path(tpl, key)
    if current is None:
        _set(tpl, site, key, [item])
        return
    if not isinstance(current, list):
        raise Unpatchable(f"{key} is not a list")
    for i, existing in enumerate(current):
        if isinstance(existing, dict) and existing.get("ResourcePath") == "/*" and \
                existing.get("HttpMethod") == "*":
            for k, v in item.items():
                if k not in ("ResourcePath", "HttpMethod"):
                    tpl.doc.set((*path, i, k), v)
            return
    tpl.doc.append(path, item)


def _merge(tpl: Template, site: StageSite, key: str, values: dict[str, Any]) -> None:
    current = site.current(tpl, key)
    if current is None:
        _set(tpl, site, key, values)
        return
    if not isinstance(current, dict):
        raise Unpatchable(f"{key} is not a mapping")
    for k, v in values.items():
        tpl.doc.set((*site.path(tpl, key), k), v)


def _set(tpl: Template, site: StageSite, key: str, value: Any) -> None:
    if site.where == "globals":
        section = site.path(tpl)[1]
        if "Globals" not in tpl.doc.root and tpl.doc.insert_before(
                "Resources", "Globals", {section: {key: value}}):
            return
        tpl.doc.set(("Globals", section, key), value)
        return
    if site.lid in tpl.added:
        keys = site.path(tpl, key)[3:]
        tpl.set(site.lid, keys, value)
        return
    tpl.doc.set(site.path(tpl, key), value)


# ------------------------------------------------------------------ the rules
def api_throttling(ctx: FixContext, tpl: Template) -> None:
    site = stage_of(ctx, tpl, ctx.match[0])
    rate, burst, note = throttling_limits()
    ctx.note(note)
    limits = {"ThrottlingBurstLimit": burst, "ThrottlingRateLimit": rate}
    if site.api_type in (HTTP, WEBSOCKET):
        _merge(tpl, site, "DefaultRouteSettings", limits)
    elif site.where == "description":
        _merge_description(tpl, site, limits)
    else:
        _append(tpl, site, "MethodSettings", {"ResourcePath": "/*", "HttpMethod": "*", **limits})


def _merge_description(tpl: Template, site: StageSite, values: dict[str, Any]) -> None:
    """A Deployment's StageDescription takes stage settings as its own keys."""
    if tpl.props(site.lid).get("StageDescription") is None:
        tpl.doc.set(tpl.prop_path(site.lid, "StageDescription"), values)
        return
    for k, v in values.items():
        tpl.doc.set(site.path(tpl, k), v)


def api_tracing(ctx: FixContext, tpl: Template) -> None:
    node = ctx.match[0]
    if ctx.before.kind(node) == "appsync":
        lid = _resource(ctx, tpl, node, "AWS::AppSync::GraphQLApi", "AWS::Serverless::GraphQLApi")
        tpl.set(lid, ("XrayEnabled",), True)
        return
    site = stage_of(ctx, tpl, node)
    if site.api_type != REST:
        raise Unpatchable("HTTP APIs do not support X-Ray tracing")
    if site.where == "description":
        _merge_description(tpl, site, {"TracingEnabled": True})
    else:
        _set_key(tpl, site, "TracingEnabled", True)


def _set_key(tpl: Template, site: StageSite, key: str, value: Any) -> None:
    if site.current(tpl, key) is not None:
        tpl.doc.set(site.path(tpl, key), value)
    else:
        _set(tpl, site, key, value)


def api_access_logging(ctx: FixContext, tpl: Template) -> None:
    node = ctx.match[0]
    site = stage_of(ctx, tpl, node)
    base = ctx.source_id(node) if site.where != "globals" else site.lid
    group = tpl.add_resource(f"{base}AccessLogs", "AWS::Logs::LogGroup",
                             {"RetentionInDays": access_log_retention()})
    ctx.support.add(str(group))  # the engine models access logs as a prop of the API
    setting = {"DestinationArn": GetAtt(group, "Arn"),
               "Format": access_log_format(site.api_type)}
    if site.api_type == REST:
        ctx.note(access_log_rest_note())
    rest_key = "AccessLogSetting"
    http_key = "AccessLogSettings"
    if site.where == "description":
        _merge_description(tpl, site, {rest_key: setting})
    elif site.api_type == REST:
        _set_key(tpl, site, rest_key, setting)
    else:
        _set_key(tpl, site, http_key, setting)


def _resource(ctx: FixContext, tpl: Template, node: str, *types: str) -> str:
    from advisor.fix.cfn.locate import resource_of

    return resource_of(ctx, tpl, node, *types)
