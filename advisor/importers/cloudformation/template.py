"""Read CloudFormation / SAM templates (YAML or JSON) safely, keeping source lines.

Why a loader of our own:
- CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...) are not YAML any
  standard loader knows; they are mapped to their long form (`{"Ref": ...}`,
  `{"Fn::GetAtt": [...]}`) so the importer sees one shape only.
- Findings point at template lines, so every mapping remembers where it and each of its
  keys started (`LineDict.line`, `LineDict.key_lines`).
- Speed: documents are read by libyaml's parser when PyYAML has it (`cfn_yaml_fast`,
  events built into values with an explicit stack); the pure-Python loader below is the
  reference and the fallback for anything unusual, so both give the same result.
- Templates come from anywhere: the loader is a `SafeLoader` subclass (no Python objects,
  `!!python/...` is rejected with a clear message), caps nesting depth and alias expansion
  (a "billion laughs" document is refused before anything walks it), and turns every
  parser failure into an `AdvisorError` with a line and column.

JSON templates are read with the standard `json` module (fast, exact) and mapped to the
same `LineDict` shape; their key lines come from a light scan of the text.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from advisor.errors import AdvisorError, Diagnostic, with_source

MAX_DEPTH = 100  # nesting levels; real templates (with inline state machines) stay < 40
MAX_ALIASES = 1000  # alias uses in one document
MAX_EXPANDED_NODES = 1_000_000  # nodes after expanding every alias

# Short-form tag -> long-form key: every intrinsic and condition function CloudFormation
# accepts (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html,
# rules: .../rules-section-structure.html). `!GetAtt` and `!Ref`/`!Condition` are special-cased.
INTRINSIC_TAGS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "If": "Fn::If",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "ImportValue": "Fn::ImportValue",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "Cidr": "Fn::Cidr",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Transform": "Fn::Transform",
    # AWS::LanguageExtensions transform
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
    "ForEach": "Fn::ForEach",
    # rule-specific intrinsics, valid in the `Rules` section
    "Contains": "Fn::Contains",
    "EachMemberEquals": "Fn::EachMemberEquals",
    "EachMemberIn": "Fn::EachMemberIn",
    "RefAll": "Fn::RefAll",
    "ValueOf": "Fn::ValueOf",
    "ValueOfAll": "Fn::ValueOfAll",
    "GetParam": "Fn::GetParam",  # CodePipeline parameter overrides
}


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping that knows the 1-based line/column where it and each key started."""

    __slots__ = ("col", "key_lines", "line")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.col = 0
        self.key_lines: dict[Any, tuple[int, int]] = {}

    def key_loc(self, key: Any) -> tuple[int, int]:
        """(line, column) of `key`, falling back to the mapping's own position."""
        return self.key_lines.get(key, (self.line, self.col))


class LineList(list):  # type: ignore[type-arg]
    """A sequence that knows the 1-based line/column where it started."""

    __slots__ = ("col", "line")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.col = 0


class _TemplateError(Exception):
    def __init__(self, message: str, line: int, col: int, suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.suggestion = suggestion


class CfnLoader(yaml.SafeLoader):
    """SafeLoader + CloudFormation tags + line marks + depth and alias limits."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    # ---------------------------------------------------------------- composing
    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _TemplateError(
                    f"more than {MAX_ALIASES} YAML aliases: refusing a possible alias bomb",
                    mark.line + 1,
                    mark.column + 1,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _TemplateError(
                    f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1
                )
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1

    # ---------------------------------------------------------------- constructing
    def construct_line_map(self, node: MappingNode) -> Any:
        data = LineDict()
        data.line, data.col = node.start_mark.line + 1, node.start_mark.column + 1
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=False)
            try:
                hash(key)
            except TypeError:
                raise _TemplateError(
                    "a mapping key must be a plain value",
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                ) from None
            data[key] = self.construct_object(value_node, deep=False)
            data.key_lines[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)

    def construct_line_seq(self, node: SequenceNode) -> Any:
        data = LineList()
        data.line, data.col = node.start_mark.line + 1, node.start_mark.column + 1
        yield data
        data.extend(self.construct_object(child, deep=False) for child in node.value)

    def construct_intrinsic(self, tag_suffix: str, node: Node) -> Any:
        name = INTRINSIC_TAGS.get(tag_suffix)
        if name is None:
            raise _TemplateError(
                f"unknown tag !{tag_suffix}",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "CloudFormation short forms are " + ", ".join(f"!{t}" for t in INTRINSIC_TAGS),
            )
        if isinstance(node, ScalarNode):
            value: Any = self.construct_scalar(node)
            if tag_suffix == "GetAtt" and isinstance(value, str):
                value = LineList(value.split(".", 1))
        elif isinstance(node, SequenceNode):
            value = LineList(self.construct_object(c, deep=True) for c in node.value)
            value.line, value.col = node.start_mark.line + 1, node.start_mark.column + 1
        else:  # a mapping under a tag (e.g. `!Transform {Name: ...}`)
            value = LineDict()
            value.line, value.col = node.start_mark.line + 1, node.start_mark.column + 1
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                value[key] = self.construct_object(value_node, deep=True)
        out = LineDict({name: value})
        out.line, out.col = node.start_mark.line + 1, node.start_mark.column + 1
        out.key_lines[name] = (out.line, out.col)
        return out

    def construct_forbidden(self, node: Node) -> Any:
        raise _TemplateError(
            f"tag {node.tag} is not allowed: templates are read as data, never as code",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            "remove the tag; CloudFormation does not use it",
        )


CfnLoader.add_constructor("tag:yaml.org,2002:map", CfnLoader.construct_line_map)
CfnLoader.add_constructor("tag:yaml.org,2002:seq", CfnLoader.construct_line_seq)
CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
CfnLoader.add_multi_constructor("!", CfnLoader.construct_intrinsic)
CfnLoader.add_constructor(None, CfnLoader.construct_forbidden)  # any other tag


def _expanded_size(root: Node) -> int:
    """Node count after expanding aliases (shared nodes counted each time they are used).

    Memoised by node identity, so a document of nested aliases costs linear time here
    even though its expansion is exponential; a recursive alias is refused.
    """
    memo: dict[int, int] = {}
    on_stack: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in on_stack:
            raise _TemplateError(
                "recursive YAML alias", node.start_mark.line + 1, node.start_mark.column + 1
            )
        on_stack.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child)
                if total > MAX_EXPANDED_NODES:
                    break
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_EXPANDED_NODES:
                    break
        on_stack.discard(key)
        memo[key] = total
        return total

    return size(root)


def _diag(path: str, text: str, err: _TemplateError) -> AdvisorError:
    return AdvisorError(
        [with_source(Diagnostic(path, err.line, err.col, err.message, err.suggestion), text)]
    )


def load_yaml(text: str, path: str = "<string>") -> Any:
    """Parse a YAML template into LineDict/LineList values; raise AdvisorError on bad input.

    libyaml's parser first (`cfn_yaml_fast`, ~10x faster); it hands anything unusual,
    every error and every limit reached to the pure-Python `CfnLoader` below, so values,
    marks and error messages are the same whichever path read the document.
    """
    from advisor.importers.cloudformation import template_fast

    fast = template_fast.load(text)
    if fast is not template_fast.SLOW:
        return fast
    return load_yaml_pure(text, path)


def load_yaml_pure(text: str, path: str = "<string>") -> Any:
    """The pure-Python loader: the reference behaviour, and the path for unusual input."""
    try:
        loader = CfnLoader(text)
    except yaml.reader.ReaderError as err:
        before = text[: err.position]
        line = before.count("\n") + 1
        col = err.position - (before.rfind("\n") + 1) + 1
        message = f"invalid YAML: character #x{err.character:04x} is not allowed in YAML"
        raise _diag(path, text, _TemplateError(message, line, col)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return LineDict()
        if _expanded_size(node) > MAX_EXPANDED_NODES:
            raise _TemplateError(
                f"the document expands to more than {MAX_EXPANDED_NODES} nodes through "
                "aliases: refusing a possible alias bomb",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        return loader.construct_document(node)
    except _TemplateError as err:
        raise _diag(path, text, err) from None
    except yaml.MarkedYAMLError as err:
        raise _diag(path, text, _yaml_error(err)) from None
    except yaml.YAMLError as err:
        raise _diag(path, text, _TemplateError(f"invalid YAML: {err}", 1, 1)) from None
    except RecursionError:
        raise _diag(path, text, _TemplateError(
            f"nesting too deep (more than {MAX_DEPTH} levels)", 1, 1,
            "real templates nest a few levels; check that this is the file you meant")) from None
    finally:
        loader.dispose()


def _yaml_error(err: yaml.MarkedYAMLError) -> _TemplateError:
    """PyYAML's error with the place to look and a hint. An unclosed bracket is reported
    where it was opened (the parser only notices at the end of the file)."""
    problem = str(err.problem or err.context or "syntax error")
    mark, context = err.problem_mark, err.context_mark
    hint = None
    at_end = mark is not None and "<stream end>" in problem
    if context is not None and at_end and "flow" in str(err.context or ""):
        opener = "[" if "sequence" in str(err.context) else "{"
        closer = "]" if opener == "[" else "}"
        return _TemplateError(
            f"invalid YAML: the '{opener}' opened here is not closed", context.line + 1,
            context.column + 1, f"add the missing '{closer}' (or a missing ',' between items)")
    if "'\\t'" in problem or "\t" in problem:
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    elif "mapping values are not allowed" in problem:
        hint = ("a plain value containing ': ' needs quotes, or the line is indented "
                "deeper than the key above it")
    elif "could not find expected ':'" in problem:
        hint = "a key is missing its ':' (or a multi-line value is not quoted)"
    elif "found duplicate anchor" in problem or "found undefined alias" in problem:
        hint = "check the &anchor / *alias names"
    elif context is not None and err.context:
        hint = f"{err.context} that starts at line {context.line + 1}: check its indentation"
    where = mark or context
    line, col = (where.line + 1, where.column + 1) if where else (1, 1)
    return _TemplateError(f"invalid YAML: {problem}", line, col, hint)




def load_json(text: str, path: str = "<string>") -> Any:
    """Parse a JSON template; mappings become LineDicts with key lines from a text scan."""
    try:
        data = json.loads(text, object_pairs_hook=_json_pairs)
    except json.JSONDecodeError as err:
        raise _diag(path, text, _TemplateError(f"invalid JSON: {err.msg}", err.lineno, err.colno,
                                               _json_hint(text, err))) from None
    except RecursionError:
        raise _diag(path, text, _TemplateError(
            f"nesting too deep (more than {MAX_DEPTH} levels)", 1, 1,
            "real templates nest a few levels; check that this is the file you meant")) from None
    _check_depth(data, path, text)
    if isinstance(data, LineDict):
        _mark_json_lines(data, text)
    return data


def _json_hint(text: str, err: json.JSONDecodeError) -> str | None:
    """What usually causes the error JSON's decoder names (it says what it expected)."""
    before = text[: err.pos].rstrip()
    here = text[err.pos: err.pos + 2]
    if before.endswith(",") and here[:1] in ("}", "]"):
        return "remove the trailing ',' before it: JSON allows none"
    if here.startswith(("//", "/*")):
        return "JSON has no comments (a YAML template may have them)"
    if here[:1] == "'":
        return "JSON strings take double quotes"
    if err.msg.startswith("Extra data"):
        return "the file holds more than one JSON value; a template is one object"
    if err.msg.startswith("Expecting ',' delimiter"):
        return "a ',' is missing between two items (or a bracket is not closed)"
    return None


def _json_pairs(pairs: list[tuple[str, Any]]) -> LineDict:
    out = LineDict()
    for key, value in pairs:
        out[key] = LineList(value) if isinstance(value, list) else value
    return out


_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _bracket_depth(text: str) -> int:
    """Deepest bracket nesting of a valid JSON text, outside strings; C-speed throughout
    (regex substitutions, `accumulate`/`max` over a mapped string: no Python loop)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _check_depth(data: Any, path: str, text: str) -> None:
    # the innermost value is one deeper than the brackets around it
    if _bracket_depth(text) + 1 <= MAX_DEPTH:
        return
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _diag(path, text, _TemplateError(f"nesting deeper than {MAX_DEPTH} levels", 1, 1))
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


# Every string literal in turn (a match never starts inside a string, because each match
# consumes a whole literal), with the colon that makes it a key. The unrolled form
# `[^"\\]*(\\.[^"\\]*)*` cannot backtrack, so the scan is linear.
_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(\s*:)?')


def _mark_json_lines(root: LineDict, text: str) -> None:
    """Give top-level sections and each resource/output the line of its key in the text.

    A full position-tracking JSON parser is not worth its cost: findings point at
    resources, so only their keys (first occurrence after the section key) need lines.
    Offsets become lines in one pass in offset order, so the cost stays linear.
    """
    keys = [(m.group(1), m.start()) for m in _JSON_STRING.finditer(text) if m.group(2)]
    found: list[tuple[int, LineDict, str]] = []
    root.line, root.col = 1, 1
    for section in ("Resources", "Outputs", "Parameters", "Globals"):
        value = root.get(section)
        if not isinstance(value, LineDict):
            continue
        start = next((pos for k, pos in keys if k == section), None)
        if start is None:
            continue
        found.append((start, root, section))
        pending = {k for k in value if isinstance(k, str)}
        for k, pos in keys:
            if pos > start and k in pending:
                pending.discard(k)
                found.append((pos, value, k))
                if not pending:
                    break
    found.sort(key=lambda item: item[0])
    line, last, line_start = 1, 0, -1
    for pos, owner, key in found:
        line += text.count("\n", last, pos)
        newline = text.rfind("\n", last, pos)  # only since the last key: linear overall
        if newline != -1:
            line_start = newline
        last = pos
        owner.key_lines[key] = (line, pos - line_start)
        child = owner[key]
        if isinstance(child, LineDict):
            child.line, child.col = owner.key_lines[key]


def looks_like_json(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def load_template(text: str, path: str = "<string>") -> Any:
    """JSON when the text is a JSON object, YAML otherwise."""
    if looks_like_json(text):
        return load_json(text.lstrip("\ufeff"), path)
    return load_yaml(text, path)
