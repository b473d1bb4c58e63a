"""Evaluate the names that tie stacks together: export names, SSM parameter names.

An export name is written `!Sub "${Env}-orders-table"`, `!Join [":", [!Ref
"AWS::StackName", "Bus"]]` or as a literal; the importing side writes its own expression
(`!ImportValue !Sub "${BusStack}-Bus"`). Both are evaluated here, in their own stack,
with its parameter values (what a parent or the stack's samconfig.toml passes, else the
parameter's Default), `Fn::FindInMap` over literal keys and the pseudo parameters:

- `AWS::StackName` is the deployed stack's name when something says it (a CDK manifest,
  `stack_name` in samconfig.toml); otherwise it stays a wildcard, and an import matches
  it when the rest of the name agrees (`shop-bus-Bus` matches `${AWS::StackName}-Bus`);
- the other pseudo parameters (`AWS::Region`, `AWS::AccountId`, ...) stay as written on
  both sides, so `${AWS::Region}-bus` matches `${AWS::Region}-bus`.

Anything else (a parameter without a value, `Fn::If`, `Fn::GetAtt` of a runtime value)
makes the name unknown: `None`, and the caller says so in a note rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STACK_NAME = "AWS::StackName"
# stands for an unknown AWS::StackName inside an evaluated name (no template contains it)
WILDCARD = "\x00stack\x00"
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
MAX_DEPTH = 20


@dataclass
class Evaluator:
    """Names in one stack: its parameters' values, mappings and (maybe) its own name."""

    parameters: Mapping[str, Any] = field(default_factory=dict)  # template Parameters
    values: Mapping[str, Any] = field(default_factory=dict)  # passed in: override Default
    mappings: Mapping[str, Any] = field(default_factory=dict)
    stack_name: str | None = None

    def param(self, name: str) -> Any:
        """A parameter's value: passed in, else its Default; None when it has neither, and
        for an SSM-typed parameter (its Default names the SSM parameter, not the value)."""
        if name in self.values:
            return self.values[name]
        spec = self.parameters.get(name)
        if not isinstance(spec, dict) or is_ssm_typed(spec):
            return None
        return spec.get("Default")

    def text(self, value: Any, depth: int = 0) -> str | None:
        """`value` as a string, or None when part of it is not known before deployment."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, str | int | float):
            return str(value)
        if not isinstance(value, dict) or len(value) != 1:
            return None
        (key, inner), = value.items()
        if key == "Ref" and isinstance(inner, str):
            return self._ref(inner, depth)
        if key == "Fn::Sub":
            return self._sub(inner, depth)
        if key == "Fn::Join" and isinstance(inner, list) and len(inner) == 2:
            sep, parts = inner
            if not isinstance(sep, str) or not isinstance(parts, list):
                return None
            texts = [self.text(p, depth + 1) for p in parts]
            return None if any(t is None for t in texts) else sep.join(texts)  # type: ignore[arg-type]
        if key == "Fn::FindInMap" and isinstance(inner, list) and len(inner) >= 3:
            keys = [self.text(k, depth + 1) for k in inner[:3]]
            if any(k is None for k in keys):
                return None
            table = self.mappings.get(keys[0]) if isinstance(self.mappings, dict) else None
            row = table.get(keys[1]) if isinstance(table, dict) else None
            return self.text(row.get(keys[2]), depth + 1) if isinstance(row, dict) else None
        return None

    def _ref(self, name: str, depth: int) -> str | None:
        if name == STACK_NAME:
            return self.stack_name if self.stack_name else WILDCARD
        if name.startswith("AWS::"):
            return "${" + name + "}"
        got = self.param(name)
        if isinstance(got, dict):
            return self.text(got, depth + 1)
        return None if got is None else self.text(got, depth + 1)

    def _sub(self, inner: Any, depth: int) -> str | None:
        if isinstance(inner, str):
            template, local = inner, {}
        elif isinstance(inner, list) and inner and isinstance(inner[0], str):
            template = inner[0]
            local = inner[1] if len(inner) > 1 and isinstance(inner[1], dict) else {}
        else:
            return None
        failed = False

        def one(m: re.Match[str]) -> str:
            nonlocal failed
            var = m.group(1).strip()
            if var.startswith("!"):
                return "${" + var[1:] + "}"  # ${!Literal} is the literal ${Literal}
            if var in local:
                got = self.text(local[var], depth + 1)
            elif "." in var:
                got = None  # ${Resource.Attr}: known only once deployed
            else:
                got = self._ref(var, depth)
            if got is None:
                failed = True
                return ""
            return got

        out = _SUB_VAR.sub(one, template)
        return None if failed else out


def is_ssm_typed(spec: Any) -> bool:
    """`Type: AWS::SSM::Parameter::Value<...>`: the value is read from SSM at deployment."""
    return isinstance(spec, dict) and str(spec.get("Type", "")).startswith(
        "AWS::SSM::Parameter::Value<")


def matches(export: str, wanted: str) -> bool:
    """Does an evaluated export name (maybe with a wildcard stack name) name `wanted`?"""
    if WILDCARD not in export:
        return export == wanted
    parts = [re.escape(p) for p in export.split(WILDCARD)]
    return re.fullmatch(r"[A-Za-z][-A-Za-z0-9]*".join(parts), wanted) is not None


def shown(name: str) -> str:
    """An evaluated name for a note: the wildcard written as CloudFormation writes it."""
    return name.replace(WILDCARD, "${AWS::StackName}")
