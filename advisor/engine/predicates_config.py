"""Node predicates of the configuration checks: settings a template states (or leaves
out) that break a deploy or a run, read by the importers into props.

Registered with `predicates.node` (imported at the end of advisor/engine/predicates.py).
Each returns a dict of message fields when it holds, with `at_prop`: the finding points
where that prop was read (`Architecture.location_of`), e.g. the ASL file's line.
"""

from __future__ import annotations

from typing import Any

from advisor.engine.context import Ctx
from advisor.engine.predicates import node


def _names(values: Any) -> str:
    return ", ".join(f"${{{v}}}" for v in values)


@node
def unsubstituted_placeholders(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Definition placeholders no `DefinitionSubstitutions` entry fills."""
    names = [str(v) for v in ctx.props(n).get("unsubstituted") or ()]
    return {"names": _names(names), "at_prop": "unsubstituted"} if names else None


@node
def missing_local_path(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A local `CodeUri`/`DefinitionUri` a build would not find (missing, wrong case)."""
    why = ctx.props(n).get("missing_path")
    return {"why": str(why), "at_prop": "missing_path"} if why else None


@node
def untimed_callback(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """`.waitForTaskToken` states that no timeout or heartbeat bounds."""
    states = [str(s) for s in ctx.props(n).get("untimed_callbacks") or ()]
    return {"states": ", ".join(states)} if states else None


EXPRESS_LIMIT_MS = 5 * 60 * 1000  # an Express workflow's maximum duration


@node
def retry_outlasts_express(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """An Express workflow with a Retry schedule whose waits alone pass 5 minutes."""
    props = ctx.props(n)
    wait = props.get("longest_retry_wait")
    if props.get("type") != "express" or not isinstance(wait, int | float) or \
            wait <= EXPRESS_LIMIT_MS:
        return None
    state = props.get("longest_retry_state")
    return {"wait": f"{wait / 1000:g} s", "state": f" of {state}" if state else ""}


STREAM_READER_KINDS = ("lambda", "pipes")


@node
def crowded_stream(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A DynamoDB table whose stream more than `max_readers` (2) consumers read: Lambda
    event source mappings and Pipes, each polling every shard."""
    readers = sorted(m for m in ctx.g.successors(n)
                     if ctx.kind(m) in STREAM_READER_KINDS
                     and ctx.g.edges[n, m].get("mode") == "stream")
    limit = int(params.get("max_readers", 2))
    if len(readers) <= limit:
        return None
    return {"count": str(len(readers)), "readers": ", ".join(readers),
            "extra_nodes": tuple(readers)}
