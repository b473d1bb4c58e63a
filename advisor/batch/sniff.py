"""Is a YAML/JSON file a directory walk found a template, something else, or broken?

A walk meets many data files that are not templates (`package.json`, `tsconfig.json`,
Kubernetes manifests, CI configurations, Helm charts). Each gets a result line all the
same, so nothing is passed over in silence:

- the importers' own content test (`advisor.importers.detect_format`) says it is a
  template: it is analysed like any template (and its errors are errors);
- otherwise it is checked for syntax only, never constructed: YAML through the parser's
  event stream (no tags resolved, no aliases expanded, no recursion, so an alias bomb,
  `!!python/...` tags, 100k nested brackets or several documents cost only linear time),
  JSON with the standard library, both bounded in nesting like templates are
  (`MAX_DEPTH`). Well-formed: "skipped: not a template (...)".
  JSON with comments (tsconfig.json, VS Code settings) and text templates with `{{ }}`
  placeholders (Helm, Jinja) are skipped with that reason. Anything else that does not
  parse is an input error with its line and column.
"""

from __future__ import annotations

import json
import re

import yaml

from advisor.errors import AdvisorError, Diagnostic
from advisor.importers.cloudformation.template import MAX_DEPTH

# JSON with comments and trailing commas: strings are kept whole, comments dropped.
_JSONC_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_TEXT_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def not_a_template(path: str, text: str) -> str:
    """Why `text` (not a template by content) is skipped; AdvisorError if it is broken."""
    is_json = path.lower().endswith(".json")
    what = "JSON" if is_json else "YAML"
    if not text.strip():
        return f"not a template (empty {what} file)"
    problem = _json_problem(path, text) if is_json else _yaml_problem(path, text)
    if problem is None:
        return f"not a template ({what} with no top-level Resources)"
    if is_json and _json_problem(path, _strip_jsonc(text)) is None:
        return "not a template (JSON with comments)"
    if _TEXT_TEMPLATE.search(text):
        return f"not a template ({what} text template with {{{{ }}}} placeholders)"
    raise AdvisorError([problem])


_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"
_TOO_DEEP_HINT = "real configuration files nest a few levels"


def _json_problem(path: str, text: str) -> Diagnostic | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return Diagnostic(path, err.lineno, err.colno, f"invalid JSON: {err.msg}",
                          "this file is neither valid JSON nor a template")
    except RecursionError:
        return Diagnostic(path, 1, 1, _TOO_DEEP, _TOO_DEEP_HINT)
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return Diagnostic(path, 1, 1, _TOO_DEEP, _TOO_DEEP_HINT)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


def _yaml_problem(path: str, text: str) -> Diagnostic | None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return Diagnostic(path, mark.line + 1, mark.column + 1, _TOO_DEEP,
                                      _TOO_DEEP_HINT)
            elif isinstance(event, _CLOSE):
                depth -= 1
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Diagnostic(path, line, col,
                          f"invalid YAML: {err.problem or err.context or 'syntax error'}",
                          "this file is neither valid YAML nor a template")
    except yaml.reader.ReaderError as err:
        before = text[: err.position]
        line = before.count("\n") + 1
        col = err.position - (before.rfind("\n") + 1) + 1
        return Diagnostic(path, line, col,
                          f"invalid YAML: character #x{err.character:04x} is not allowed",
                          "this file is neither valid YAML nor a template")
    except yaml.YAMLError as err:
        return Diagnostic(path, 1, 1, f"invalid YAML: {err}")
    return None


def _strip_jsonc(text: str) -> str:
    kept = _JSONC_TOKEN.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    return _TRAILING_COMMA.sub(r"\1", kept)


__all__ = ["not_a_template"]
