"""Shared state of one CloudFormation/SAM import: the template, reference resolution,
node names, edges and the notes the import produces.

The wiring modules (`sam`, `wiring/`, `apigw`, `sfn`, ...) all work through a `Ctx`, so
the rules of the import live in one place: a reference either resolves to a resource the
template declares or is reported (never guessed), every resource either becomes a node or
is counted as consumed wiring, and implicit nodes (SAM's generated API, an event source
outside the template) are created the same way everywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from advisor.errors import Diagnostic
from advisor.importers.cloudformation.template import LineDict
from advisor.importers.edge_labels import AUTHORIZER
from advisor.model import Architecture, Location

PSEUDO_PREFIX = "AWS::"
# ref_names() prefix of an `Fn::ImportValue` the system layer links to another stack
LINK_PREFIX = "Fn::ImportValue:"
NAME_PROPS = {
    "sqs": ("QueueName",), "sns": ("TopicName",), "dynamodb": ("TableName",),
    "s3": ("BucketName",), "kinesis": ("Name",), "firehose": ("DeliveryStreamName",),
    "lambda": ("FunctionName",), "sfn": ("StateMachineName", "Name"),
    "eventbridge": ("Name",), "logs": ("LogGroupName",),
}
# `${Env}` in a Sub, `{{resolve:ssm:/path}}` dynamic references: neither names the resource
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_DYNAMIC_REF = re.compile(r"\{\{resolve:[\w-]+:([^}]*)\}\}")
_ID_LIKE = re.compile(r"[0-9a-fA-F-]{8,}(-\d+)?|\d+|arn|aws|aws-[a-z-]+")
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_FUNCTION_ARN = re.compile(r":function:((?:\$\{[^}]*\}|[^:/$])+)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_RUN = re.compile(r"[A-Za-z0-9_-]+")  # a name as a whole word of a longer text
RESERVED = frozenset(
    {"architecture", "workload", "group", "true", "false", "none", "null", "import"}
)
# Ref/GetAtt names SAM generates for its own resources; not worth an "unresolved" note.
SAM_GENERATED_SUFFIXES = ("Role", "Alias", "Version", "Stage", "Deployment", "Policy", "Url",
                          "EventInvokeConfig", "ApiGatewayDefaultStage", "DomainName")


@cache
def resource_types() -> frozenset[str]:
    """Every resource type CloudFormation knows (resource_types.yaml, generated from the
    provider schemas by tools/gen_resource_types.py)."""
    from advisor.importers.reading import package_yaml

    return frozenset(package_yaml("cloudformation/resource_types.yaml")["types"])


@cache
def data() -> dict[str, Any]:
    """cloudformation/data.yaml: the mappings the importer reads (event types, policy templates, ...)."""
    from advisor.importers.reading import package_yaml

    return package_yaml("cloudformation/data.yaml")  # type: ignore[no-any-return]


def safe_name(raw: str, taken: Container[str] | None = None) -> str:
    """A valid, unique DSL identifier for a template id (logical IDs are already close);
    `taken`: the names in use (the graph itself: a look-up, not a copy per resource)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", raw).strip("_") or "resource"
    if not _IDENT.fullmatch(name):
        name = f"r_{name}"
    if name.lower() in RESERVED:
        name = f"{name}_"
    if taken is not None:
        base, i = name, 2
        while name in taken:
            name = f"{base}_{i}"
            i += 1
    return name


def walk(value: Any) -> Iterator[Any]:
    """Every value nested in `value` (dicts and lists), itself included; iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class Ctx:
    """One import in progress."""

    def __init__(self, template: dict[str, Any], path: str, text: str | None, *,
                 links: Mapping[str, str] | None = None,
                 parameters: Mapping[str, Any] | None = None) -> None:
        self.template = template
        self.path = path
        self.text = text
        self.base_dir = Path(path).parent if path and not path.startswith("<") else Path(".")
        res = template.get("Resources")
        self.resources: dict[str, Any] = res if isinstance(res, dict) else {}
        params = template.get("Parameters")
        self.parameters: dict[str, Any] = params if isinstance(params, dict) else {}
        if parameters:  # values passed in (a parent stack's Parameters) replace defaults
            self.parameters = {**self.parameters, **{
                k: {**(self.parameters[k] if isinstance(self.parameters[k], dict) else {}),
                    "Default": v}
                for k, v in parameters.items() if k in self.parameters}}
        # system mode (advisor.system): `Fn::ImportValue` names that another stack of the
        # analyzed system provides -> the kind of the component there. Each becomes a
        # placeholder node (attribute `imported` = the name) the system layer replaces.
        self.links: dict[str, str] = dict(links or {})
        self.link_nodes: dict[str, str] = {}
        conds = template.get("Conditions")
        self.conditions: dict[str, Any] = conds if isinstance(conds, dict) else {}
        self.arch = Architecture(format="cloudformation", source=path)
        self.names: dict[str, str] = {}  # logical ID -> node name
        self.declared: list[tuple[str, str]] = []  # (logical ID, node), in that order
        self.notes: list[Diagnostic] = []
        self.consumed: Counter[str] = Counter()
        self.aliases: dict[str, str] = {}  # Lambda alias/version logical ID -> function ID
        self.deferred: set[str] = set()  # resources that become nodes only when targeted
        self.deferred_kind: dict[str, str] = {}
        self.authorizer_fns: set[str] = set()  # functions API Gateway calls as authorizers
        self.default_bus_rules: set[str] = set()  # rule nodes on the account's default bus
        self.implicit_apis: set[str] = set()  # API ids SAM generates, added to `resources`
        self.route_defaults: dict[str, Any] = {}  # SAM API node -> apigw_sam.RouteDefaults
        self.api_keys_required: set[str] = set()  # APIs with a route that requires a key
        self.route_auths: dict[str, dict[Any, str]] = {}  # API node -> route -> its auth
        # state machine node -> the nodes its (readable) definition names anywhere
        self.definition_refs: dict[str, set[str]] = {}
        self._noted: set[tuple[int, str]] = set()
        # generic `resource` nodes that have a note of their own (with their location):
        # the importer's summary of resource types without a catalog kind leaves them out
        self.noted_resources: set[str] = set()
        self._type_index: dict[str, list[str]] | None = None  # of_type: type -> ids
        self._name_index = _NameIndex()  # physical names of the declared nodes
        self._kind_memo: dict[Any, Any] = {}  # nodes_of_kinds, for one graph size
        self.memo: dict[Any, Any] = {}  # indexes the wiring builds once per import
        self._positions: dict[str, int] | None = None  # logical ID -> template order

    # ------------------------------------------------------------------ resources
    def rtype(self, logical: str) -> str:
        res = self.resources.get(logical)
        return str(res.get("Type", "")) if isinstance(res, dict) else ""

    def props_of(self, logical: str) -> dict[str, Any]:
        res = self.resources.get(logical)
        props = res.get("Properties") if isinstance(res, dict) else None
        return props if isinstance(props, dict) else {}

    def of_type(self, *types: str) -> list[str]:
        """Logical IDs of the resources of these types, in template order (from an index
        of the resources by type, built once: the wiring asks about fifty types, and a
        scan per question made a large template's import quadratic in practice)."""
        index = self._type_index
        if index is None:
            index = self._type_index = {}
            for lid in self.resources:
                index.setdefault(self.rtype(lid), []).append(lid)
        if len(types) == 1:
            return list(index.get(types[0], ()))
        found = [lid for t in dict.fromkeys(types) for lid in index.get(t, ())]
        if len(found) > 1:
            position = self._positions
            if position is None:
                position = self._positions = {lid: i for i, lid in enumerate(self.resources)}
            found.sort(key=position.__getitem__)
        return found

    def serverless_types(self) -> tuple[str, ...]:
        """The `AWS::Serverless::*` types the template's resources have."""
        self.of_type()
        return tuple(t for t in self._type_index or () if t.startswith("AWS::Serverless::"))

    def nodes_of_kinds(self, kinds: frozenset[str]) -> list[str]:
        """The nodes of these kinds so far, in graph order (remembered until a node is
        added: asked once per IAM role, a scan each time made the import quadratic)."""
        size = len(self.arch.graph)
        memo = self._kind_memo
        if memo.get(None) != size:
            memo.clear()
            memo[None] = size
        if kinds not in memo:
            memo[kinds] = list(self.arch.nodes_of_kind(*kinds))
        return memo[kinds]  # type: ignore[return-value]

    def set_resource(self, logical: str, resource: Any) -> None:
        """Add (or replace) a resource the template implies (SAM's generated APIs)."""
        self.resources[logical] = resource
        self._type_index = self._positions = None

    def loc_of(self, logical: str) -> Location | None:
        if isinstance(self.resources, LineDict) and logical in self.resources:
            line, col = self.resources.key_loc(logical)
            return Location(self.path, line, col)
        return None

    def line_of(self, value: Any, fallback: str | None = None) -> tuple[int, int]:
        if isinstance(value, LineDict) and value.line:
            return value.line, value.col
        if fallback is not None:
            loc = self.loc_of(fallback)
            if loc is not None:
                return loc.line, loc.column
        return 1, 1

    # ------------------------------------------------------------------ notes
    def info(self, message: str, line: int = 1, col: int = 1, suggestion: str | None = None,
             severity: str = "info") -> None:
        key = (line, message)
        if key in self._noted:
            return
        self._noted.add(key)
        self.notes.append(
            Diagnostic(self.path, line, col, message, suggestion, severity=severity)
        )

    # ------------------------------------------------------------------ references
    def ref_names(self, value: Any) -> list[str]:
        """Logical IDs (or parameter names) that `value` refers to, in order of appearance."""
        out: list[str] = []
        stack = [value]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                if len(item) == 1:
                    (key, inner), = item.items()
                    if key == "Ref" and isinstance(inner, str):
                        out.append(inner)
                        continue
                    if key == "Fn::GetAtt":
                        name = _getatt_name(inner)
                        if name:
                            out.append(name)
                        continue
                    if key == "Fn::Sub":
                        text, variables = _sub_parts(inner)
                        for var in _SUB_VAR.findall(text):
                            head = var.split(".", 1)[0].strip()
                            if variables and head in variables:
                                stack.append(variables[head])
                            else:
                                out.append(head)
                        continue
                    if key == "Fn::If" and isinstance(inner, list) and len(inner) == 3:
                        stack.extend(inner[1:])
                        continue
                    if key == "Fn::ImportValue" and isinstance(inner, str) and inner in self.links:
                        out.append(LINK_PREFIX + inner)
                        continue
                    if key in ("Fn::ImportValue", "Fn::FindInMap", "Condition"):
                        continue
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and "${" in item:
                # DefinitionSubstitutions-style or OpenAPI strings are handled by callers
                continue
        seen: set[str] = set()
        uniq = []
        for name in out:
            name = self._canonical(name)
            if name not in seen and not name.startswith(PSEUDO_PREFIX):
                seen.add(name)
                uniq.append(name)
        return uniq

    def _canonical(self, name: str) -> str:
        if name not in self.resources and "." in name:
            head = name.split(".", 1)[0]
            if head in self.resources:
                name = head
        return self.aliases.get(name, name)

    def resource_refs(self, value: Any) -> list[str]:
        """Logical IDs of resources (not parameters) that `value` names; names SAM
        generates (ServerlessRestApi) count once their node exists."""
        return [n for n in self.ref_names(value)
                if n in self.resources or n in self.names or n.startswith(LINK_PREFIX)]

    def node_refs(self, value: Any) -> list[str]:
        """Node names of the components `value` names (wiring resources skipped)."""
        out = []
        for lid in self.resource_refs(value):
            name = self.node_for(lid)
            if name is not None and name not in out:
                out.append(name)
        return out

    def node_for(self, logical: str) -> str | None:
        """The node of a logical ID, materialising a deferred resource when targeted."""
        logical = self.aliases.get(logical, logical)
        if logical in self.names:
            return self.names[logical]
        if logical.startswith(LINK_PREFIX):
            return self.link_node(logical[len(LINK_PREFIX):])
        if logical in self.deferred:
            return self.materialise(logical)
        return None

    def materialise(self, logical: str) -> str:
        """A deferred resource (a log group) becomes a node, with the props its own
        Properties give it (a targeted log group keeps its `RetentionInDays`)."""
        from advisor.importers.cloudformation.props import props_for

        self.deferred.discard(logical)
        kind = self.deferred_kind[logical]
        return self.add_resource_node(logical, kind,
                                      props_for(self, logical, kind, self.props_of(logical)))

    def link_node(self, imported: str) -> str | None:
        """The placeholder node of an import another stack of the system provides."""
        if imported not in self.links:
            return None
        if imported not in self.link_nodes:
            name = safe_name(imported, self.arch.graph)
            self.arch.add_node(name, self.links[imported], {}, source_id=imported)
            self.arch.graph.nodes[name]["imported"] = imported
            self.link_nodes[imported] = name
        return self.link_nodes[imported]

    def sam_ref(self, value: Any) -> str | None:
        """The logical ID a SAM property names: a `Ref`/`GetAtt`, or the plain logical-ID
        string SAM also accepts (`RestApiId: MyApi`, a connector's `Id: MyQueue`)."""
        if isinstance(value, str):
            return value if value in self.resources else None
        refs = self.resource_refs(value)
        return refs[0] if refs else None

    def node_ref(self, value: Any, kind: str | None = None) -> str | None:
        """The first node `value` names (of `kind` when given)."""
        for name in self.node_refs(value):
            if kind is None or self.arch.kind(name) == kind:
                return name
        return None

    def name_keys(self, value: Any) -> set[str]:
        """Comparable forms of a physical name: the literal, its last ARN/URL segment, or
        the parameter it comes from (`param:P`), so `TableName: !Ref P` in a task and in
        the table match."""
        keys: set[str] = set()
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in self.parameters:
            keys.add(f"param:{value['Ref']}")
        literal = self.scalar(value)
        text = literal if isinstance(literal, str) else self.text_of(value)
        if isinstance(text, str) and text and not text.startswith("$"):
            keys.add(text)
            last = re.split(r"[:/]", text.rstrip("/"))[-1]
            if last and "${" not in last and "$." not in last:
                keys.add(last)
        return {k for k in keys if len(k) > 2}

    def by_physical_name(self, value: Any, kind: str | None) -> str | None:
        """The node of `kind` whose declared physical name matches `value` (the first
        declared, when several do)."""
        wanted = self.name_keys(value)
        if not wanted or kind is None:
            return None
        index = self._name_index.kind_keys(self).get(kind)
        if not index:
            return None
        hits = [index[w] for w in wanted if w in index]
        return min(hits)[1] if hits else None

    def named_in_text(self, text: str, kind: str, keys: tuple[str, ...]) -> str | None:
        """The first declared node of `kind` one of whose `keys` properties (a literal
        physical name of three characters or more) appears in `text` as a whole word
        (not inside a longer name): `"TableName": "Orders"` in a VTL template."""
        simple, other = self._name_index.literals(self, kind, keys)
        hits = [simple[t] for t in set(_WORD_RUN.findall(text)) if t in simple]
        for pos, name, literal in other:
            if hits and pos > min(hits)[0]:
                break
            if re.search(r"(?<![A-Za-z0-9_-])" + re.escape(literal) + r"(?![A-Za-z0-9_-])",
                         text):
                hits.append((pos, name))
                break
        return min(hits)[1] if hits else None

    def function_named_in(self, arn_text: str | None) -> str | None:
        """The declared function a Lambda ARN names by its physical name
        (`...:function:orders-handler`, `...:function:pay-${Stage}:live` from a `!Sub`),
        matched against each function's `FunctionName` (literal, parameter or Sub text)."""
        m = _FUNCTION_ARN.search(arn_text or "")
        return self.by_physical_name(m.group(1), "lambda") if m else None

    def scalar(self, value: Any, _depth: int = 0) -> Any:
        """A literal value: itself, a parameter's Default through Ref, a `Fn::FindInMap`
        entry (or its `DefaultValue`); else None."""
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in self.parameters:
                param = self.parameters[value["Ref"]]
                return param.get("Default") if isinstance(param, dict) else None
            if set(value) == {"Fn::FindInMap"} and _depth < 8:
                return self._find_in_map(value["Fn::FindInMap"], _depth + 1)
            if set(value) == {"Fn::If"} and isinstance(value["Fn::If"], list):
                branches = value["Fn::If"][1:]
                for branch in branches:
                    got = self.scalar(branch)
                    if got is not None:
                        return got
            return None
        if isinstance(value, list):
            return None
        return value

    def _find_in_map(self, args: Any, depth: int) -> Any:
        """`[Map, TopKey, SecondKey]` (+ `{DefaultValue: x}`, LanguageExtensions)."""
        if not isinstance(args, list) or len(args) not in (3, 4):
            return None
        default = args[3].get("DefaultValue") if len(args) == 4 and isinstance(
            args[3], dict) else None
        keys = [self.scalar(a, depth) for a in args[:3]]
        mappings = self.template.get("Mappings")
        node: Any = mappings if isinstance(mappings, dict) else {}
        for key in keys:
            node = node.get(key) if isinstance(node, dict) and isinstance(key, str | int) \
                else None
        if node is None:
            return self.scalar(default, depth) if default is not None else None
        return self.scalar(node, depth)

    def number(self, value: Any) -> float | None:
        got = self.scalar(value)
        if isinstance(got, bool):
            return None
        try:
            return float(got) if got is not None else None
        except (TypeError, ValueError):
            return None

    def flag(self, value: Any) -> bool | None:
        got = self.scalar(value)
        if isinstance(got, bool):
            return got
        if isinstance(got, str) and got.lower() in ("true", "false"):
            return got.lower() == "true"
        return None

    def text_of(self, value: Any) -> str | None:
        """A string with references written as `${Name}`: for ARNs, URIs and patterns."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            (key, inner), = value.items()
            if key == "Fn::Sub":
                text, _ = _sub_parts(inner)
                return text
            if key == "Ref" and isinstance(inner, str):
                return "${" + inner + "}"
            if key == "Fn::GetAtt":
                name = _getatt_name(inner)
                return "${" + (name or "") + ".Arn}"
            if key == "Fn::Join" and isinstance(inner, list) and len(inner) == 2:
                sep, parts = inner
                if isinstance(sep, str) and isinstance(parts, list):
                    texts = [self.text_of(p) or "" for p in parts]
                    return sep.join(texts)
            if key == "Fn::If" and isinstance(inner, list) and len(inner) == 3:
                return self.text_of(inner[1])
        return None

    # ------------------------------------------------------------------ building
    def add_resource_node(
        self, logical: str, kind: str, props: dict[str, Any]
    ) -> str:
        name = safe_name(logical, self.arch.graph)
        self.names[logical] = name
        self.declared.append((logical, name))
        res = self.resources.get(logical) or {}
        self.arch.add_node(
            name,
            kind,
            props,
            loc=self.loc_of(logical),
            ignore=ignored_rules(res.get("Metadata") if isinstance(res, dict) else None),
            source_id=logical,
        )
        return name

    def implicit_node(
        self, name: str, kind: str, props: dict[str, Any] | None = None,
        loc: Location | None = None, source_id: str | None = None,
    ) -> str:
        """A node the template implies but does not declare (SAM's API, an outside source)."""
        name = safe_name(name)
        if name in self.arch.graph:
            if self.arch.kind(name) == kind:
                return name
            name = safe_name(name, self.arch.graph)
        self.arch.add_node(name, kind, props or {}, loc=loc, source_id=source_id or name)
        return name

    def external_node(self, value: Any, kind: str, what: str, anchor: Any = None,
                      owner: str | None = None, rtype: str | None = None) -> str | None:
        """A node for a source/target outside the template (parameter, import, literal ARN).

        The kind is known from the context (an SQS event names a queue); the name comes
        from the parameter, export or ARN, so the same outside resource is one node.
        """
        label: str | None = None
        written: str | None = None  # the name as the template writes it, for the note
        if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
            label = written = value["Ref"]
        elif isinstance(value, dict) and "Fn::ImportValue" in value:
            written = self.text_of(value["Fn::ImportValue"])
            label = written or "imported"
        else:
            written = self.text_of(value)
            if written:
                text = _DYNAMIC_REF.sub(r"\1", written)  # {{resolve:ssm:/a/b}} -> /a/b
                parts = [_PLACEHOLDER.sub("", s) for s in re.split(r"[:/]", text)]
                named = [s.strip("-_.") for s in parts]
                named = [s for s in named if s and not _ID_LIKE.fullmatch(s)]
                label = named[-1] if named else None
        if not label:
            return None
        label = _PLACEHOLDER.sub("", label).strip("-_.") or f"external_{kind}"
        line, col = self.line_of(anchor if anchor is not None else value, owner)
        self.info(f"{what} is outside this template ({written or label}); shown as an "
                  f"external {kind}", line, col)
        props: dict[str, Any] = {"description": "outside this template", "external": True}
        if kind == "resource" and rtype:
            props["type"] = rtype
        node = self.implicit_node(label, kind, props)
        if isinstance(value, dict) and "Fn::ImportValue" in value:
            # the export it names, as written (`${Env}-Bus`): the system layer reports it
            self.arch.graph.nodes[node]["imported"] = self.text_of(value["Fn::ImportValue"])
        return node

    def edge(self, a: str | None, b: str | None, *, mode: str | None = None,
             label: str | None = None, props: dict[str, Any] | None = None,
             anchor: str | None = None) -> None:
        if a is None or b is None or a == b:
            return
        clean = {k: v for k, v in (props or {}).items() if v is not None}
        self.arch.add_edge(a, b, mode=mode, label=label, props=clean,
                           loc=self.loc_of(anchor) if anchor else None)

    def permission_is_use(self, node: str, target: str) -> bool:
        """Whether a permission `node` holds to write to `target` stands for an edge: for a
        state machine whose definition was read, only when the definition names the
        target (a role often grants more than the workflow calls, or reaches it through
        an API); for anything else, yes."""
        named = self.definition_refs.get(node)
        return named is None or target in named

    def authorizer_edge(self, api: str | None, value: Any, anchor: str | None,
                        ttl: Any = None) -> None:
        """`api` calls the Lambda function `value` names before the requests it guards: an
        `authorizer` edge, and the function is never glue. `ttl`: the stated result
        caching TTL in seconds (`auth_cache_ttl` on the edge; 0 turns caching off)."""
        fn = self.node_ref(value, "lambda")
        if api is not None and fn is not None:
            seconds = self.number(ttl) if ttl is not None else None
            props = {"auth_cache_ttl": int(seconds * 1000)} if seconds is not None else None
            self.edge(api, fn, label=AUTHORIZER, anchor=anchor, props=props)
            self.authorizer_fns.add(fn)

    def set_prop_locs(self, node: str | None, logical: str, *props: str) -> None:
        """`props` of `node` are set (or would be fixed) in the folded resource `logical`:
        a finding about them points at its line (`Architecture.location_of`)."""
        loc = self.loc_of(logical)
        if node is None or loc is None:
            return
        self.arch.graph.nodes[node].setdefault("prop_locs", {}).update(
            {prop: loc for prop in props})

    def set_props(self, node: str | None, **values: Any) -> None:
        if node is None:
            return
        data = self.arch.graph.nodes[node]["props"]
        for key, value in values.items():
            if value is not None:
                data[key] = value


class _NameIndex:
    """The physical names the declared nodes give (`QueueName`, `TableName`, ...), indexed
    as nodes are added, so finding the node a name refers to is a look-up, not a scan of
    every node per reference (which made large templates quadratic). Entries keep the
    order nodes were declared in: a look-up answers what a scan in that order would."""

    def __init__(self) -> None:
        self._keys: dict[str, dict[str, tuple[int, str]]] = {}  # kind -> key -> first
        self._keys_done = 0
        self._literals: dict[tuple[str, tuple[str, ...]], Any] = {}

    def kind_keys(self, ctx: Ctx) -> dict[str, dict[str, tuple[int, str]]]:
        """kind -> name key (`Ctx.name_keys`) -> (position, node) of its first node."""
        entries = ctx.declared
        for pos in range(self._keys_done, len(entries)):
            logical, name = entries[pos]
            kind = ctx.arch.kind(name)
            p = ctx.props_of(logical)
            index = self._keys.setdefault(kind, {})
            for key in NAME_PROPS.get(kind, ()):
                if key in p:
                    for k in ctx.name_keys(p[key]):
                        index.setdefault(k, (pos, name))
        self._keys_done = len(entries)
        return self._keys

    def literals(self, ctx: Ctx, kind: str, keys: tuple[str, ...],
                 ) -> tuple[dict[str, tuple[int, str]], list[tuple[int, str, str]]]:
        """The literal values of `keys` on nodes of `kind`: those that are one word
        (letters, digits, `_`, `-`) by value, the others in declaration order."""
        entry = self._literals.get((kind, keys))
        if entry is None:
            entry = self._literals[(kind, keys)] = [{}, [], 0]
        simple, other, done = entry
        entries = ctx.declared
        for pos in range(done, len(entries)):
            logical, name = entries[pos]
            if ctx.arch.kind(name) != kind:
                continue
            p = ctx.props_of(logical)
            for key in keys:
                value = ctx.scalar(p.get(key))
                if isinstance(value, str) and len(value) > 2:
                    if _WORD_RUN.fullmatch(value):
                        simple.setdefault(value, (pos, name))
                    else:
                        other.append((pos, name, value))
        entry[2] = len(entries)
        return simple, other


def _getatt_name(inner: Any) -> str | None:
    if isinstance(inner, list) and inner and isinstance(inner[0], str):
        return inner[0]
    if isinstance(inner, str):
        return inner.split(".", 1)[0]
    return None


def _sub_parts(inner: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(inner, str):
        return inner, {}
    if isinstance(inner, list) and inner and isinstance(inner[0], str):
        variables = inner[1] if len(inner) > 1 and isinstance(inner[1], dict) else {}
        return inner[0], variables
    return "", {}


def sub_vars(text: str) -> list[str]:
    """`${X}` and `${X.Attr}` names in a Sub-style string (heads only, `${!x}` skipped)."""
    return [v.split(".", 1)[0].strip() for v in _SUB_VAR.findall(text)]


def ignored_rules(metadata: Any) -> frozenset[str]:
    """Suppressions written in resource Metadata: ours, cfn-lint's and checkov's ids."""
    out: set[str] = set()
    if not isinstance(metadata, dict):
        return frozenset()
    ours = metadata.get("archadvisor")
    if isinstance(ours, dict):
        items = ours.get("ignore")
        if isinstance(items, str):
            items = [items]
        out.update(str(i) for i in items or [] if isinstance(i, str | int))
    lint = metadata.get("cfn-lint")
    if isinstance(lint, dict) and isinstance(lint.get("config"), dict):
        items = lint["config"].get("ignore_checks") or []
        out.update(str(i) for i in items if isinstance(i, str))
    checkov = metadata.get("checkov")
    if isinstance(checkov, dict):
        for item in checkov.get("skip") or []:
            if isinstance(item, dict) and item.get("id"):
                out.add(str(item["id"]))
    nag = metadata.get("cdk_nag")
    if isinstance(nag, dict):
        for item in nag.get("rules_to_suppress") or []:
            if isinstance(item, dict) and item.get("id"):
                out.add(str(item["id"]))
    return frozenset(out)


def kind_from_arn(text: str | None) -> str | None:
    """The catalog kind an ARN (or ARN-shaped Sub string) names, from its service part."""
    if not text or not text.startswith("arn:"):
        return None
    parts = text.split(":")
    if len(parts) < 3:
        return None
    service = parts[2]
    table = {
        "sqs": "sqs", "sns": "sns", "kinesis": "kinesis", "firehose": "firehose",
        "dynamodb": "dynamodb", "lambda": "lambda", "states": "sfn", "events": "eventbridge",
        "s3": "s3", "logs": "logs", "es": "opensearch", "aoss": "opensearch",
        "scheduler": "scheduler", "pipes": "pipes", "execute-api": "apigw",
        "apigateway": "apigw", "appsync": "appsync", "cognito-idp": "cognito",
        "kms": "kms", "rds": "rds", "ecs": "ecs",
    }
    return table.get(service)
