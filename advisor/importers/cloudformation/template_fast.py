"""The fast path of the template YAML loader: libyaml's parser, values built from its events.

Why not simply `yaml.CSafeLoader`: its composer (Cython) recurses once per nesting level
with no recursion guard, so a hostile document can only be made safe for it by a pre-scan
that re-implements enough of YAML's scanner (quotes, plain scalars holding brackets, block
scalars, compact `- - -` sequences) to bound the nesting -- and a pre-scan that is wrong
once is a crash. Here libyaml only *parses* (a state machine with explicit stacks: no
recursion, linear time) and this module builds `LineDict`/`LineList` values from the
event stream with an explicit stack, so depth, alias uses and the size after alias
expansion are counted exactly, as each event arrives, and nothing recurses.

The fast path is deliberately partial. Anything it does not handle exactly like the
pure-Python `CfnLoader` -- any error (syntax, forbidden characters), a limit reached,
merge keys (`<<`), explicit standard tags other than str/int/float/bool/null, an unknown
`!Tag`, an unhashable key, a duplicate anchor, a recursive alias, several documents --
makes it return `SLOW`, and `cfn_yaml.load_yaml` runs the pure-Python loader, which
gives the error or the value exactly as before. Both loaders resolve plain scalars with
the same `yaml.resolver.Resolver` and report libyaml's marks, which are PyYAML's (0-based
line, column in characters), so values and line/column marks are identical.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from advisor.importers.cloudformation.template import (
    INTRINSIC_TAGS,
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_EXPANDED_NODES,
    LineDict,
    LineList,
)

AVAILABLE = bool(getattr(yaml, "__with_libyaml__", False))
SLOW = object()  # "not handled here: use the pure-Python loader"

_Y = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _TIME = (
    _Y + "str", _Y + "null", _Y + "bool", _Y + "int", _Y + "float", _Y + "timestamp")
_MAP, _SEQ = _Y + "map", _Y + "seq"
_NO_KEY = object()


class _Slow(Exception):
    """Raised inside the builder to hand the document to the pure-Python loader."""


class _Frame:
    """An open collection: the value being filled, and what the builder needs about it."""

    __slots__ = ("anchor", "intrinsic", "is_map", "key", "key_mark", "size", "value")

    def __init__(self, value: Any, is_map: bool, anchor: str | None,
                 intrinsic: LineDict | None) -> None:
        self.value = value
        self.is_map = is_map
        self.anchor = anchor
        self.intrinsic = intrinsic  # `!Tag` collection: the {name: value} wrapper
        self.key: Any = _NO_KEY
        self.key_mark: tuple[int, int] = (0, 0)
        self.size = 1


class _Resolver(yaml.resolver.Resolver):
    """The SafeLoader's implicit resolvers (same regexes, same YAML 1.1 booleans)."""


_RESOLVER = _Resolver()
_CONSTRUCT = yaml.constructor.SafeConstructor()
# the tag a plain scalar resolves to, by (value, implicit): the resolver's regexes run
# once per distinct scalar of a document, not once per scalar (a template repeats its
# keys, types and values); a document's own, dropped when it is built
_Tags = dict[tuple[str, Any], str]


def load(text: str) -> Any:
    """The template's value, or `SLOW` when the pure-Python loader must decide."""
    if not AVAILABLE:
        return SLOW
    try:
        parser = yaml.CSafeLoader(text)
    except Exception:  # ReaderError and friends: the slow path words the error
        return SLOW
    try:
        return _build(parser)
    except Exception:  # anything unusual: the exact loader decides
        return SLOW
    finally:
        parser.dispose()


def _build(parser: Any) -> Any:
    get = parser.get_event
    event = get()
    if not isinstance(event, StreamStartEvent):
        raise _Slow
    event = get()
    if isinstance(event, StreamEndEvent):
        return LineDict()
    if not isinstance(event, DocumentStartEvent):
        raise _Slow
    stack: list[_Frame] = []
    tags: _Tags = {}
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: set[str] = set()
    aliases = 0
    root: Any = _NO_KEY
    root_done = False
    while not root_done:
        event = get()
        cls = event.__class__
        if cls is MappingEndEvent or cls is SequenceEndEvent:
            frame = stack.pop()
            value, size = _close(frame)
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (value, size)
        else:
            if len(stack) + 1 > MAX_DEPTH:
                raise _Slow
            mark = event.start_mark
            if cls is ScalarEvent:
                value, size = _scalar(event, tags), 1
                if event.anchor is not None:
                    _new_anchor(event.anchor, anchors, open_anchors)
                    anchors[event.anchor] = (value, size)
            elif cls is AliasEvent:
                aliases += 1
                if aliases > MAX_ALIASES or event.anchor in open_anchors:
                    raise _Slow
                value, size = anchors[event.anchor]  # KeyError (undefined alias): slow
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                stack.append(_open(event, cls is MappingStartEvent, mark))
                if event.anchor is not None:
                    _new_anchor(event.anchor, anchors, open_anchors)
                    open_anchors.add(event.anchor)
                continue
            else:
                raise _Slow
        if not stack:
            root, root_done = value, True
            if size > MAX_EXPANDED_NODES:
                raise _Slow
            continue
        parent = stack[-1]
        parent.size += size
        if parent.size > MAX_EXPANDED_NODES:
            raise _Slow
        if parent.is_map:
            if parent.key is _NO_KEY:
                if cls is ScalarEvent and event.tag is None and event.implicit[0] \
                        and event.value == "<<":
                    raise _Slow  # merge key: flatten_mapping semantics live in the slow path
                hash(value)  # TypeError (a collection as key): slow path words it
                parent.key = value
                parent.key_mark = (mark.line + 1, mark.column + 1)
            else:
                parent.value[parent.key] = value
                if parent.intrinsic is None:
                    parent.value.key_lines[parent.key] = parent.key_mark
                parent.key = _NO_KEY
        else:
            parent.value.append(value)
    if not isinstance(get(), DocumentEndEvent) or not isinstance(get(), StreamEndEvent):
        raise _Slow  # a second document: the slow path's "expected a single document"
    return root


def _new_anchor(anchor: str, anchors: dict[str, Any], open_anchors: set[str]) -> None:
    if anchor in anchors or anchor in open_anchors:
        raise _Slow  # duplicate anchor: let the pure loader apply its rule


def _open(event: Any, is_map: bool, mark: Any) -> _Frame:
    tag = event.tag
    line, col = mark.line + 1, mark.column + 1
    if tag is None or tag == "!" or tag == (_MAP if is_map else _SEQ):
        value: Any = LineDict() if is_map else LineList()
        value.line, value.col = line, col
        return _Frame(value, is_map, event.anchor, None)
    if tag.startswith("!") and not tag.startswith("!!"):
        name = INTRINSIC_TAGS.get(tag[1:])
        if name is None:
            raise _Slow  # unknown short tag: the slow path names it
        inner: Any = LineDict() if is_map else LineList()
        inner.line, inner.col = line, col
        wrapper = LineDict({name: inner})
        wrapper.line, wrapper.col = line, col
        wrapper.key_lines[name] = (line, col)
        return _Frame(inner, is_map, event.anchor, wrapper)
    raise _Slow  # !!set, !!omap, !!python/...: the slow path constructs or refuses


def _close(frame: _Frame) -> tuple[Any, int]:
    if frame.is_map and frame.key is not _NO_KEY:
        raise _Slow
    value = frame.intrinsic if frame.intrinsic is not None else frame.value
    return value, frame.size


def _scalar(event: Any, tags: _Tags) -> Any:
    tag = event.tag
    value = event.value
    if tag is None or tag == "!":
        key = (value, event.implicit)
        tag = tags.get(key)
        if tag is None:
            tag = tags[key] = _RESOLVER.resolve(ScalarNode, value, event.implicit)
    if tag in (_STR, _TIME):
        return value
    if tag.startswith("!") and not tag.startswith("!!"):
        name = INTRINSIC_TAGS.get(tag[1:])
        if name is None:
            raise _Slow
        line, col = event.start_mark.line + 1, event.start_mark.column + 1
        inner: Any = value
        if tag == "!GetAtt":
            inner = LineList(value.split(".", 1))
        out = LineDict({name: inner})
        out.line, out.col = line, col
        out.key_lines[name] = (line, col)
        return out
    if tag == _NULL:
        return None
    node = ScalarNode(tag, value)
    if tag == _BOOL:
        return _CONSTRUCT.construct_yaml_bool(node)
    if tag == _INT:
        return _CONSTRUCT.construct_yaml_int(node)
    if tag == _FLOAT:
        return _CONSTRUCT.construct_yaml_float(node)
    raise _Slow
