"""Step Functions definitions in Terraform: tasks become edges, states are counted.

A definition arrives as a decoded object (`jsonencode({...})`, or `file()` /
`templatefile()` of a JSON file beside the module, decoded by the reader) or as JSON text
(a heredoc with `${...}` inside strings). Task resources map to edges:
`arn:aws:states:::SERVICE:action[.sync|.waitForTaskToken]` (optimized),
`arn:aws:states:::aws-sdk:SERVICE:action` (SDK) and a bare Lambda ARN. The target is the
node the task's Parameters/Arguments (or Resource) reference; literal names are matched
against the configuration's names. A Wait/Choice cycle through a Task sets `polling`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from advisor.importers.terraform.hcl import Block, Expr, iter_refs
from advisor.importers.terraform.module import Module, Resource

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context

_OPTIMIZED_RE = re.compile(
    r"arn:aws:states:::(aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.sync(?::2)?|\.waitForTaskToken)?"
)
_MAX_STATES = 10_000


def _definition_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    text = value.text if isinstance(value, Expr) and value.func == "string" else value
    if isinstance(text, str):
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        return obj if isinstance(obj, dict) else None
    return None


def iter_states(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, state, the States map it belongs to) for every state, nested ones included."""
    out: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    stack = [definition]
    while stack and len(out) < _MAX_STATES:
        machine = stack.pop()
        states = machine.get("States")
        if not isinstance(states, dict):
            continue
        for name in sorted(states):
            state = states[name]
            if not isinstance(state, dict):
                continue
            out.append((name, state, states))
            for branch in (
                state.get("Branches", []) if isinstance(state.get("Branches"), list) else []
            ):
                if isinstance(branch, dict):
                    stack.append(branch)
            for key in ("Iterator", "ItemProcessor"):
                if isinstance(state.get(key), dict):
                    stack.append(state[key])
    return out


def _polls(states: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> bool:
    """A cycle that passes through a Wait and a Task state: a polling loop."""
    nexts: dict[str, set[str]] = {}
    types: dict[str, str] = {}
    for name, state, _owner in states:
        types[name] = str(state.get("Type", ""))
        targets = {state["Next"]} if isinstance(state.get("Next"), str) else set()
        if isinstance(state.get("Default"), str):
            targets.add(state["Default"])
        for choice in state.get("Choices", []) if isinstance(state.get("Choices"), list) else []:
            if isinstance(choice, dict) and isinstance(choice.get("Next"), str):
                targets.add(choice["Next"])
        nexts[name] = targets
    for start, kind in types.items():
        if kind != "Wait":
            continue
        seen, stack, found_task = {start}, [start], False
        while stack:
            cur = stack.pop()
            for nxt in nexts.get(cur, ()):
                if nxt == start and found_task:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
                    if types.get(nxt) == "Task":
                        found_task = True
        # a cycle back to the Wait with a task on it
        if found_task and any(start in nexts.get(n, ()) for n in seen):
            return True
    return False


def read_definition(
    ctx: Context, name: str, res: Resource, value: Any, b: Block, mod: Module
) -> None:
    from advisor.importers.terraform.importer import mapping

    definition = _definition_object(value)
    if definition is None:
        if value is not None:
            ctx.note(b, f"definition of {res.address} could not be read as JSON; tasks not mapped")
            for target in ctx.nodes(mod, value, b, "definition"):
                ctx.edge(name, target, block=b)
        return
    states = iter_states(definition)
    ctx.set_props(name, states=max(len(states), 1))
    if _polls(states):
        ctx.set_props(name, polling=True)
    services = mapping()["services"]
    for state_name, state, _owner in states:
        if state.get("Type") != "Task":
            continue
        resource = state.get("Resource")
        params = state.get("Parameters", state.get("Arguments"))
        resource_text = str(resource) if resource is not None else ""
        m = _OPTIMIZED_RE.search(resource_text)
        props: dict[str, Any] = {}
        if m:
            sdk, service, action, suffix = m.group(1), m.group(2), m.group(3), m.group(4) or ""
            kind = services.get(service)
            props["integration"] = "sdk" if sdk else "optimized"
            props["action"] = f"{service}:{action}"
            if suffix == ".waitForTaskToken":
                props["wait"] = "callback"
            elif suffix.startswith(".sync"):
                props["invocation"] = "sync"
        elif (
            ":lambda:" in resource_text
            or "function" in resource_text.lower()
            or list(iter_refs(resource))
        ):
            kind = "lambda"
            props["integration"] = "optimized"
            props["action"] = "lambda:invoke"
        else:
            kind = None
        targets: list[str] = []
        if kind is not None:
            found = ctx.nodes(mod, params, b, "definition") + ctx.nodes(
                mod, resource, b, "definition"
            )
            targets = [n for n in found if ctx.arch.kind(n) == kind]
            if not targets and isinstance(params, dict):
                for v in params.values():
                    if isinstance(v, str):
                        targets += [n for n in ctx.by_literal(v) if ctx.arch.kind(n) == kind]
            if not targets and kind == "eventbridge":
                from advisor.importers.terraform.wiring import _default_bus

                targets = [_default_bus(ctx, b)]
        if not targets:
            if kind is not None and kind not in ("sfn",):
                ctx.note(
                    b,
                    f"task '{state_name}' of {res.address}: "
                    f"{props.get('action', resource_text)} target not resolved",
                )
            continue
        for target in sorted(set(targets)):
            if target != name:
                ctx.edge(name, target, block=b, label=state_name, **props)
