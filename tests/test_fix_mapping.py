"""What a glue function sends, read from its handler (Python and JavaScript, never run),
and the native requests written from it (mapping templates, parameter mappings, task
parameters, pipe templates, rule target inputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.emit import Sub
from advisor.fix.mapping import Concat, Const, Env, Event, Json, Num, Str, read_call, read_response
from advisor.fix.requests import (
    Env2Value,
    Target,
    env_values,
    eventbridge_input,
    http_params,
    marshal_args,
    pipe_template,
    sfn_parameters,
    vtl_form,
    vtl_json,
)


def _py(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "app.py"
    path.write_text("import json, os\nimport boto3\nclient = boto3.client('x')\n" + body)
    return path


def test_python_call_fields_env_and_conversions(tmp_path: Path) -> None:
    path = _py(tmp_path, (
        "def handler(event, context):\n"
        "    order = json.loads(event['body'])\n"
        "    client.put_item(TableName=os.environ['TABLE'],\n"
        "                    Item={'id': {'S': order['id']}, 'n': {'N': str(order['n'])},\n"
        "                          'who': {'S': f\"{event['pathParameters']['user']}!\"}})\n"
        "    return {'statusCode': 201, 'body': json.dumps({'ok': True})}\n"))
    call = read_call(path, "dynamodb.put_item", "app.handler")
    assert call.args["TableName"] == Env("TABLE")
    item = call.args["Item"]
    assert item["id"] == {"S": Event("doc", ("id",))}
    assert item["n"] == {"N": Str(Event("doc", ("n",)))}
    assert item["who"] == {"S": Concat((Event("path", ("user",)), Const("!")))}
    response = read_response(path, "app.handler")
    assert response is not None and response.status == 201 and response.body == '{"ok": true}'


def test_python_computed_values_and_two_shapes_are_refused(tmp_path: Path) -> None:
    path = _py(tmp_path, (
        "def handler(event, context):\n"
        "    total = sum(i['price'] for i in event['items'])\n"
        "    client.send_message(QueueUrl='q', MessageBody=json.dumps({'total': total}))\n"))
    with pytest.raises(Unpatchable, match="computed by the handler"):
        read_call(path, "sqs.send_message")
    path = _py(tmp_path, (
        "def handler(event, context):\n"
        "    if event.get('a'):\n"
        "        client.send_message(QueueUrl='q', MessageBody='a')\n"
        "    else:\n"
        "        client.send_message(QueueUrl='q', MessageBody='b')\n"))
    with pytest.raises(Unpatchable, match="different arguments"):
        read_call(path, "sqs.send_message")


def test_python_record_loop_binds_each_record(tmp_path: Path) -> None:
    path = _py(tmp_path, (
        "def handler(event, context):\n"
        "    for r in event['Records']:\n"
        "        client.publish(TopicArn=os.getenv('T'), Message=r['body'])\n"))
    call = read_call(path, "sns.publish")
    assert call.args == {"TopicArn": Env("T"), "Message": Event("record", ("body",))}


def test_javascript_v2_and_v3_calls(tmp_path: Path) -> None:
    js = tmp_path / "app.js"
    js.write_text(
        "const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');\n"
        "const sqs = new SQSClient({});\n"
        "exports.handler = async (event) => {\n"
        "  const body = JSON.parse(event.body); // the order\n"
        "  await sqs.send(new SendMessageCommand({\n"
        "    QueueUrl: process.env.QUEUE_URL,\n"
        "    MessageBody: JSON.stringify(body),\n"
        "    MessageGroupId: `orders-${body.region}`,\n"
        "  }));\n"
        "  return { statusCode: 200 };\n"
        "};\n")
    call = read_call(js, "sqs.SendMessageCommand", "app.handler")
    assert call.args == {"QueueUrl": Env("QUEUE_URL"), "MessageBody": Json(Event("doc")),
                         "MessageGroupId": Concat((Const("orders-"),
                                                   Event("doc", ("region",))))}
    js.write_text(
        "const AWS = require('aws-sdk');\nconst doc = new AWS.DynamoDB.DocumentClient();\n"
        "exports.handler = async (event) => {\n"
        "  const params = { TableName: process.env.T, Item: { id: event.id } };\n"
        "  await doc.put(params).promise();\n};\n")
    call = read_call(js, "dynamodb.put", "app.handler")
    assert call.document and call.args["Item"] == {"id": Event("doc", ("id",))}
    js.write_text("exports.handler = async (e) => { await eb.putEvents({Entries: "
                  "[{Time: new Date}]}).promise(); };\n")
    with pytest.raises(Unpatchable, match="creates at run time"):
        read_call(js, "eventbridge.putEvents", "app.handler")


@pytest.mark.parametrize("helper", [
    "const forward = (record) => sqs.send(new SendMessageCommand({ QueueUrl:"
    " process.env.Q, MessageBody: record.body }))\n",
    "async function forward(record) {\n  await sqs.send(new SendMessageCommand({"
    " QueueUrl: process.env.Q, MessageBody: record.body }));\n}\n"])
def test_javascript_a_helper_mapped_over_the_records_binds_each_record(
        tmp_path: Path, helper: str) -> None:
    """`event.Records.map(forward)`: the helper's parameter is one record (as a `for
    (const r of event.Records)` loop's); an expression-bodied arrow is a helper too."""
    js = tmp_path / "app.js"
    head = ("const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');\n"
            "const sqs = new SQSClient({});\n")
    js.write_text(head + helper + "exports.handler = async (event) => {\n"
                  "  await Promise.all(event.Records.map(forward));\n};\n")
    call = read_call(js, "sqs.SendMessageCommand", "app.handler")
    assert call.args == {"QueueUrl": Env("Q"), "MessageBody": Event("record", ("body",))}
    js.write_text(head + helper + "exports.handler = async (event) => {\n"
                  "  await Promise.all(event.Records.map(forward));\n"
                  "  await forward({ body: 'done' });\n};\n")
    with pytest.raises(Unpatchable, match="for each item of an array and elsewhere"):
        read_call(js, "sqs.SendMessageCommand", "app.handler")


@pytest.mark.parametrize("loop", [
    "await Promise.all(event.Records.map((r) => forward(r)));",
    "await Promise.all(event.Records.map(async (r) => { await forward(r); }));",
    "event.Records.forEach(r => forward(r));",
    "for (const r of event.Records) { await forward(r); }"])
def test_javascript_an_arrow_over_the_records_passes_each_record(tmp_path: Path,
                                                                 loop: str) -> None:
    """An arrow's parameter in `event.Records.map((r) => ...)` is one record, as a `for
    (const r of event.Records)` loop variable is: a helper called with it reads one."""
    js = tmp_path / "app.js"
    js.write_text("const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');\n"
                  "const sqs = new SQSClient({});\n"
                  "async function forward(record) {\n  await sqs.send(new SendMessageCommand({"
                  " QueueUrl: process.env.Q, MessageBody: record.body }));\n}\n"
                  f"exports.handler = async (event) => {{\n  {loop}\n}};\n")
    call = read_call(js, "sqs.SendMessageCommand", "app.handler")
    assert call.args == {"QueueUrl": Env("Q"), "MessageBody": Event("record", ("body",))}


@pytest.mark.parametrize("loop", [
    "await Promise.all(resp.Records.map((r) => forward(r)));",
    "for (const r of resp.Records) { await forward(r); }"])
def test_javascript_items_of_records_the_handler_fetched_are_not_the_events(
        tmp_path: Path, loop: str) -> None:
    # a Kinesis GetRecords answer has Records too: its items are no record of the event
    js = tmp_path / "app.js"
    js.write_text("const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');\n"
                  "const sqs = new SQSClient({});\n"
                  "async function forward(record) {\n  await sqs.send(new SendMessageCommand({"
                  " QueueUrl: process.env.Q, MessageBody: record.body }));\n}\n"
                  "exports.handler = async (event) => {\n"
                  "  const resp = await kinesis.getRecords({ ShardIterator: event.it });\n"
                  f"  {loop}\n}};\n")
    with pytest.raises(Unpatchable, match="resp's records, which are not the event's"):
        read_call(js, "sqs.SendMessageCommand", "app.handler")


def test_vtl_templates_escape_and_reference() -> None:
    env = env_values({"Q": {"Ref": "Jobs"}, "NAME": "fixed"})
    def field(name: str) -> Event:  # a field of the parsed request body
        return Event("doc", (name,), request=True)

    form = vtl_form("SendMessage", {"MessageBody": field("message")}, env)
    assert form == "Action=SendMessage&MessageBody=$util.urlEncode($input.path('$.message'))"
    body = vtl_json({"TableName": Target("Table"), "Item": {
        "id": {"S": field("id")}, "n": {"N": Str(field("n"))},
        "c": {"S": Const("x")}}}, env)
    assert isinstance(body, Sub)
    assert body.text == ('{"TableName":"${Table}","Item":{"id":{"S":$input.json(\'$.id\')},'
                         '"n":{"N":"$util.escapeJavaScript($input.path(\'$.n\'))"},'
                         '"c":{"S":"x"}}}')
    blob = vtl_json({"Data": Event("body")}, env, ("Data",))
    assert blob == '{"Data":"$util.base64Encode($input.body)"}'
    assert vtl_json({"TableName": Target("aws_dynamodb_table.t", "name")}, env, hcl=True) == \
        '{"TableName":"${aws_dynamodb_table.t.name}"}'
    with pytest.raises(Unpatchable, match="read as code"):
        vtl_json({"x": Const("$5")}, env)


def test_http_parameters_step_functions_pipes_and_rules() -> None:
    env = {"BUS": Env2Value(sub="Bus")}
    params = http_params({"MessageBody": Event("body"), "DelaySeconds": Const(5)},
                         ["QueueUrl", "MessageBody", "DelaySeconds"], env)
    assert params == {"MessageBody": "$request.body", "DelaySeconds": "5"}
    assert http_params({"MessageBody": Event("doc", ("m",), request=True)},
                       ["MessageBody"], env) == {"MessageBody": "$request.body.m"}
    with pytest.raises(Unpatchable, match="no parameter"):
        http_params({"Subject": Const("x")}, ["QueueUrl"], env)
    task = sfn_parameters({"Item": {"id": {"S": Event("doc", ("id",))},
                                    "n": {"N": Str(Event("doc", ("n",)))}},
                           "Detail": Json(Event("doc"))}, env)
    assert task == {"Item": {"id": {"S.$": "$.id"}, "n": {"N.$": "States.Format('{}', $.n)"}},
                    "Detail.$": "States.JsonToString($)"}
    assert pipe_template(Event("parsed", ("order", "id")), "sqs", env) == "<$.body.order.id>"
    assert pipe_template(Json({"id": Event("parsed", ("id",)), "k": Const("v")}), "sqs", env) \
        == '{"id": <$.body.id>, "k": "v"}'
    with pytest.raises(Unpatchable, match="a part of the event itself"):
        pipe_template(Event("doc", ("order", "id")), "sqs", env)  # event["order"]["id"]
    assert eventbridge_input(Json(Event("event"))) == {}
    assert eventbridge_input(Json(Event("doc", ("detail",)))) == {"InputPath": "$.detail"}
    shaped = eventbridge_input(Json({"id": Event("doc", ("detail", "id")), "k": Const(1)}))
    assert shaped == {"InputTransformer": {"InputPathsMap": {"id": "$.detail.id"},
                                           "InputTemplate": '{"id": <id>, "k": 1}'}}
    with pytest.raises(Unpatchable):
        eventbridge_input(Num(Event("doc", ("n",))))


def test_document_items_are_typed_by_the_table() -> None:
    args = marshal_args({"Item": {"id": Event("doc", ("id",)), "n": Const(3)}}, {"id": "S"})
    assert args == {"Item": {"id": {"S": Event("doc", ("id",))}, "n": {"N": Const("3")}}}
    with pytest.raises(Unpatchable, match="no declared type"):
        marshal_args({"Item": {"other": Event("doc", ("x",))}}, {"id": "S"})


@pytest.mark.parametrize("sent", [
    pytest.param(Event("doc", ("message",)), id="event-field"),
    pytest.param(Str(Event("doc", ("requestContext", "requestId"))), id="converted"),
    pytest.param(Json(Event("event")), id="whole-event"),
])
def test_a_field_of_the_proxy_event_itself_is_no_request_field(sent: object) -> None:
    """On an API Gateway proxy event `event["message"]` is not the body's `message` (the
    body is the text `event["body"]`): a mapping reading `$.message` of the body would
    send something else, so no request mapping is written (payload.request_part)."""
    env: dict[str, Env2Value] = {}
    with pytest.raises(Unpatchable, match="proxy event"):
        vtl_form("SendMessage", {"MessageBody": sent}, env)
    with pytest.raises(Unpatchable, match="proxy event"):
        vtl_json({"Detail": sent}, env)
    with pytest.raises(Unpatchable, match="proxy event"):
        http_params({"MessageBody": sent}, ["MessageBody"], env)
