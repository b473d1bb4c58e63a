"""Amazon States Language: the one reading of Step Functions definitions.

Both template importers hand a decoded definition (a dict) to this module; it knows the
state types, nesting (Parallel branches, Map iterators and item processors), the task
resource ARNs of every partition, the integration patterns and the polling-loop rule.
What a task's Parameters *name* (a logical id, a Terraform reference) stays with the
importer, which alone knows its own references.

Integration patterns
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html):
- request-response: `arn:PARTITION:states:::SERVICE:ACTION` (or `aws-sdk:SERVICE:ACTION`);
- run a job: the `.sync` / `.sync:2` suffix; the workflow waits for the job to finish,
  which Step Functions does by polling or events: edge prop `wait = poll`;
- wait for a callback: `.waitForTaskToken`: edge prop `wait = callback`.
A bare function ARN (`arn:aws:lambda:...:function:NAME`) in `Resource` is the older Lambda
invocation, and an activity ARN a worker poll; both are still tasks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

MAX_STATES = 10_000
NESTED_KEYS = ("Iterator", "ItemProcessor")

# arn:aws:states:::sqs:sendMessage, arn:aws-cn:states:::aws-sdk:s3:putObject,
# arn:${partition}:states:::ecs:runTask.sync:2 (a partition the importer could not read)
_SERVICE_TASK = re.compile(
    r"^arn:[^:]*:states:[^:]*:[^:]*:(?P<sdk>aws-sdk:)?(?P<service>[a-zA-Z0-9-]+):"
    r"(?P<action>[A-Za-z0-9]+)(?P<suffix>\.sync(?::2)?|\.waitForTaskToken)?$"
)
# actions that answer a waiting task rather than reach a resource
CALLBACK_ACTIONS = frozenset({"sendTaskSuccess", "sendTaskFailure", "sendTaskHeartbeat"})


@dataclass(frozen=True)
class TaskResource:
    """What a Task's `Resource` says: the service integration and its pattern."""

    service: str | None  # "sqs", "lambda", "dynamodb", ...; None for a bare ARN
    action: str | None  # "sendMessage", "invoke", ...
    sdk: bool  # an AWS SDK integration (aws-sdk:SERVICE:ACTION)
    pattern: str  # "request" | "sync" | "callback"

    @property
    def answers_a_callback(self) -> bool:
        """SendTaskSuccess/Failure/Heartbeat: replies to a waiting workflow, no new target."""
        return self.service in ("sfn", "states") and self.action in CALLBACK_ACTIONS

    def edge_props(self) -> dict[str, Any]:
        """The edge props this task gives the state machine -> target edge."""
        if self.service is None:
            return {"integration": "optimized", "action": "lambda:invoke"}
        props: dict[str, Any] = {
            "integration": "sdk" if self.sdk else "optimized",
            "action": f"{self.service}:{self.action}",
        }
        if self.pattern == "callback":
            props["wait"] = "callback"
        elif self.pattern == "sync":
            props["wait"] = "poll"
        return props


def parse_resource(resource: str) -> TaskResource | None:
    """The integration a service-task ARN names, or None when it is not one (a bare Lambda
    function ARN, an activity, a reference the importer must resolve)."""
    m = _SERVICE_TASK.match(resource.strip())
    if m is None:
        return None
    suffix = m.group("suffix") or ""
    pattern = "callback" if suffix == ".waitForTaskToken" else "sync" if suffix else "request"
    return TaskResource(m.group("service"), m.group("action"), bool(m.group("sdk")), pattern)


BARE_FUNCTION = TaskResource(None, None, False, "request")


def iter_states(definition: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) for every state, nested ones (branches, iterators) included, in a
    stable order; at most MAX_STATES."""
    if not isinstance(definition, dict):
        return
    stack = [definition]
    seen = 0
    while stack:
        machine = stack.pop(0)
        states = machine.get("States")
        if not isinstance(states, dict):
            continue
        for name in states:
            state = states[name]
            if not isinstance(state, dict):
                continue
            seen += 1
            if seen > MAX_STATES:
                return
            yield str(name), state
            stack.extend(_children(state))


def _children(state: dict[str, Any]) -> list[dict[str, Any]]:
    out = [b for b in state.get("Branches") or [] if isinstance(b, dict)] \
        if isinstance(state.get("Branches"), list) else []
    out += [state[k] for k in NESTED_KEYS if isinstance(state.get(k), dict)]
    return out


def count_states(definition: Any) -> int:
    return sum(1 for _ in iter_states(definition))


def transitions_per_execution(definition: Any) -> int:
    """The state transitions one execution makes (what Standard workflows are billed by:
    one each time a state runs), on the workflow's longest path: from `StartAt` along
    `Next`, the longest of a Choice's branches and its `Default`, each state once (a loop
    is counted once round), a Parallel state plus every branch, a Map state plus one
    iteration. Error handlers (`Catch`) and retries are not counted: the estimate is of
    executions that succeed. The report states it as an assumption of the estimate."""
    if not isinstance(definition, dict):
        return 0
    try:
        return _longest(definition, [MAX_STATES, 0])
    except _TooLong:
        return count_states(definition)


def _longest(machine: dict[str, Any], walk: list[int]) -> int:
    """`walk`: [states it may still visit, states on the path now (nested ones too)]."""
    states = machine.get("States")
    start = machine.get("StartAt")
    if not isinstance(states, dict) or not isinstance(start, str):
        return 0
    done: dict[str, int] = {}
    on_path: set[str] = set()

    def visit(name: str) -> int:
        # each state is worked out once (`done`); a state on the current path is a loop
        # back: 0. A chain longer than CHAIN_LIMIT (no real workflow) counts every state.
        if name in done:
            return done[name]
        state = states.get(name)
        if name in on_path or not isinstance(state, dict) or walk[0] <= 0:
            return 0
        if walk[1] >= CHAIN_LIMIT:
            raise _TooLong
        walk[0] -= 1
        walk[1] += 1
        on_path.add(name)
        own = 1 + sum(_longest(child, walk) for child in _children(state))
        after = [state[k] for k in ("Next", "Default") if isinstance(state.get(k), str)]
        after += [c["Next"] for c in state.get("Choices") or []
                  if isinstance(c, dict) and isinstance(c.get("Next"), str)] \
            if isinstance(state.get("Choices"), list) else []
        total = own + max((visit(n) for n in after), default=0)
        on_path.discard(name)
        walk[1] -= 1
        done[name] = total
        return total

    return visit(start)


CHAIN_LIMIT = 250  # states on one path the walk follows, nested ones too (Python's stack)


class _TooLong(Exception):
    """A chain of states past CHAIN_LIMIT."""


def tasks(definition: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) of every Task state."""
    for name, state in iter_states(definition):
        if state.get("Type") == "Task":
            yield name, state


def task_parameters(state: dict[str, Any]) -> Any:
    """`Parameters` (JSONPath) or `Arguments` (JSONata) of a task."""
    return state.get("Parameters", state.get("Arguments"))


def put_events_buses(params: Any) -> list[Any]:
    """The `EventBusName` of each entry of an `events:putEvents` task, as written (a name,
    an ARN, or a reference the importer resolves); an entry without one goes to the
    default bus. A `EventBusName.$` path is chosen at run time and is not listed."""
    entries = params.get("Entries") if isinstance(params, dict) else None
    return [e["EventBusName"] for e in entries if isinstance(e, dict) and e.get("EventBusName")] \
        if isinstance(entries, list) else []


def next_states(state: dict[str, Any]) -> list[str]:
    """Every state this one can go to: Next, Default, each Choice and each Catch."""
    out = []
    for key in ("Next", "Default"):
        if isinstance(state.get(key), str):
            out.append(state[key])
    for key in ("Choices", "Catch"):
        items = state.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("Next"), str):
                out.append(item["Next"])
    return out


def has_polling_loop(definition: Any) -> bool:
    """A cycle that runs a Task and a Wait state: the workflow polls for a result
    (check, wait, check again). Each States map (the top level, every branch and
    iterator) is its own graph, since transitions never cross them."""
    if not isinstance(definition, dict):
        return False
    stack = [definition]
    while stack:
        machine = stack.pop()
        states = machine.get("States")
        if not isinstance(states, dict):
            continue
        g = nx.DiGraph()
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            g.add_node(name, type=state.get("Type"))
            g.add_edges_from((name, nxt) for nxt in next_states(state))
            stack.extend(_children(state))
        for comp in nx.strongly_connected_components(g):
            if len(comp) < 2:
                continue
            types = {g.nodes[n].get("type") for n in comp}
            if "Wait" in types and "Task" in types:
                return True
    return False


# --------------------------------------------------------------- configuration checks
# Retrier defaults (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)
RETRY_DEFAULTS = {"IntervalSeconds": 1.0, "MaxAttempts": 3, "BackoffRate": 2.0}
TIMEOUT_KEYS = ("TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
                "HeartbeatSecondsPath")


def _number(value: Any, default: float) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # a JSONata expression or a reference: not judged
    return float(value)


def retry_wait_seconds(retrier: dict[str, Any]) -> float | None:
    """The seconds one retrier waits in all when every attempt fails: the sum over its
    MaxAttempts retries of IntervalSeconds x BackoffRate^(n-1), each capped at
    MaxDelaySeconds (jitter only shortens waits). None when a field is not a number."""
    interval = _number(retrier.get("IntervalSeconds"), RETRY_DEFAULTS["IntervalSeconds"])
    attempts = _number(retrier.get("MaxAttempts"), RETRY_DEFAULTS["MaxAttempts"])
    rate = _number(retrier.get("BackoffRate"), RETRY_DEFAULTS["BackoffRate"])
    cap = _number(retrier.get("MaxDelaySeconds"), math.inf)
    if interval is None or attempts is None or rate is None or cap is None:
        return None
    total, wait = 0.0, interval
    for _ in range(int(min(attempts, 99_999_999))):
        total += min(wait, cap)
        if total > 86_400 * 366:
            break  # more than a Standard workflow's year: the figure is already decided
        wait *= rate
    return total


def longest_retry(definition: Any) -> tuple[str, float] | None:
    """(state, seconds) of the retrier whose schedule waits longest in all, or None."""
    best: tuple[str, float] | None = None
    for name, state in iter_states(definition):
        retriers = state.get("Retry")
        for retrier in retriers if isinstance(retriers, list) else []:
            if not isinstance(retrier, dict):
                continue
            seconds = retry_wait_seconds(retrier)
            if seconds is not None and (best is None or seconds > best[1]):
                best = (name, seconds)
    return best


def untimed_callbacks(definition: Any) -> list[str]:
    """`.waitForTaskToken` tasks with no TimeoutSeconds and no HeartbeatSeconds (nor
    their `...Path` forms): a token that is never sent back keeps the task waiting until
    the execution ends (a year, for a Standard workflow). None when the whole machine
    has a TimeoutSeconds, which bounds them."""
    if not isinstance(definition, dict) or definition.get("TimeoutSeconds") is not None:
        return []
    out = []
    for name, state in tasks(definition):
        task = parse_resource(str(state.get("Resource") or ""))
        if task is not None and task.pattern == "callback" and \
                not any(state.get(k) is not None for k in TIMEOUT_KEYS):
            out.append(name)
    return out


def check_props(definition: Any) -> dict[str, Any]:
    """Props of a state machine that its definition's settings give (both importers):
    `untimed_callbacks` and the longest retry schedule (`longest_retry_wait` in ms,
    `longest_retry_state`)."""
    out: dict[str, Any] = {}
    waiting = untimed_callbacks(definition)
    if waiting:
        out["untimed_callbacks"] = waiting
    longest = longest_retry(definition)
    if longest is not None and longest[1] > 0:
        out["longest_retry_state"] = longest[0]
        out["longest_retry_wait"] = round(longest[1] * 1000)
    return out
