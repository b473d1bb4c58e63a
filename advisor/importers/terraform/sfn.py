"""Step Functions definitions in Terraform: tasks become edges, states are counted.

A definition arrives as a decoded object (`jsonencode({...})`, or `file()` /
`templatefile()` of a JSON file beside the module, decoded by the reader) or as JSON text
(a heredoc with `${...}` inside strings). States, task resources, integration patterns
and the polling-loop rule are read by the shared `advisor.importers.asl`; this module
only resolves what a task names: the node the task's Parameters/Arguments (or Resource)
reference, or a literal name matched against the configuration's names.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from advisor.importers import asl
from advisor.importers.terraform.hcl import Block, Expr, iter_refs
from advisor.importers.terraform.module import Module, Resource

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


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
    ctx.set_props(name, states=max(asl.transitions_per_execution(definition), 1))
    ctx.set_props(name, **asl.check_props(definition))
    if asl.has_polling_loop(definition):
        ctx.set_props(name, polling=True)
    services = mapping()["services"]
    for state_name, state in asl.tasks(definition):
        resource = state.get("Resource")
        params = asl.task_parameters(state)
        resource_text = str(resource) if resource is not None else ""
        task = asl.parse_resource(resource_text)
        if task is not None and task.answers_a_callback:
            continue  # replies to whichever workflow handed out the token
        if task is not None:
            kind = services.get(str(task.service))
            props = task.edge_props()
        elif (
            ":lambda:" in resource_text
            or "function" in resource_text.lower()
            or list(iter_refs(resource))
        ):
            kind = "lambda"
            props = asl.BARE_FUNCTION.edge_props()
        else:
            kind, props = None, {}
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
                from advisor.importers.terraform.wiring.common import default_bus

                named = asl.put_events_buses(params)
                for v in named:
                    if isinstance(v, str):
                        targets += [n for n in ctx.by_literal(v) if ctx.arch.kind(n) == kind]
                if not named:  # no entry names a bus: the account's default one
                    targets = [default_bus(ctx, b)]
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
