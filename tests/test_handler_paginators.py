"""A paginator makes the API call it pages (boto3 `client.get_paginator("scan")` then
`.paginate(...)`; SDK v3 `paginateScan({ client }, {...})`): a handler that scans a table
of connections and posts to each one makes two calls, not one forwarding call (a
broadcast read only through its paginator had been judged glue). Handlers written for
the test, after a common WebSocket broadcast shape."""

from __future__ import annotations

import pytest

from advisor.importers.handlers import inspect_source

PY = '''import json, os
import boto3

ddb = boto3.client("dynamodb")
api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["WS"])


def handler(event, context):
    message = json.loads(event["body"])["message"]
    ids = []
PAGES
    for item in ids:
        api.post_to_connection(ConnectionId=item["id"]["S"], Data=message)
    return {}
'''
PY_PAGES = {
    "variable": '    pages = ddb.get_paginator("scan")\n'
                '    for page in pages.paginate(TableName=os.environ["T"]):\n'
                '        ids.extend(page["Items"])\n',
    "inline": '    for page in ddb.get_paginator("scan").paginate(TableName=os.environ["T"]):\n'
              '        ids.extend(page["Items"])\n',
}

JS = '''import { DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import { ApiGatewayManagementApiClient, PostToConnectionCommand }
  from "@aws-sdk/client-apigatewaymanagementapi";
const ddb = new DynamoDBClient({});
const api = new ApiGatewayManagementApiClient({ endpoint: process.env.WS });

export const handler = async (event) => {
  const ids = [];
PAGES
  await Promise.all(ids.map((id) =>
    api.send(new PostToConnectionCommand({ ConnectionId: id, Data: event.body }))));
  return { statusCode: 200 };
};
'''
JS_PAGES = ('  for await (const page of paginateScan({ client: ddb }, { TableName: process.env.T })) {\n'
            '    ids.push(...page.Items.map((i) => i.id.S));\n  }\n')


@pytest.mark.parametrize("pages", list(PY_PAGES))
def test_python_a_paginated_scan_is_a_call(pages: str) -> None:
    report = inspect_source(PY.replace("PAGES\n", PY_PAGES[pages]), "python")
    assert {c.text() for c in report.calls} == {"dynamodb.scan",
                                                "apigatewaymanagementapi.post_to_connection"}
    scan = next(c for c in report.calls if c.method == "scan")
    assert scan.target_param == "TableName" and scan.target_origin == "env"
    assert report.verdict == "logic" and any("several SDK calls" in r for r in report.reasons)


def test_javascript_a_paginated_scan_is_a_call() -> None:
    report = inspect_source(JS.replace("PAGES\n", JS_PAGES), "javascript")
    assert {c.text() for c in report.calls} == {"dynamodb.Scan",
                                                "apigatewaymanagementapi.PostToConnection"}
    scan = next(c for c in report.calls if c.method == "Scan")
    assert scan.target_param == "TableName" and scan.target_origin == "env"
    assert report.verdict == "logic" and any("several SDK calls" in r for r in report.reasons)


def test_without_the_scan_the_post_alone_is_one_call() -> None:
    """The twin without the paginated read: its one call is what the verdict weighs."""
    py = inspect_source(PY.replace("PAGES\n", "    ids = event['ids']\n"), "python")
    js = inspect_source(JS.replace("PAGES\n", "  ids.push(...event.ids);\n"), "javascript")
    assert [c.method for c in py.calls] == ["post_to_connection"]
    assert [c.method for c in js.calls] == ["PostToConnection"]
