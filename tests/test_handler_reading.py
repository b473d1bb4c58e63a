"""The shared readers under handler inspection: the syntax index (walk orders of `ast`),
marker pre-checks, the reachability closure, JavaScript string-aware bracket matching,
and the per-process report memo.

Each expectation is worked out from the definition the reader stands in for (`ast.walk`,
a stack over `ast.iter_child_nodes`, a per-line regular-expression search, a bracket
scan that skips string literals), on inputs written for the test.
"""

from __future__ import annotations

import ast
import re

import pytest

from advisor.importers.handlers import inspect_source
from advisor.importers.handlers.javascript import (
    _balanced,
    _top_level_keys,
    narrow_js,
    strip_js_comments,
)
from advisor.importers.handlers.markers import markers, required_text
from advisor.importers.handlers.pyindex import TOKENS, SyntaxIndex
from advisor.importers.handlers.reach import reachable

MODULE = '''
import boto3
client = boto3.client("sqs")

class Worker:
    def run(self, event):
        return [r for r in event["Records"] if r and not r.get("skip")]

@app.get("/x")
def handler(event, context):
    x = 1 + 2 < 3 and (lambda y: y * 2)
    for record in event["Records"]:
        with open("f") as fh:
            client.send_message(QueueUrl="q", MessageBody=fh.read())
    return x
'''


def _not_token(node: ast.AST) -> bool:
    return not isinstance(node, TOKENS)


def test_index_walk_is_ast_walk_without_tokens() -> None:
    tree = ast.parse(MODULE)
    index = SyntaxIndex(tree)
    for node in filter(_not_token, ast.walk(tree)):
        assert index.walk(node) == [n for n in ast.walk(node) if _not_token(n)]
    assert not any(isinstance(n, TOKENS) for n in index.walk(tree))


def test_own_nodes_is_a_stack_over_children_stopping_at_scopes() -> None:
    tree = ast.parse(MODULE)
    index = SyntaxIndex(tree)

    def by_stack(body: list[ast.stmt]) -> list[ast.AST]:
        todo: list[ast.AST] = list(body)
        out = []
        while todo:
            node = todo.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef |
                          ast.Lambda):
                continue
            out.append(node)
            todo.extend(c for c in ast.iter_child_nodes(node) if _not_token(c))
        return out

    handler = next(s for s in tree.body if isinstance(s, ast.FunctionDef))
    assert index.own_nodes(handler.body) == by_stack(handler.body)
    assert index.own_nodes(tree.body) == by_stack(tree.body)
    assert not any(isinstance(n, ast.Lambda) for n in index.own_nodes(handler.body))


def test_index_names_in_and_parents() -> None:
    tree = ast.parse(MODULE)
    index = SyntaxIndex(tree)
    decorated = next(s for s in tree.body if isinstance(s, ast.FunctionDef))
    assert index.names_in(decorated.decorator_list[0]) == {"app"}
    nodes = index.walk(tree)
    parents = index.parents(nodes)
    call = next(n for n in nodes if isinstance(n, ast.Call) and
                isinstance(n.func, ast.Attribute) and n.func.attr == "send_message")
    assert isinstance(parents[call], ast.Expr)


@pytest.mark.parametrize(("pattern", "needed"), [
    (r"\baws_access_key_id\s*=", "aws_access_key_id"),
    (r"\bdatetime\.(?:now|utcnow)\(", "datetime."),
    (r"(?<![\w.])marshall\s*\(", "marshall"),
    (r"ab?c", "a"),  # `b` may be missing: only the run before it is certain
    (r"foo|barbaz", ""),  # a branch at the top: no text is in every match
    (r"(?i)Token", ""),  # case ignored: the text may be written otherwise
])
def test_required_text(pattern: str, needed: str) -> None:
    assert required_text(pattern) == needed
    if needed:
        sample = "x = foo; aws_access_key_id = 1; datetime.now(); marshall (y); abc"
        for m in re.finditer(pattern, sample):
            assert needed in m.group(0)


def test_markers_match_a_plain_per_line_search() -> None:
    code = ("import json\n"
            "body = json.loads(event['body'])  # parse\n"
            "# json.loads(commented)\n"
            "ts = datetime.now()\n"
            "x = unmarshall (item)\n"
            "y = marshall (item)\n")
    table = {"parse": [r"\bjson\.loads\("], "adds-fields": [r"\bdatetime\.(?:now|utcnow)\("],
             "marshall": [r"(?<![\w.])marshall\s*\("], "stream": [r"text/event-stream"]}
    found = {(e.line, e.kind, e.detail) for e in markers(code, table)}
    assert found == {(2, "parse", "json.loads"), (4, "adds-fields", "datetime.now"),
                     (6, "marshall", "marshall")}


def test_reachable_is_the_closure_whatever_the_order() -> None:
    uses = {"handler": ["a", "b"], "a": ["c"], "b": ["a"], "c": ["handler"], "d": ["a"]}
    assert reachable("handler", lambda n: uses.get(n, [])) == {"handler", "a", "b", "c"}
    assert reachable("d", lambda n: uses.get(n, [])) == {"d", "a", "c", "handler", "b"}
    assert reachable("x", lambda n: uses.get(n, [])) == {"x"}


@pytest.mark.parametrize(("code", "start", "expected"), [
    ("f(a, (b), [c])rest", 1, "(a, (b), [c])"),
    ("({ k: ')' , v: \"]\" })x", 0, "({ k: ')' , v: \"]\" })"),
    ("(`a ${b} )` + 'it\\'s)')z", 0, "(`a ${b} )` + 'it\\'s)')"),
    ("(a, ']", 0, "(a, ']"),  # never closed: the rest of the code
    ("(a ] b)", 0, "(a ] b)"),  # a stray closer of another kind is passed over
])
def test_balanced_skips_strings(code: str, start: int, expected: str) -> None:
    assert _balanced(code, start) == expected


def test_top_level_keys_split_on_top_level_commas_only() -> None:
    obj = "{ TableName: 'a,b', Item: { id: x, n: [1, 2] }, 'Quoted': `t,${u}`, short }"
    assert _top_level_keys(obj) == {"TableName": "'a,b'", "Item": "{ id: x, n: [1, 2] }",
                                    "Quoted": "`t,${u}`", "short": "short"}


def test_strip_js_comments_keeps_strings_and_lines() -> None:
    code = ("const a = 'http://x'; // note\n"
            "/* one\n two */ const b = \"/* no */\";\n"
            "const c = `// kept ${d}`; /* open to the end\n")
    out = strip_js_comments(code)
    assert out == ("const a = 'http://x'; \n"
                   "\n const b = \"/* no */\";\n"
                   "const c = `// kept ${d}`; \n")
    assert out.count("\n") == code.count("\n")


def test_narrow_js_blanks_unreached_functions_keeping_positions() -> None:
    code = ("function helper(x) {\n  return x + 1;\n}\n"
            "function other(y) {\n  return y;\n}\n"
            "export const handler = async (event) => {\n  return helper(event);\n};\n")
    out = narrow_js(code, "handler")
    assert len(out) == len(code) and out.count("\n") == code.count("\n")
    assert "helper(x)" in out and "other" not in out and "return y" not in out


PY_HANDLER = '''
import boto3
sqs = boto3.client("sqs")

def handler(event, context):
    sqs.send_message(QueueUrl="orders", MessageBody=event["body"])
'''


def test_a_source_read_twice_gives_the_same_report_with_its_own_path() -> None:
    first = inspect_source(PY_HANDLER, "python", path="a/app.py", function="handler")
    second = inspect_source(PY_HANDLER, "python", path="b/app.py", function="handler")
    assert (first.verdict, first.calls, first.observed, first.reasons) == \
        (second.verdict, second.calls, second.observed, second.reasons)
    assert (first.path, second.path) == ("a/app.py", "b/app.py")
    second.calls.clear()
    second.reasons.append("changed by a caller")
    third = inspect_source(PY_HANDLER, "python", function="handler")
    assert third.calls == first.calls and third.reasons == first.reasons
    other = inspect_source(PY_HANDLER, "python", function="missing")
    assert other.verdict == "unknown" and other.reasons != first.reasons


JS_HANDLER = '''
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
const client = new SQSClient({});
export const handler = async (event) => {
  for (const record of event.Records) {
    await client.send(new SendMessageCommand({ QueueUrl: "q", MessageBody: record.body }));
  }
};
'''


@pytest.mark.parametrize(("text", "language"), [(PY_HANDLER, "python"), (JS_HANDLER, "javascript")])
def test_inspection_leaves_no_cycles_for_the_collector(text: str, language: str) -> None:
    """The collector is paused while a source is read: what the reading builds must be
    freed by reference counting alone, or it would pile up until the next collection."""
    import gc

    from advisor.importers import handlers

    inspect_source(text, language, function="handler")  # patterns compiled, data loaded
    handlers._REPORTS.clear()
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        report = inspect_source(text, language, function="handler")
        handlers._REPORTS.clear()
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
    assert report.calls  # the source was read
