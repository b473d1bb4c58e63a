"""Where a target taken from a list comes from (python.origin): what `append`, `extend`
and `insert` put into the list counts, anywhere in the module, and what an SDK call
returns is a service's data (never `constant` or `env`). A broadcast to connection ids
gathered from the event's records is a target read from the event (`dynamic-target`);
ids gathered from a table scan are not fixed either; a list of literals stays constant.
Every handler is written for the test."""

from __future__ import annotations

import pytest

from advisor.importers.handlers import inspect_source

BROADCAST = '''import json, os
import boto3
api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["URL"])


def handler(event, context):
    ids = []
    for r in event["Records"]:
        ids.PUT
    for c in ids:
        api.post_to_connection(ConnectionId=c, Data=b"hi")
'''


@pytest.mark.parametrize("put", ['append(json.loads(r["body"])["connectionId"])',
                                 'extend(json.loads(r["body"])["connections"])',
                                 'insert(0, r["body"])'])
def test_ids_gathered_from_the_event_are_a_target_from_the_event(put: str) -> None:
    report = inspect_source(BROADCAST.replace("PUT", put), "python")
    (call,) = report.calls
    assert (call.target_param, call.target_origin) == ("ConnectionId", "event")
    assert report.observations("dynamic-target")[0].detail == \
        "ConnectionId of apigatewaymanagementapi.post_to_connection is read from the event"


def test_ids_gathered_in_a_helper_count_too() -> None:
    code = BROADCAST.replace('    for r in event["Records"]:\n        ids.PUT\n',
                             '    gather(ids, event)\n') + (
        '\n\ndef gather(ids, ev):\n    for r in ev["Records"]:\n'
        '        ids.append(r["body"])\n')
    assert inspect_source(code, "python").calls[0].target_origin == "event"


def test_a_list_of_literals_stays_constant() -> None:
    report = inspect_source(BROADCAST.replace("PUT", 'append("admin")'), "python")
    assert report.calls[0].target_origin == "constant"
    assert not report.observations("dynamic-target")


def test_ids_read_from_a_table_are_not_fixed() -> None:
    code = BROADCAST.replace('ids = []\n    for r in event["Records"]:\n        ids.PUT\n',
                             'ids = []\n    for page in ddb.get_paginator("scan").paginate('
                             'TableName=os.environ["T"]):\n'
                             '        ids.extend(i["id"]["S"] for i in page["Items"])\n'
                             ).replace('api = ', 'ddb = boto3.client("dynamodb")\napi = ')
    report = inspect_source(code, "python")
    post = next(c for c in report.calls if c.method == "post_to_connection")
    assert post.target_origin not in ("constant", "env") and post.target_literal is None
    assert report.verdict == "logic"
