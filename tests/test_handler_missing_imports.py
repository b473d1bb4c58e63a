"""A handler that imports a local module not beside it (a partial copy of a repository, a
build step that writes it): what it calls there is not read, so a verdict of "only
forwards" cannot be confirmed (a real workshop function that checked and decremented a
token through `./ddb` was judged glue from its one EventBridge call)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.importers.handlers import inspect_file

JS = """const { EventBridgeClient, PutEventsCommand } = require("@aws-sdk/client-eventbridge");
const client = new EventBridgeClient({});
%s
exports.handler = async (event) => {
  %s
  const entry = { Detail: event.body, DetailType: "t", Source: "s" };
  await client.send(new PutEventsCommand({ Entries: [entry] }));
};
"""
PY = """import boto3
%s
sqs = boto3.client("sqs")

def handler(event, context):
    %s
    sqs.send_message(QueueUrl="q", MessageBody=event["body"])
"""


def test_forwarding_alone_is_glue(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text(JS % ("", ""))
    assert inspect_file(tmp_path / "app.js").verdict == "glue"


@pytest.mark.parametrize(("name", "text"), [
    ("app.js", JS % ('const { decrementToken } = require("./ddb");', "await decrementToken(event);")),
    ("app.mjs", JS % ('import { check } from "../lib/checks";', "check(event);")),
    ("app.py", PY % ("from .tokens import decrement", "decrement(event)")),
])
def test_a_missing_local_module_leaves_the_verdict_unknown(tmp_path: Path, name: str,
                                                           text: str) -> None:
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / name
    path.write_text(text)
    report = inspect_file(path)
    assert report.verdict == "unknown"
    assert any("not found beside it" in r for r in report.reasons)


def test_a_local_module_that_is_there_is_read(tmp_path: Path) -> None:
    # `./lib` is a folder with an index file: found, read, and the function still forwards
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "index.js").write_text("exports.tag = (e) => e;\n")
    (tmp_path / "app.js").write_text(JS % ('const { tag } = require("./lib");', "tag(event);"))
    report = inspect_file(tmp_path / "app.js")
    assert report.verdict == "glue"
    assert not any("not found beside it" in r for r in report.reasons)
