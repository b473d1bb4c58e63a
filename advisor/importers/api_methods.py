"""The HTTP methods by which an API reaches an integration target (`methods` on the edge).

Every importer that reads a route and the integration it uses (SAM `Api`/`HttpApi`
events, REST `AWS::ApiGateway::Method`, OpenAPI operations, Terraform
`aws_api_gateway_integration`) records the route's method here, so the edge API ->
target says which methods reach it: ["GET"] for a function behind `GET /outbox` only. The
engine reads it to tell a read route from a write one (a function that only serves GETs
is not "forwarding requests" to a queue). A method that is not known is not recorded, so
an edge with no `methods` says nothing either way.
"""

from __future__ import annotations

from typing import Any

from advisor.model import Architecture

# OpenAPI's catch-all operation, HTTP API's `$default` route, and the REST `ANY` method
_ANY = {"x-amazon-apigateway-any-method": "ANY", "any": "ANY", "*": "ANY"}
_HTTP = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "ANY"})


def method_of(value: Any) -> str | None:
    """The upper-case HTTP method a route or method setting names (`get`, `GET /a`,
    `x-amazon-apigateway-any-method`, `$default` -> ANY), None when it names none (a
    WebSocket route key, an unresolved value)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text == "$default":
        return "ANY"
    first = text.split()[0]
    method = _ANY.get(first.lower(), first.upper())
    return method if method in _HTTP else None


def add_method(arch: Architecture, api: str | None, target: str | None, value: Any) -> None:
    """Add the method `value` names to the edge api -> target (if both and the edge
    exist); the edge keeps every method of every route that reaches the target, sorted."""
    method = method_of(value)
    if method is None or api is None or target is None or not arch.graph.has_edge(api, target):
        return
    if arch.graph.nodes[api]["props"].get("type") == "websocket":
        return  # route keys ($connect, $default, actions) are not HTTP methods
    props = arch.graph.edges[api, target].setdefault("props", {})
    props["methods"] = sorted({*(props.get("methods") or ()), method})
