"""A Lambda task that only calls a service, replaced in the state machine's definition by
the service integration itself (GLUE-SFN-OPTIMIZED, GLUE-SFN-SDK) in CloudFormation/SAM.

The definition is edited where it is: inline (`Definition`), in a file beside the
template (`DefinitionUri`), or in a `DefinitionString` block; the rest of it stays
byte-identical. The task's `Resource` becomes the optimized integration
(`arn:aws:states:::dynamodb:putItem`) or the AWS SDK one (`arn:aws:states:::aws-sdk:
s3:putObject`), its `Parameters` what the function sent (its SDK call read from the
handler: the state input's fields as `"Key.$": "$.field"`); the member naming the target
comes from a new `DefinitionSubstitutions` entry naming the template's resource.

What the function returned must not matter: a task whose result is discarded
(`ResultPath: null`) stays so, a handler that returned its input gets `ResultPath: null`
(the state's output is its input, as before); one whose result the workflow reads keeps
its function, with that reason. The state machine's role loses the function's invoke
permission and may call the one action on the one target.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from advisor.fix.cfn.glue import remove_function
from advisor.fix.cfn.integrations import document_args, function_env
from advisor.fix.cfn.locate import resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES
from advisor.fix.cfn.settings import MACHINE_TYPES, SAM_MACHINE, machine_role
from advisor.fix.cfn.template import Template, Unpatchable, plain, ref_target, refs
from advisor.fix.context import FixContext
from advisor.fix.data import service_integration
from advisor.fix.emit import GetAtt, Ref
from advisor.fix.handler import template_handler
from advisor.fix.mapping import Event
from advisor.fix.requests import sfn_parameters
from advisor.fix.textdoc import TextDoc

_VAR = re.compile(r"^\$\{([A-Za-z0-9_]+)\}$")
# optimized integration: service in the ARN and the action's camelCase name
OPTIMIZED = {"dynamodb": "dynamodb", "sqs": "sqs", "sns": "sns", "eventbridge": "events",
             "sfn": "states"}


class Definition:
    """Where the definition is and how to edit it: `doc` is the TextDoc holding it,
    `base` the path to the definition's mapping inside that doc."""

    def __init__(self, doc: TextDoc, base: tuple[Any, ...], value: dict[str, Any]) -> None:
        self.doc, self.base, self.value = doc, base, value


def _definition(tpl: Template, sm: str) -> Definition:
    p = tpl.props(sm)
    if isinstance(p.get("Definition"), dict):
        return Definition(tpl.doc, tpl.prop_path(sm, "Definition"), p["Definition"])
    uri = p.get("DefinitionUri")
    if isinstance(uri, str):
        if uri.startswith("s3://"):
            raise Unpatchable(f"the definition of {sm} is in S3")
        path = Path(tpl.path).parent / uri
        doc = tpl.extra_doc(str(path))
        if not isinstance(doc.root, dict):
            raise Unpatchable(f"{uri} is not a state machine definition")
        return Definition(doc, (), _plain(doc.root))
    if p.get("DefinitionString") is not None:
        raise Unpatchable(f"the definition of {sm} is a DefinitionString; the task must be "
                          "edited inside it by hand")
    raise Unpatchable(f"the definition of {sm} is not in this template")


def _plain(value: Any) -> Any:
    return plain(value)


def _states(defn: dict[str, Any], base: tuple[Any, ...]) -> list[tuple[tuple[Any, ...],
                                                                         dict[str, Any]]]:
    """(path, state) of every state, nested ones included."""
    out = []
    stack = [(base, defn)]
    while stack:
        path, machine = stack.pop(0)
        states = machine.get("States")
        if not isinstance(states, dict):
            continue
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            spath = (*path, "States", name)
            out.append((spath, state))
            for i, b in enumerate(state.get("Branches") or []):
                if isinstance(b, dict):
                    stack.append(((*spath, "Branches", i), b))
            for key in ("Iterator", "ItemProcessor"):
                if isinstance(state.get(key), dict):
                    stack.append(((*spath, key), state[key]))
    return out


def _invokes(state: dict[str, Any], fn: str, subs: dict[str, Any]) -> str | None:
    """How the task calls the function: `bare` (the function ARN as Resource), `invoke`
    (arn:aws:states:::lambda:invoke with FunctionName), or None."""
    if state.get("Type") != "Task":
        return None

    def names_fn(value: Any) -> bool:
        if isinstance(value, str):
            m = _VAR.match(value.strip())
            if m and m.group(1) in subs:
                return ref_target(subs[m.group(1)]) == fn
            return False
        return fn in refs(value)

    resource = state.get("Resource")
    if names_fn(resource):
        return "bare"
    if isinstance(resource, str) and re.match(r"^arn:[^:]*:states:::lambda:invoke$", resource):
        params = state.get("Parameters") or {}
        if names_fn(params.get("FunctionName")):
            return "invoke"
    return None


def _payload_map(state: dict[str, Any], how: str) -> dict[str, str] | None:
    """The task's payload as {event key: state-input path}; None: the whole input."""
    if how == "bare":
        return None
    params = state.get("Parameters") or {}
    payload = params.get("Payload")
    if params.get("Payload.$") in (None, "$") and payload is None:
        return None
    if isinstance(payload, dict) and all(k.endswith(".$") and isinstance(v, str)
                                         and v.startswith("$.") for k, v in payload.items()):
        return {k[:-2]: v for k, v in payload.items()}
    raise Unpatchable("the task hands the function a payload built from several parts")


def _remap(expr: Any, payload: dict[str, str] | None) -> Any:
    """The handler's event keys as paths of the state input."""
    if payload is None:
        return expr
    if isinstance(expr, Event) and expr.where == "doc" and expr.keys:
        head = payload.get(expr.keys[0])
        if head is None:
            raise Unpatchable(f"the handler reads {expr.keys[0]!r}, which the task's payload "
                              "does not set")
        return Event("doc", (*head[2:].split("."), *expr.keys[1:]))
    if isinstance(expr, dict):
        return {k: _remap(v, payload) for k, v in expr.items()}
    if isinstance(expr, list):
        return [_remap(v, payload) for v in expr]
    if hasattr(expr, "inner"):
        return type(expr)(_remap(expr.inner, payload))
    if hasattr(expr, "parts"):
        return type(expr)(tuple(_remap(p, payload) for p in expr.parts))
    if isinstance(expr, Event) and expr.where == "event":
        raise Unpatchable("the handler reads the whole event while the task hands it a payload")
    return expr


def task_to_service(ctx: FixContext, tpl: Template) -> None:
    sm_node, fn_node, target_node = ctx.match[:3]
    sm = resource_of(ctx, tpl, sm_node, *MACHINE_TYPES)
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    target = resource_of(ctx, tpl, target_node)
    kind = ctx.before.kind(target_node)
    sdk_style = ctx.rewrite.rule == "GLUE-SFN-SDK"
    defn = _definition(tpl, sm)
    subs = dict(tpl.props(sm).get("DefinitionSubstitutions") or {})
    tasks = [(path, state, how) for path, state in _states(defn.value, defn.base)
             if (how := _invokes(state, fn, subs))]
    if not tasks:
        raise Unpatchable(f"no task of {sm} invoking {fn} found in its definition")
    found = template_handler(ctx, tpl, fn_node, fn)
    if found is None:
        raise Unpatchable(f"the handler of {fn} was not read, so the task's parameters are not "
                          "known")
    sdk = found.call
    returns = _returns(found.path, found.name, found.text)
    sdk.args = document_args(tpl, target, sdk, dict(sdk.args))
    spec = service_integration(kind) or {}
    action = (spec.get("actions") or {}).get(sdk.method)
    service = sdk.service.lower().replace("-", "")
    if action is None:
        action = _pascal(sdk.method)
    camel = action[:1].lower() + action[1:]
    if sdk_style or kind not in OPTIMIZED:
        resource = f"arn:aws:states:::aws-sdk:{_sdk_service(service)}:{camel}"
    else:
        resource = f"arn:aws:states:::{OPTIMIZED[kind]}:{camel}"
    env = function_env(tpl, fn)
    var = _substitution(tpl, sm, target, subs)
    for path, state, how in tasks:
        payload = _payload_map(state, how)
        args = {k: _remap(v, payload) for k, v in sdk.args.items()}
        params = sfn_parameters(args, env)
        _name_target(params, kind, var)
        result = _result_keys(state, returns, how)
        defn.doc.set((*path, "Resource"), resource)
        defn.doc.set((*path, "Parameters"), params)
        for key in ("OutputPath", "ResultSelector"):
            if key in state and key in result.get("drop", ()):
                defn.doc.delete((*path, key))
        if result.get("ResultPath", "keep") is None and "ResultPath" not in state:
            defn.doc.set((*path, "ResultPath"), None)
    iam = (spec.get("iam") or {}).get(action) or f"{_sdk_service(service)}:{action}"
    handled = {sm}
    _grant(ctx, tpl, sm, fn, target, iam, spec, handled)
    _drop_substitution(tpl, sm, fn, subs, defn, {p for p, _, _ in tasks})
    remove_function(ctx, tpl, fn, handled)


def _pascal(method: str) -> str:
    parts = method.replace("Command", "").split("_")
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _sdk_service(service: str) -> str:
    return {"stepfunctions": "sfn", "events": "eventbridge"}.get(service, service)


def _substitution(tpl: Template, sm: str, target: str, subs: dict[str, Any]) -> str:
    """A DefinitionSubstitutions variable naming the target (an existing one if it
    already does, else a new `<Target>` entry)."""
    for name, value in subs.items():
        if isinstance(value, dict) and value == {"Ref": target}:
            return str(name)
    name = re.sub(r"[^A-Za-z0-9_]", "", target)
    while name in subs:
        name += "Ref"
    tpl.set(sm, ("DefinitionSubstitutions", name), Ref(target))
    return name


def _name_target(params: dict[str, Any], kind: str, var: str) -> None:
    from advisor.fix.data import service_target

    member = service_target(kind)["param"] if kind in OPTIMIZED else None
    if not member or "." in member:
        if kind == "eventbridge":
            for entry in params.get("Entries") or []:
                if isinstance(entry, dict):
                    entry.pop("EventBusName.$", None)
                    entry["EventBusName"] = "${" + var + "}"
        return
    if kind == "sfn":
        member = "StateMachineArn"
    for key in list(params):
        if key.rstrip(".$").lower() == member.lower():
            params.pop(key)
    params[member] = "${" + var + "}"


def _returns(path: str, handler: str | None, text: str | None = None) -> str:
    """What the handler returns: `event` (its input, unchanged), `nothing`, `other`."""
    import ast

    from advisor.fix.mapping import JS_SUFFIXES
    from advisor.fix.mapping import handler_function as _handler_function

    if Path(path).suffix in JS_SUFFIXES:
        from advisor.fix.jsmapping import js_returns

        try:
            return js_returns(text if text is not None else
                              Path(path).read_text("utf-8", errors="replace"), handler)
        except (Unpatchable, OSError):
            return "other"

    try:
        source = text if text is not None else Path(path).read_text("utf-8", errors="replace")
        fn = _handler_function(ast.parse(source), handler)
    except (SyntaxError, Unpatchable, OSError):
        return "other"
    event = fn.args.args[0].arg if fn.args.args else "event"
    values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return)]
    if not values or all(v is None for v in values):
        return "nothing"
    if all(isinstance(v, ast.Name) and v.id == event for v in values):
        return "event"
    return "other"


def _result_keys(state: dict[str, Any], returns: str, how: str) -> dict[str, Any]:
    """How the task's result is handled once it is the service's response."""
    if "ResultPath" in state and state["ResultPath"] is None:
        return {"drop": ("OutputPath", "ResultSelector")} if how == "invoke" else {}
    if returns == "event":
        return {"ResultPath": None, "drop": ("OutputPath", "ResultSelector")}
    if returns == "nothing" and state.get("End") is True:
        return {"ResultPath": None, "drop": ("OutputPath", "ResultSelector")}
    raise Unpatchable("the workflow uses the function's result (the task's output), which "
                      "the service's response would replace")


def _grant(ctx: FixContext, tpl: Template, sm: str, fn: str, target: str, action: str,
           spec: dict[str, Any], handled: set[str]) -> None:
    resource: Any = Ref(target) if spec.get("resource") == "ref" else GetAtt(target, "Arn")
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    role, generated = machine_role(tpl, sm)
    if tpl.rtype(sm) == SAM_MACHINE and generated:
        policies = tpl.props(sm).get("Policies")
        items = policies if isinstance(policies, list) else [policies] if policies else []
        keep = [i for i, pol in enumerate(items) if fn not in refs(pol)]
        if isinstance(policies, list):
            for i in sorted(set(range(len(items))) - set(keep), reverse=True):
                tpl.doc.delete(tpl.prop_path(sm, "Policies", i))
            tpl.append(sm, ("Policies",), {"Statement": [statement]})
        else:
            tpl.set(sm, ("Policies",), [*([policies] if keep else []),
                                        {"Statement": [statement]}])
        return
    if role is None:
        raise Unpatchable(f"the role of {sm} is not declared in this template")
    handled.update(_drop_invoke_statements(tpl, role, fn))
    tpl.grant(None, role, f"{sm}{target}", [statement])


def _drop_invoke_statements(tpl: Template, role: str, fn: str) -> set[str]:
    """Statements of the role's policies that name the function go with it."""
    out: set[str] = set()
    holders = [(role, ("Policies",))] + [(p, ()) for p in tpl.referrers(role)
                                         if tpl.rtype(p) == "AWS::IAM::Policy"]
    for lid, base in holders:
        props = tpl.props(lid)
        docs = []
        if base:
            for i, pol in enumerate(props.get("Policies") or []):
                if isinstance(pol, dict):
                    docs.append(((*base, i, "PolicyDocument"), pol.get("PolicyDocument")))
        else:
            docs.append((("PolicyDocument",), props.get("PolicyDocument")))
        for path, doc in docs:
            stmts = (doc or {}).get("Statement") if isinstance(doc, dict) else None
            if not isinstance(stmts, list):
                continue
            hits = [i for i, s in enumerate(stmts) if fn in refs(s)]
            if hits and len(hits) == len(stmts):
                raise Unpatchable(f"a policy of {lid} grants only the function's invocation; "
                                  "remove it with the function by hand")
            for i in reversed(hits):
                tpl.doc.delete(tpl.prop_path(lid, *path, "Statement", i))
            if hits:
                out.add(lid)
    return out


def _drop_substitution(tpl: Template, sm: str, fn: str, subs: dict[str, Any],
                       defn: Definition, replaced: set[Any]) -> None:
    """DefinitionSubstitutions entries that named the function, now unused."""
    for name, value in subs.items():
        if fn not in refs(value):
            continue
        used = any(("${" + str(name) + "}") in str(state) for path, state in
                   _states(defn.value, defn.base) if path not in replaced)
        if used:
            raise Unpatchable(f"another state still uses ${{{name}}} ({fn})")
        tpl.doc.delete(tpl.prop_path(sm, "DefinitionSubstitutions", name))
