"""Services that invoke targets from their own rules or steps: IoT topic rule actions and
Systems Manager Automation documents."""

from __future__ import annotations

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.wiring.common import as_list


def wire_iot_rules(ctx: Ctx) -> None:
    """IoT rule actions -> their targets. The Lambda action invokes the function
    asynchronously (https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html)."""
    for lid in ctx.of_type("AWS::IoT::TopicRule"):
        node = ctx.names.get(lid)
        payload = ctx.props_of(lid).get("TopicRulePayload")
        actions = payload.get("Actions") if isinstance(payload, dict) else None
        for action in as_list(actions):
            if isinstance(action, dict):
                for target in ctx.node_refs(action):
                    mode = "async" if ctx.arch.kind(target) == "lambda" else None
                    ctx.edge(node, target, mode=mode, anchor=lid)


_SSM_ACTIONS = {
    "aws:invokeLambdaFunction": ("FunctionName", "lambda"),
    "aws:executeStateMachine": ("stateMachineArn", "sfn"),
}


def wire_ssm_documents(ctx: Ctx) -> None:
    """Systems Manager Automation steps that invoke a function or a state machine."""
    for lid in ctx.of_type("AWS::SSM::Document"):
        node = ctx.names.get(lid)
        content = ctx.props_of(lid).get("Content")
        steps = content.get("mainSteps") if isinstance(content, dict) else None
        for step in as_list(steps):
            if not isinstance(step, dict):
                continue
            action = str(ctx.scalar(step.get("action")) or "")
            inputs = step.get("inputs") if isinstance(step.get("inputs"), dict) else {}
            if action in _SSM_ACTIONS:
                field, kind = _SSM_ACTIONS[action]
                ctx.edge(node, ctx.node_ref(inputs.get(field), kind), mode="sync",
                         props={"action": action}, anchor=lid)
            elif action == "aws:executeAwsApi":
                for target in ctx.node_refs(inputs):
                    ctx.edge(node, target, mode="sync", props={"integration": "sdk",
                             "action": f"{inputs.get('Service')}:{inputs.get('Api')}"},
                             anchor=lid)
