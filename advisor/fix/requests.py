"""The request a native integration sends, written from what the glue function sent
(advisor.fix.mapping expressions): API Gateway mapping templates (VTL), HTTP API
parameter mappings, Step Functions task parameters.

Values the handler read from its environment are resolved through the function's
`Environment.Variables`: a literal stays a literal, a `!Ref X` / `!GetAtt X.Attr` becomes
`${X}` / `${X.Attr}` in an `Fn::Sub` (so the template keeps naming the resource, never a
copied name). `Text` carries the text and whether it needs `Fn::Sub`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from advisor.engine.deliveryinput import for_rule, for_subscription
from advisor.engine.pipeinput import for_source
from advisor.fix.cfn.template import Unpatchable
from advisor.fix.emit import GetAtt, Ref, Sub
from advisor.fix.mapping import Concat, Const, Env, Event, Json, Num, Str
from advisor.importers.handlers import payload
from advisor.importers.handlers.sends import Untraced


@dataclass
class Env2Value:
    """How an environment variable's template value is written: a literal, or a reference
    to write as `${...}` inside Fn::Sub."""

    literal: str | None = None
    sub: str | None = None  # `X` or `X.Attr`


def env_values(env: Any) -> dict[str, Env2Value]:
    """A function's `Environment.Variables` (plain template values) as Env2Values."""
    out: dict[str, Env2Value] = {}
    if not isinstance(env, dict):
        return out
    for name, value in env.items():
        if isinstance(value, str | int | float | bool):
            out[str(name)] = Env2Value(literal=str(value))
        elif isinstance(value, dict) and len(value) == 1:
            k, v = next(iter(value.items()))
            if k == "Ref" and isinstance(v, str) and not v.startswith("AWS::"):
                out[str(name)] = Env2Value(sub=v)
            elif k == "Fn::GetAtt":
                parts = v if isinstance(v, list) else str(v).split(".", 1)
                if len(parts) == 2:
                    out[str(name)] = Env2Value(sub=f"{parts[0]}.{parts[1]}")
    return out


class Text:
    """Template text being built, with `${...}` references collected: for `Fn::Sub`
    (CloudFormation), or Terraform string interpolation (`hcl`)."""

    def __init__(self, hcl: bool = False) -> None:
        self.parts: list[str] = []
        self.subs = False
        self.hcl = hcl

    def lit(self, s: str) -> None:
        if self.hcl:
            self.parts.append(s.replace("${", "$${").replace("%{", "%%{"))
        else:
            self.parts.append(s.replace("${", "${!"))

    def ref(self, name: str) -> None:
        self.subs = True
        self.parts.append("${" + name + "}")

    def value(self) -> Any:
        text = "".join(self.parts)
        if self.hcl:
            return text
        return Sub(text) if self.subs else text.replace("${!", "${")


@dataclass(frozen=True)
class Target:
    """The template's own resource, written as `${Name}` (`attr`: `${Name.Attr}`)."""

    name: str
    attr: str = ""

    @property
    def sub(self) -> str:
        return f"{self.name}.{self.attr}" if self.attr else self.name


def _env(name: str, env: dict[str, Env2Value]) -> Env2Value:
    if name not in env:
        raise Unpatchable(f"the handler reads ${name} from its environment, which the "
                          "template does not set")
    return env[name]


# ------------------------------------------------------------------ VTL (REST APIs)
@dataclass(frozen=True)
class _Blob:
    inner: Any


def _vtl_const(s: str) -> str:
    if "$" in s or "#" in s:
        raise Unpatchable("a constant the handler sends contains `$` or `#`, which a "
                          "mapping template would read as code")
    return s


class Vtl:
    """Mapping-template text for an API Gateway REST API request (`$input` is the
    method request)."""

    def __init__(self, env: dict[str, Env2Value], hcl: bool = False) -> None:
        self.env = env
        self.t = Text(hcl)

    def json_value(self, e: Any) -> None:
        """`e` where a JSON value goes."""
        t = self.t
        if isinstance(e, _Blob):  # base64 on the wire
            t.lit('"')
            inner = e.inner
            if isinstance(inner, Event | Json):
                t.lit(f"$util.base64Encode({self._expr(inner)})")
            elif isinstance(inner, Const | Env):
                self.string(inner, "base64")
            else:
                raise Unpatchable("a blob built from several parts")
            t.lit('"')
            return
        if isinstance(e, dict):
            t.lit("{")
            for i, (k, v) in enumerate(e.items()):
                t.lit(("," if i else "") + json.dumps(_vtl_const(k)) + ":")
                self.json_value(v)
            t.lit("}")
        elif isinstance(e, list):
            t.lit("[")
            for i, v in enumerate(e):
                if i:
                    t.lit(",")
                self.json_value(v)
            t.lit("]")
        elif isinstance(e, Const) and not isinstance(e.value, str):
            t.lit(json.dumps(e.value))
        elif _body_field(e):
            t.lit(f"$input.json('{_jsonpath(e.keys)}')")
        elif isinstance(e, Num) and _body_field(e.inner) and e.inner.keys:
            t.lit(f"$input.path('{_jsonpath(e.inner.keys)}')")
        else:
            t.lit('"')
            self.string(e)
            t.lit('"')

    def string(self, e: Any, encode: str = "json") -> None:
        """`e` as the content of a string (`json`: escaped for a JSON string; `url`:
        URL-encoded for a form body; `base64`)."""
        t = self.t
        if isinstance(e, Const):
            text = "" if e.value is None else str(e.value)
            if isinstance(e.value, bool):
                text = "true" if e.value else "false"
            if encode == "url":
                from urllib.parse import quote

                t.lit(_vtl_const(quote(text, safe="")))
            elif encode == "base64":
                t.lit(f"$util.base64Encode('{_vtl_const(text)}')")
            else:
                t.lit(_vtl_const(json.dumps(text)[1:-1]))
            return
        if isinstance(e, Target):
            if encode == "url":
                t.lit("$util.urlEncode('")
                t.ref(e.sub)
                t.lit("')")
            else:
                t.ref(e.sub)
            return
        if isinstance(e, Env):
            v = _env(e.name, self.env)
            if v.literal is not None:
                self.string(Const(v.literal), encode)
            else:
                if encode == "base64":
                    raise Unpatchable("a blob taken from the environment")
                t.ref(str(v.sub))
            return
        if isinstance(e, Concat):
            if encode == "base64":
                raise Unpatchable("a blob built from several parts")
            for p in e.parts:
                self.string(p, encode)
            return
        if isinstance(e, Str | Num):
            self.string(e.inner, encode)
            return
        expr = self._expr(e)
        wrap = {"json": "$util.escapeJavaScript({})", "url": "$util.urlEncode({})",
                "base64": "$util.base64Encode({})"}[encode]
        t.lit(wrap.format(expr))

    def _expr(self, e: Any) -> str:
        """A VTL expression giving `e` as a string."""
        if isinstance(e, Event):
            if e.where == "body" and not e.keys:
                return "$input.body"
            if _body_field(e):
                return f"$input.path('{_jsonpath(e.keys)}')" if e.keys else "$input.json('$')"
            if e.where in ("path", "query", "header") and len(e.keys) == 1:
                part = {"path": "path", "query": "querystring", "header": "header"}[e.where]
                return f"$input.params().{part}.get('{_vtl_const(e.keys[0])}')"
            if e.where == "context" and len(e.keys) == 1:
                return f"$context.{e.keys[0]}"
        if isinstance(e, Json) and _body_field(e.inner):
            return f"$input.json('{_jsonpath(e.inner.keys)}')"
        _not_the_request(e)
        raise Unpatchable(f"the handler sends {payload.describe(e)}, which a mapping template "
                          "cannot build")


def _body_field(e: Any) -> bool:
    """The request body parsed as JSON, or a field of it (payload.request_part: not a
    field of the proxy event itself)."""
    return isinstance(e, Event) and payload.request_part(e) == "doc"


def _not_the_request(e: Any) -> None:
    """Refuse a value the handler read from the proxy event's own fields (`event["x"]`),
    or the whole event: no part of the request the client sent carries it."""
    inner = e.inner if isinstance(e, Json | Str | Num) else e
    if not isinstance(inner, Event) or payload.request_part(inner) is not None:
        return
    if inner.where == "event":
        raise Unpatchable("the handler sends the whole API Gateway proxy event, which no "
                          "integration's mapping builds")
    if inner.where == "doc":
        raise Unpatchable(f"the handler sends {payload.describe(inner)}, a field of the API "
                          "Gateway proxy event itself, not of the request body, path, query "
                          "or headers: an integration's mapping has no such field")


def _jsonpath(keys: tuple[str, ...]) -> str:
    out = "$"
    for k in keys:
        if not k.replace("_", "").isalnum():
            raise Unpatchable(f"the body field {k!r} needs quoting in a JSONPath")
        out += f".{k}"
    return out


def vtl_json(args: dict[str, Any], env: dict[str, Env2Value],
             blobs: tuple[str, ...] = (), hcl: bool = False) -> Any:
    """A JSON request body (JSON-protocol APIs) from the SDK call's arguments."""
    v = Vtl(env, hcl)
    v.json_value(_mark_blobs(args, blobs))
    return v.t.value()


def vtl_form(action: str, args: dict[str, Any], env: dict[str, Env2Value],
             hcl: bool = False) -> Any:
    """A form-encoded request body (query-protocol APIs: SQS, SNS)."""
    v = Vtl(env, hcl)
    v.t.lit(f"Action={action}")
    for key, value in args.items():
        if isinstance(value, dict | list):
            raise Unpatchable(f"{key} is a structure; it is not written as a form field")
        v.t.lit(f"&{key}=")
        v.string(value, "url")
    return v.t.value()


def _mark_blobs(args: dict[str, Any], blobs: tuple[str, ...]) -> Any:
    """Wrap the blob members (base64 on the wire) so they are written encoded."""
    out = dict(args)
    for path in blobs:
        head, _, rest = path.partition(".")
        if head not in out:
            continue
        if not rest:
            out[head] = _Blob(out[head])
        elif rest.startswith("*.") and isinstance(out[head], list):
            out[head] = [_mark_blobs(x, (rest[2:],)) if isinstance(x, dict) else x
                         for x in out[head]]
        elif isinstance(out[head], dict):
            out[head] = _mark_blobs(out[head], (rest,))
    return out


# ------------------------------------------------------------------ HTTP API parameters
def http_params(args: dict[str, Any], allowed: list[str],
                env: dict[str, Env2Value]) -> dict[str, Any]:
    """An HTTP API AWS-service integration's RequestParameters (`$request.body.x`,
    `$request.path.x`, static values) from the SDK call's flat arguments."""
    by_lower = {a.lower(): a for a in allowed}
    out: dict[str, Any] = {}
    for key, value in args.items():
        name = by_lower.get(key.lower())
        if name is None:
            raise Unpatchable(f"the HTTP API integration has no parameter for {key}")
        out[name] = _http_value(value, env)
    return out


def _http_value(e: Any, env: dict[str, Env2Value]) -> Any:
    if isinstance(e, Str):
        e = e.inner  # parameter mapping sends text
    if isinstance(e, Const) and isinstance(e.value, str | int | float):
        text = str(e.value)
        if text.startswith("$"):
            raise Unpatchable("a constant that starts with `$`")
        return text
    if isinstance(e, Env):
        v = _env(e.name, env)
        return v.literal if v.literal is not None else Sub("${" + str(v.sub) + "}")
    if isinstance(e, Event):
        if e.where == "body" and not e.keys:
            return "$request.body"
        if _body_field(e):
            return "$request.body" + "".join(f".{k}" for k in e.keys) if e.keys else \
                "$request.body"
        if e.where in ("path", "query", "header") and len(e.keys) == 1:
            part = {"path": "path", "query": "querystring", "header": "header"}[e.where]
            return f"$request.{part}.{e.keys[0]}"
        if e.where == "context" and len(e.keys) == 1:
            return f"$context.{e.keys[0]}"
    if isinstance(e, Json) and _body_field(e.inner):
        if not e.inner.keys:
            return "$request.body"
        return "$request.body." + ".".join(e.inner.keys)
    _not_the_request(e)
    raise Unpatchable(f"the handler sends {payload.describe(e)}, which HTTP API parameter mapping "
                      "cannot build")


# ------------------------------------------------------------------ Step Functions
def sfn_parameters(args: dict[str, Any], env: dict[str, Env2Value]) -> dict[str, Any]:
    """A task's `Parameters` from the SDK call's arguments, the function's event being the
    state input (`"Key.$": "$.path"`)."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        path = _sfn_path(value)
        if path is not None:
            out[f"{key}.$"] = path
            continue
        if isinstance(value, dict):
            out[key] = sfn_parameters(value, env)
        elif isinstance(value, list):
            items = []
            for v in value:
                if isinstance(v, dict):
                    items.append(sfn_parameters(v, env))
                elif isinstance(v, Const):
                    items.append(v.value)
                else:
                    raise Unpatchable("a list item computed from the input")
            out[key] = items
        elif isinstance(value, Const):
            out[key] = value.value
        elif isinstance(value, Env):
            v = _env(value.name, env)
            out[key] = v.literal if v.literal is not None else _ref(str(v.sub))
        else:
            raise Unpatchable(f"{key}: the handler sends {payload.describe(value)}, which task "
                              "parameters cannot build")
    return out


def _sfn_path(e: Any) -> str | None:
    if isinstance(e, Str | Num) and isinstance(e.inner, Event):
        inner = _sfn_path(e.inner)  # the input's value, converted by an intrinsic
        if inner is None:
            return None
        return f"States.Format('{{}}', {inner})" if isinstance(e, Str) else \
            f"States.StringToJson({inner})"
    if isinstance(e, Event) and e.where == "doc":
        return "$" + "".join(f".{k}" for k in e.keys)
    if isinstance(e, Event) and e.where == "event":
        return "$"
    if isinstance(e, Json) and isinstance(e.inner, Event) and e.inner.where in ("doc",
                                                                                "event"):
        inner = _sfn_path(e.inner)
        return f"States.JsonToString({inner})"
    if isinstance(e, Concat) and all(isinstance(p, Const | Event) for p in e.parts):
        fmt, paths = "", []
        for p in e.parts:
            if isinstance(p, Const):
                text = str(p.value)
                if any(c in text for c in "{}'\\"):
                    return None
                fmt += text
            else:
                sub = _sfn_path(p)
                if sub is None:
                    return None
                fmt += "{}"
                paths.append(sub)
        return f"States.Format('{fmt}', {', '.join(paths)})"
    return None


def _ref(sub: str) -> Any:
    name, _, attr = sub.partition(".")
    return GetAtt(name, attr) if attr else Ref(name)


# ------------------------------------------------------------------ EventBridge Pipes
def pipe_template(e: Any, source: str, env: dict[str, Env2Value]) -> str | None:
    """A pipe's InputTemplate sending what the function sent for each record (the
    function's loop variable is the pipe's record); None: the record itself, unchanged
    (no template). Written as handler inspection's `payload` fact states it
    (advisor.importers.handlers.payload, advisor.engine.pipeinput), the environment's
    literals filled in."""
    try:
        template = payload.record_template(e, _literal(env))
    except Untraced as exc:
        raise Unpatchable(_said(str(exc))) from exc
    return _for_source(template, source)


def _pipe_text(e: Any, source: str, env: dict[str, Env2Value], quoted: bool) -> str:
    """One value as a pipe template's text (a target parameter: a message group)."""
    try:
        text = payload.record_text(e, _literal(env), quoted)
    except Untraced as exc:
        raise Unpatchable(_said(str(exc))) from exc
    return str(_for_source(text, source))


def _for_source(template: str | None, source: str) -> str | None:
    out, why = for_source(template, source)
    if why:
        raise Unpatchable(_said(why))
    return out


def _said(why: str) -> str:
    """A reason of handler inspection (`it sends ...`) said of the handler."""
    return "the handler " + why[3:] if why.startswith("it ") else why


def _literal(env: dict[str, Env2Value]) -> Any:
    def lookup(name: str) -> str:
        v = _env(name, env)
        if v.literal is None:
            raise Unpatchable("the handler sends a resource's name from its environment")
        return v.literal

    return lookup


# ------------------------------------------------------------------ DynamoDB items
def marshal(item: Any, types: dict[str, str], what: str) -> Any:
    """A document client's plain item (`{"id": event.id}`) as DynamoDB JSON, each
    attribute typed by the table's AttributeDefinitions (S, N, B) or by its constant."""
    if not isinstance(item, dict):
        raise Unpatchable(f"the {what} is not an object literal")
    out: dict[str, Any] = {}
    for name, value in item.items():
        t = types.get(name)
        if t is None and isinstance(value, Const):
            t = "BOOL" if isinstance(value.value, bool) else "N" if isinstance(
                value.value, int | float) else "S" if isinstance(value.value, str) else None
        if t is None:
            raise Unpatchable(f"the {what}'s attribute {name!r} has no declared type (the "
                              "SDK chose it at run time)")
        if t == "N":
            out[name] = {"N": Str(value) if not isinstance(value, Const) else
                         Const(str(value.value))}
        else:
            out[name] = {t: value}
    return out


def marshal_args(args: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """A document client call's arguments with `Item` / `Key` marshalled."""
    out = dict(args)
    for key in ("Item", "Key"):
        if key in out:
            out[key] = marshal(out[key], types, key.lower())
    for key in ("UpdateExpression", "ExpressionAttributeValues", "KeyConditionExpression"):
        if key in out:
            raise Unpatchable(f"the document client's {key} is not marshalled here")
    return out


# ------------------------------------------------------------------ EventBridge targets
def eventbridge_input(e: Any) -> dict[str, Any]:
    """How a rule target sends what the function sent, the function's event being the
    matched event: {} (the event itself), {"InputPath": ...} or {"InputTransformer": ...}.
    Written as handler inspection's `payload` fact states it (advisor.importers.handlers.
    payload `shape`, advisor.engine.deliveryinput): the engine's obligation says the same."""
    found = payload.shape(e)
    if found.scope == "untraced":
        raise Unpatchable(_said(str(found.why)))
    shaped, why = for_rule(found.scope, found.template)
    if shaped is None:
        raise Unpatchable(_said(str(why)))
    return shaped


# ------------------------------------------------------------------ SNS subscriptions
def sns_raw_delivery(e: Any) -> bool:
    """RawMessageDelivery of the subscription that sends what the function sent for each
    notification (advisor.engine.deliveryinput, as the engine's obligation says)."""
    found = payload.shape(e, first_record=True)
    if found.scope == "untraced":
        raise Unpatchable(_said(str(found.why)))
    raw, why = for_subscription(found.scope, found.template)
    if raw is None:
        raise Unpatchable(_said(str(why)))
    return raw
