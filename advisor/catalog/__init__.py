"""The service catalog (services.yaml) as typed look-ups.

The YAML is the single source of what kinds exist, what props they take, how they are
wired by default and which targets each reaches natively. This module only reads it, so
adding a kind or an integration is a data change, not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from advisor import units
from advisor.datafiles import safe_load

PROP_TYPES = (
    "size", "duration", "rate", "int", "number", "ratio", "bool", "string", "enum", "list", "ref", "any",
)
DIMENSION_OF_TYPE = {"size": "size", "duration": "duration", "rate": "rate"}


@dataclass(frozen=True)
class PropSpec:
    """The type, allowed values and default of one prop."""

    name: str
    type: str
    default: Any = None
    values: tuple[str, ...] = ()
    doc: str = ""
    min: float | None = None
    max: float | None = None

    def describe(self) -> str:
        if self.type == "enum":
            return " | ".join(self.values)
        return {
            "size": "a size (e.g. 512MB)",
            "duration": "a duration (e.g. 200ms, 3s)",
            "rate": "a rate (e.g. 10M/month, 50/s)",
            "int": "a whole number",
            "number": "a number",
            "ratio": "a number between 0 and 1",
            "bool": "true or false",
            "string": "a string",
            "list": "a list [a, b]",
            "ref": "the name of another node",
            "any": "any value",
        }[self.type]


@dataclass(frozen=True)
class Integration:
    """One native integration family: a source kind reaching target kinds without code."""

    id: str
    sources: tuple[str, ...]
    mechanism: str
    targets: dict[str, str]
    source_url: str


@cache
def _data() -> dict[str, Any]:
    text = resources.files("advisor.catalog").joinpath("services.yaml").read_text("utf-8")
    data = safe_load(text, remember=True)
    return data  # type: ignore[no-any-return]


def _spec(name: str, raw: dict[str, Any]) -> PropSpec:
    default = raw.get("default")
    kind = raw["type"]
    if kind in DIMENSION_OF_TYPE and isinstance(default, str):
        default = parse_unit_text(default)
    bounds = [raw.get("min"), raw.get("max")]
    bounds = [parse_unit_text(b) if isinstance(b, str) else b for b in bounds]
    return PropSpec(
        name=name,
        type=kind,
        default=default,
        values=tuple(str(v) for v in raw.get("values", ())),
        doc=str(raw.get("doc", "")),
        min=bounds[0],
        max=bounds[1],
    )


def parse_unit_text(text: str) -> float:
    """Parse a catalog default such as '128MB', '3s', '10M/month' into internal units."""
    import re

    m = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]+)?(/[a-z]+)?", text.strip())
    if not m:
        raise ValueError(f"bad quantity {text!r} in services.yaml")
    value, _dim = units.normalise(float(m.group(1)), m.group(2), m.group(3))
    return value


@cache
def kinds() -> dict[str, dict[str, Any]]:
    return dict(_data()["kinds"])


def kind_names() -> list[str]:
    return sorted(kinds())


@cache
def _alias_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, info in kinds().items():
        out[name] = name
        for alias in info.get("aliases", []):
            out[str(alias).lower()] = name
    return out


def resolve_kind(word: str) -> str | None:
    """The stable kind for a kind name or alias (case-insensitive), or None."""
    return _alias_map().get(word.lower().replace("-", "_"))


def all_kind_words() -> list[str]:
    return sorted(_alias_map())


@cache
def category_of(kind: str) -> str:
    """The kind's category (`other` for a kind the catalog does not know); asked for
    several times per node by the matcher and the estimates, so kept per kind."""
    info = kinds().get(kind)
    return str(info["category"]) if info else "other"


def title_of(kind: str) -> str:
    info = kinds().get(kind)
    return str(info.get("title", kind)) if info else kind


def is_event_rule(kind: str, props: dict[str, Any]) -> bool:
    """An EventBridge node that is a rule (it states an event pattern or a schedule), not
    a bus: a bus's events reach its rules without a delivery of their own, and a rule is
    not a bus anything can put events to."""
    return kind == "eventbridge" and bool(props.get("pattern") or props.get("schedule"))


def is_open(kind: str) -> bool:
    """Kinds that accept any prop (`resource`)."""
    return bool(kinds().get(kind, {}).get("open_props"))


@cache
def common_props() -> dict[str, PropSpec]:
    return {k: _spec(k, v) for k, v in _data()["common_props"].items()}


@cache
def props_of(kind: str) -> dict[str, PropSpec]:
    """Every prop the kind accepts (its own plus the common ones)."""
    own = kinds().get(kind, {}).get("props") or {}
    out = dict(common_props())
    out.update({k: _spec(k, v) for k, v in own.items()})
    return out


def prop_spec(kind: str, prop: str) -> PropSpec | None:
    return props_of(kind).get(prop)


def default_prop(kind: str, prop: str) -> Any:
    spec = prop_spec(kind, prop)
    return spec.default if spec else None


def prop_value(arch_props: dict[str, Any], kind: str, prop: str) -> Any:
    """A node's prop, or the catalog default when it is not set."""
    if prop in arch_props:
        return arch_props[prop]
    return default_prop(kind, prop)


@cache
def edge_props() -> dict[str, PropSpec]:
    return {k: _spec(k, v) for k, v in _data()["edge_props"].items()}


def _matches(rule_value: Any, kind: str) -> bool:
    if rule_value is None:
        return True
    if isinstance(rule_value, list):
        return kind in rule_value
    return bool(rule_value == kind)


def default_edge_mode(source_kind: str, target_kind: str) -> str:
    """The mode an edge has when the design does not state one (first rule that matches)."""
    for rule in _data()["edge_modes"]:
        if _matches(rule.get("source"), source_kind) and _matches(rule.get("target"), target_kind):
            return str(rule["mode"])
    return "sync"


@cache
def integrations() -> tuple[Integration, ...]:
    out = []
    for ident, raw in sorted(_data()["integrations"].items()):
        sources = raw["source"] if isinstance(raw["source"], list) else [raw["source"]]
        out.append(
            Integration(
                id=ident,
                sources=tuple(sources),
                mechanism=str(raw["mechanism"]),
                targets={str(k): str(v) for k, v in raw["targets"].items()},
                source_url=str(raw["source_url"]),
            )
        )
    return tuple(out)


def native_integrations(source_kind: str, target_kind: str) -> list[Integration]:
    """The integration families by which `source_kind` reaches `target_kind` natively."""
    return [
        i for i in integrations() if source_kind in i.sources and target_kind in i.targets
    ]


def integrates_natively(source_kind: str, target_kind: str) -> bool:
    return bool(native_integrations(source_kind, target_kind))


@cache
def event_source_kinds() -> frozenset[str]:
    """Kinds a Lambda event source mapping polls (the `lambda_event_sources` integration:
    SQS, Kinesis, DynamoDB Streams): the function reads them, they push nothing."""
    return frozenset(s for i in integrations() if i.id == "lambda_event_sources"
                     for s in i.sources)


@cache
def _cfn_map() -> dict[str, str]:
    return {t: name for name, info in kinds().items() for t in info.get("cloudformation", [])}


@cache
def _tf_map() -> dict[str, str]:
    return {t: name for name, info in kinds().items() for t in info.get("terraform", [])}


def kind_for_cloudformation(resource_type: str) -> str | None:
    return _cfn_map().get(resource_type)


def kind_for_terraform(resource_type: str) -> str | None:
    return _tf_map().get(resource_type)
