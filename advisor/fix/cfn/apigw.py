"""API Gateway settings in CloudFormation/SAM: stage throttling (OPS-APIGW-THROTTLING).

The limits written are the account-level defaults of API Gateway (10,000 requests per
second, burst 5,000; `advisor/fix/data.yaml`, with its source), stated on the stage so
they are explicit and can be lowered to the API's expected peak: the patch says so.
"""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.locate import node_site
from advisor.fix.cfn.template import Template, Unpatchable, ref_target
from advisor.fix.context import FixContext
from advisor.fix.data import throttling_limits


def _limits(ctx: FixContext) -> tuple[int, int]:
    rate, burst, note = throttling_limits()
    if note not in ctx.notes:
        ctx.notes.append(note)
    return rate, burst


def api_throttling(ctx: FixContext, tpl: Template) -> None:
    api_node = ctx.match[0]
    site = node_site(ctx, tpl, api_node)
    rate, burst = _limits(ctx)
    method_setting = {"ResourcePath": "/*", "HttpMethod": "*",
                      "ThrottlingBurstLimit": burst, "ThrottlingRateLimit": rate}
    route = {"ThrottlingBurstLimit": burst, "ThrottlingRateLimit": rate}
    if site.what == "implicit":
        section = "Api" if site.lid == "ServerlessRestApi" else "HttpApi"
        if site.lid == "ServerlessRestApi":
            _globals_append(tpl, section, "MethodSettings", method_setting)
        else:
            _globals_set(tpl, section, "DefaultRouteSettings", route)
        return
    if site.what != "resource":
        raise Unpatchable(f"{api_node} is not an API resource")
    lid, rtype = site.lid, tpl.rtype(site.lid)
    if rtype == "AWS::Serverless::Api":
        _append(tpl, lid, ("MethodSettings",), method_setting)
        return
    if rtype == "AWS::Serverless::HttpApi":
        _merge(tpl, lid, ("DefaultRouteSettings",), route)
        return
    if rtype == "AWS::ApiGateway::RestApi":
        stages = [s for s in tpl.of_type("AWS::ApiGateway::Stage")
                  if ref_target(tpl.props(s).get("RestApiId")) == lid]
        if len(stages) == 1:
            _append(tpl, stages[0], ("MethodSettings",), method_setting)
            return
        deployments = [d for d in tpl.of_type("AWS::ApiGateway::Deployment")
                       if ref_target(tpl.props(d).get("RestApiId")) == lid
                       and tpl.props(d).get("StageName") is not None]
        if not stages and len(deployments) == 1:
            _merge(tpl, deployments[0], ("StageDescription",),
                   {"ThrottlingBurstLimit": burst, "ThrottlingRateLimit": rate})
            return
        raise Unpatchable(f"{lid} has {len(stages)} stages and {len(deployments)} deployments "
                          "with a stage; which one to throttle is not clear")
    if rtype == "AWS::ApiGatewayV2::Api":
        stages = [s for s in tpl.of_type("AWS::ApiGatewayV2::Stage")
                  if ref_target(tpl.props(s).get("ApiId")) == lid]
        if len(stages) != 1:
            raise Unpatchable(f"{lid} has {len(stages)} stage resources (a quick-create "
                              "API's $default stage cannot be configured in the template)")
        _merge(tpl, stages[0], ("DefaultRouteSettings",), route)
        return
    raise Unpatchable(f"{rtype} has no stage throttling setting")


def _append(tpl: Template, lid: str, keys: tuple[Any, ...], item: dict[str, Any]) -> None:
    _append_at(tpl, tpl.prop_path(lid, *keys), tpl.props(lid).get(keys[0]), item)


def _merge(tpl: Template, lid: str, keys: tuple[Any, ...], values: dict[str, Any]) -> None:
    _merge_at(tpl, tpl.prop_path(lid, *keys), tpl.props(lid).get(keys[0]), values)


def _globals_append(tpl: Template, section: str, key: str, item: dict[str, Any]) -> None:
    _append_at(tpl, ("Globals", section, key), tpl.globals(section).get(key), item)


def _globals_set(tpl: Template, section: str, key: str, values: dict[str, Any]) -> None:
    _merge_at(tpl, ("Globals", section, key), tpl.globals(section).get(key), values)


def _append_at(tpl: Template, path: tuple[Any, ...], current: Any,
               item: dict[str, Any]) -> None:
    """Add a `/*` `*` method setting, or update the one there (so a second fix is a
    no-op)."""
    if current is None:
        if path[0] == "Globals":
            _new_globals(tpl, path[1], path[2], [item])
        else:
            tpl.doc.set(path, [item])
        return
    if not isinstance(current, list):
        raise Unpatchable(f"{path[-1]} is not a list")
    for i, existing in enumerate(current):
        if isinstance(existing, dict) and existing.get("ResourcePath") == "/*" and \
                existing.get("HttpMethod") == "*":
            for k in ("ThrottlingBurstLimit", "ThrottlingRateLimit"):
                tpl.doc.set((*path, i, k), item[k])
            return
    tpl.doc.append(path, item)


def _merge_at(tpl: Template, path: tuple[Any, ...], current: Any,
              values: dict[str, Any]) -> None:
    if current is None:
        if path[0] == "Globals":
            _new_globals(tpl, path[1], path[2], values)
        else:
            tpl.doc.set(path, values)
        return
    if not isinstance(current, dict):
        raise Unpatchable(f"{path[-1]} is not a mapping")
    for k, v in values.items():
        tpl.doc.set((*path, k), v)


def _new_globals(tpl: Template, section: str, key: str, value: Any) -> None:
    """A Globals section goes before Resources, where SAM templates keep it."""
    if "Globals" not in tpl.doc.root and tpl.doc.insert_before(
            "Resources", "Globals", {section: {key: value}}):
        return
    tpl.doc.set(("Globals", section, key), value)
