"""Step Functions: read the state machine definition and turn its tasks into edges.

The definition can be inline (`Definition`), a JSON string (`DefinitionString`, often
inside `Fn::Sub` or `Fn::Join`), or a file beside the template (`DefinitionUri`), with
`${Var}` placeholders filled from `DefinitionSubstitutions`. References inside are
resolved to logical IDs by replacing each `${X}` / `${X.Attr}` with a token first, so the
JSON can be parsed and each Task's Resource and Parameters mapped back to the resources
they name.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError
from advisor.importers import asl
from advisor.importers.cloudformation.context import Ctx, data, walk
from advisor.importers.cloudformation.template import load_template
from advisor.importers.reading import read_beside
from advisor.model import Location

_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_TOKEN = re.compile(r"__cfnref(\d+)__")
MAX_DEFINITION_BYTES = 5 * 1024 * 1024


class _Refs:
    """`${X}` placeholders replaced by tokens that remember what they named."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.literals: list[str] = []  # ARN-like strings in the definition

    def token(self, value: Any) -> str:
        self.values.append(value)
        return f"__cfnref{len(self.values) - 1}__"

    def targets(self, ctx: Ctx, text: str) -> list[Any]:
        return [self.values[int(i)] for i in _TOKEN.findall(text)]


def _substitute(text: str, refs: _Refs, variables: dict[str, Any],
                missing: set[str] | None = None) -> str:
    """`${X}` filled from `variables`; `missing` (when given: the text is a definition,
    whose placeholders only `DefinitionSubstitutions` fills) collects the names none
    fills, which Step Functions leaves in the definition as written."""
    def repl(m: re.Match[str]) -> str:
        name = m.group(1).strip()
        head = name.split(".", 1)[0]
        if head in variables:
            value = variables[head]
            literal = _literal_text(value)
            return literal if literal is not None else refs.token(value)
        if name.startswith("AWS::"):
            return "pseudo"
        if missing is not None:
            missing.add(name)
        return refs.token({"Ref": head})

    return _VAR.sub(repl, text)


def _literal_text(value: Any) -> str | None:
    """A substitution value that is plain text (pseudo parameters allowed), else None."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value) if "${" not in str(value) else None
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = re.sub(r"\$\{AWS::[^}]*\}", "aws", value["Fn::Sub"])
        return text if "${" not in text and '"' not in text else None
    return None


def load_definition(ctx: Ctx, lid: str) -> tuple[Any, _Refs] | None:
    p = ctx.props_of(lid)
    refs = _Refs()
    subs = p.get("DefinitionSubstitutions")
    variables: dict[str, Any] = dict(subs) if isinstance(subs, dict) else {}
    definition = p.get("Definition")
    if isinstance(definition, dict):
        text = json.dumps(_tokenise_tree(ctx, definition, refs), default=str)
        missing: set[str] = set()
        loaded = json.loads(_substitute(text, refs, variables, missing))
        _note_unsubstituted(ctx, lid, missing, None, "")
        return loaded, refs
    raw = p.get("DefinitionString")
    if raw is not None:
        missing = set()
        text = _definition_text(ctx, raw, refs, variables, missing)
        _note_unsubstituted(ctx, lid, missing, None, "")
        if text is None:
            return None
        try:
            return json.loads(text), refs
        except (json.JSONDecodeError, RecursionError):
            line, col = ctx.line_of(raw, lid)
            ctx.info(f"DefinitionString of {lid} is not valid JSON; tasks not read", line, col)
            return None
    uri = ctx.scalar(p.get("DefinitionUri"))
    if isinstance(uri, str) and not uri.startswith("s3://"):
        return _load_file(ctx, lid, uri, refs, variables)
    if p.get("DefinitionUri") is not None or p.get("DefinitionS3Location") is not None:
        line, col = ctx.line_of(None, lid)
        ctx.info(f"definition of {lid} is stored in S3; tasks not read", line, col)
    return None


def _tokenise_tree(ctx: Ctx, value: Any, refs: _Refs) -> Any:
    """Replace intrinsic functions in an inline definition by tokens (Sub strings kept)."""
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if key in ("Ref", "Fn::GetAtt", "Fn::ImportValue"):
                return refs.token(value)
            if key == "Fn::Sub":
                text = ctx.text_of(value) or ""
                inner = value[key]
                variables = inner[1] if isinstance(inner, list) and len(inner) > 1 and \
                    isinstance(inner[1], dict) else {}
                return _substitute(text, refs, dict(variables))
            if key in ("Fn::Join", "Fn::If"):
                text = ctx.text_of(value)
                if text is not None:
                    return _substitute(text, refs, {})
        return {str(k): _tokenise_tree(ctx, v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_tokenise_tree(ctx, v, refs) for v in value]
    return value


def _definition_text(ctx: Ctx, raw: Any, refs: _Refs, variables: dict[str, Any],
                     missing: set[str] | None = None) -> str | None:
    if isinstance(raw, str):
        return _substitute(raw, refs, variables, missing)
    if isinstance(raw, dict) and len(raw) == 1:
        key, inner = next(iter(raw.items()))
        if key == "Fn::Sub":
            if isinstance(inner, list) and len(inner) > 1 and isinstance(inner[1], dict):
                variables = {**variables, **inner[1]}
            text = inner[0] if isinstance(inner, list) else inner
            if isinstance(text, str):
                return _substitute(text, refs, variables)
            return _definition_text(ctx, text, refs, variables)
        if key == "Fn::Join" and isinstance(inner, list) and len(inner) == 2:
            sep, parts = inner
            out = []
            for part in parts if isinstance(parts, list) else []:
                if isinstance(part, str):
                    out.append(part)
                else:
                    sub = _definition_text(ctx, part, refs, variables)
                    out.append(sub if sub is not None else refs.token(part))
            # Step Functions fills `${name}` from DefinitionSubstitutions in the joined text
            return _substitute(str(sep).join(out), refs, variables, missing)
        if key in ("Ref", "Fn::GetAtt"):
            return refs.token(raw)
    return None


def _load_file(ctx: Ctx, lid: str, uri: str, refs: _Refs, variables: dict[str, Any]) -> Any:
    path = (ctx.base_dir / uri).resolve()
    line, col = ctx.line_of(None, lid)
    text, why = read_beside(path, MAX_DEFINITION_BYTES)
    if text is None:
        ctx.info(f"DefinitionUri {uri} of {lid} is not a readable file beside the template "
                 f"({why})", line, col)
        return None
    try:
        tree = load_template(text, str(path))
    except AdvisorError as exc:
        ctx.info(f"DefinitionUri {uri} of {lid} could not be parsed: "
                 f"{exc.diagnostics[0].message if exc.diagnostics else ''}", line, col)
        return None
    dumped = json.dumps(_tokenise_tree(ctx, tree, refs), default=str)
    missing: set[str] = set()
    loaded = json.loads(_substitute(dumped, refs, variables, missing))
    _note_unsubstituted(ctx, lid, missing, path, text)
    return loaded, refs


def _note_unsubstituted(ctx: Ctx, lid: str, missing: set[str], path: Path | None,
                        text: str) -> None:
    """`unsubstituted` on the state machine: placeholders no `DefinitionSubstitutions`
    entry fills stay in the definition as written (`${OrdersTable}` where a table name or
    ARN should be), which makes the stack fail or the task call a name that does not
    exist. The finding points at the first line of the definition file naming one (for a
    definition in the template, at the state machine)."""
    node = ctx.names.get(lid)
    if not missing or node is None:
        return
    ctx.set_props(node, unsubstituted=sorted(missing))
    if path is None:
        return
    first = min(missing, key=lambda name: (text.find("${" + name) % (len(text) + 1), name))
    at = text.find("${" + first)
    if at < 0:
        return
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    shown = os.path.normpath(os.path.join(os.path.dirname(ctx.path), os.path.relpath(
        path, ctx.base_dir.resolve())))
    ctx.arch.graph.nodes[node].setdefault("prop_locs", {})["unsubstituted"] = \
        Location(shown, line, column)


# ------------------------------------------------------------------------ wiring
def wire_state_machine(ctx: Ctx, lid: str) -> None:
    node = ctx.names.get(lid)
    if node is None:
        return
    loaded = load_definition(ctx, lid)
    if loaded is None:
        return
    definition, refs = loaded
    if not isinstance(definition, dict):
        return
    refs.literals = [s for s in walk(definition) if isinstance(s, str) and s.startswith("arn:")]
    named = {n for value in refs.values for n in ctx.node_refs(value)}
    named |= {n for n in (ctx.function_named_in(t) for t in refs.literals) if n is not None}
    ctx.definition_refs[node] = named
    ctx.set_props(node, states=max(1, asl.transitions_per_execution(definition)))
    ctx.set_props(node, **asl.check_props(definition))
    if asl.has_polling_loop(definition):
        ctx.set_props(node, polling=True)
    for _name, state in asl.tasks(definition):
        _wire_task(ctx, node, lid, state, refs)


def _wire_task(ctx: Ctx, node: str, lid: str, state: dict[str, Any], refs: _Refs) -> None:
    resource = state.get("Resource")
    if not isinstance(resource, str):
        return
    params = asl.task_parameters(state)
    task = asl.parse_resource(resource)
    if task is None:
        # A direct Lambda ARN (or an activity): the Resource itself names the target,
        # by reference or by the function's physical name.
        targets = [ctx.node_ref(value) for value in refs.targets(ctx, resource)]
        targets.append(ctx.function_named_in(resource))
        for target in dict.fromkeys(t for t in targets if t is not None):
            ctx.edge(node, target, mode="sync", props=asl.BARE_FUNCTION.edge_props(),
                     anchor=lid)
        return
    if task.answers_a_callback:  # replies to whichever workflow handed out the token
        return
    service = str(task.service)
    table = data()["sfn_sdk_services"] if task.sdk else {}
    kind = table.get(service) or data()["sfn_services"].get(service)
    props = task.edge_props()
    mode = "sync"
    param_text = json.dumps(params, default=str) if params is not None else ""
    candidates = [ctx.node_ref(v) for v in refs.targets(ctx, param_text)]
    candidates = [c for c in candidates if c is not None]
    target = next((c for c in candidates if kind and ctx.arch.kind(c) == kind), None)
    if target is None and kind == "eventbridge" and service == "events":
        from advisor.importers.cloudformation.wiring.common import default_bus

        named = asl.put_events_buses(params)
        found = [ctx.by_physical_name(_untoken(v, refs), kind) for v in named]
        target = next((f for f in found if f is not None), None)
        if not named:
            target = default_bus(ctx)
    if target is None and kind == "http":
        target = ctx.implicit_node(f"{lid}HttpEndpoint", "http", {})
    if target is None:
        target = _literal_target(ctx, params, kind, refs)
    if target is None and kind is None:
        # a service without a catalog kind (Rekognition, Batch, Glue, ...): still an edge
        target = ctx.implicit_node(service, "resource", {"type": f"AWS service {service}"})
    if target is None and kind:
        target = _only_candidate(ctx, kind, refs)
    if target is None:
        line, col = ctx.line_of(None, lid)
        ctx.info(f"task {state.get('Resource')} of {lid}: its {kind} target is chosen at run "
                 "time; no edge drawn", line, col)
        return
    ctx.edge(node, target, mode=mode, props=props, anchor=lid)


def _literal_target(ctx: Ctx, params: Any, kind: str | None, refs: _Refs) -> str | None:
    """A target named by its physical name (e.g. TableName: "Orders") declared here."""
    if kind is None or params is None:
        return None
    fields = {"sqs": ("QueueName", "QueueUrl"), "dynamodb": ("TableName",),
              "sns": ("TopicArn",), "lambda": ("FunctionName",), "s3": ("Bucket",),
              "kinesis": ("StreamName",), "firehose": ("DeliveryStreamName",)}.get(kind, ())
    for item in walk(params):
        if not isinstance(item, dict):
            continue
        for k, v in item.items():
            if k in fields:
                found = ctx.by_physical_name(_untoken(v, refs), kind)
                if found is not None:
                    return found
    return None


def _only_candidate(ctx: Ctx, kind: str, refs: _Refs) -> str | None:
    """When a task's target is dynamic, the one resource of that kind the definition
    names anywhere (e.g. in a Pass state), if there is exactly one."""
    found = set()
    for value in refs.values:
        for node in ctx.node_refs(value):
            if ctx.arch.kind(node) == kind:
                found.add(node)
        named = ctx.by_physical_name(value, kind)
        if named is not None:
            found.add(named)
    for text in refs.literals:
        named = ctx.by_physical_name(text, kind)
        if named is not None:
            found.add(named)
    return next(iter(found)) if len(found) == 1 else None


def _untoken(value: Any, refs: _Refs) -> Any:
    """A tokenised reference back to what it named (for physical-name matching)."""
    if isinstance(value, str):
        m = _TOKEN.fullmatch(value)
        if m:
            return refs.values[int(m.group(1))]
    return value


def definition_path(ctx: Ctx, lid: str) -> Path | None:
    uri = ctx.scalar(ctx.props_of(lid).get("DefinitionUri"))
    return (ctx.base_dir / uri) if isinstance(uri, str) else None
