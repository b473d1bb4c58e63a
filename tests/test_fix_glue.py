"""Glue removal written into the user's templates: the function goes with what only it
used, the services connect natively, sending what the function sent (read from its
handler), with least-privilege IAM; what cannot be written safely says why."""

from __future__ import annotations

import shutil
from pathlib import Path

from advisor.fix import fix_source
from advisor.importers.cloudformation.template import load_template
from advisor.pipeline import Options

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "fix"
FN = ("    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n"
      "      Runtime: python3.12\n      CodeUri: src/\n      Timeout: 10\n"
      "      MemorySize: 256\n")


def _project(tmp_path: Path, template: str, handler: str, name: str = "app.py") -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / name).write_text(handler)
    path = tmp_path / "template.yaml"
    path.write_text(template)
    return path


def _one(fix, rule: str):  # type: ignore[no-untyped-def]
    found = [r for r in fix.rewrites if r.rule == rule]
    assert len(found) == 1, [r.to_dict() for r in fix.rewrites]
    return found[0]


QUEUE = ("  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy:\n"
         "        deadLetterTargetArn: !GetAtt JobsDLQ.Arn\n        maxReceiveCount: 5\n"
         "  JobsDLQ:\n    Type: AWS::SQS::Queue\n")
SEND = ("import json, os\nimport boto3\nsqs = boto3.client('sqs')\n\n"
        "def handler(event, context):\n    body = json.loads(event['body'])\n"
        "    sqs.send_message(QueueUrl=os.environ['Q'], MessageBody=body['message'])\n"
        "    return {'statusCode': 200, 'body': json.dumps('queued')}\n")


def test_api_events_move_into_the_definition_with_the_handlers_mapping(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n"
        "      Auth:\n        ApiKeyRequired: true\n" + QUEUE +
        "  Send:\n" + FN + "      Environment:\n        Variables:\n          Q: !Ref Jobs\n"
        "      Policies:\n        - SQSSendMessagePolicy:\n"
        "            QueueName: !GetAtt Jobs.QueueName\n"
        "      Events:\n        Post:\n          Type: Api\n          Properties:\n"
        "            Path: /send\n            Method: POST\n            RestApiId: !Ref Api\n"
        "Outputs:\n  SendArn:\n    Value: !GetAtt Send.Arn\n"), SEND)
    fix = fix_source(str(path), Options(estimates=False, select=("GLUE-APIGW-SQS",)),
                     verify=True)
    rw = _one(fix, "GLUE-APIGW-SQS")
    assert rw.status == "patched" and rw.verified, fix.checks
    data = load_template(fix.changed[0].new, str(path))
    res = data["Resources"]
    assert "Send" not in res and "Outputs" not in data
    api = res["Api"]["Properties"]
    assert api["MergeDefinitions"] is True and api["Auth"] == {"ApiKeyRequired": True}
    integ = api["DefinitionBody"]["paths"]["/send"]["post"]["x-amazon-apigateway-integration"]
    assert integ["requestTemplates"]["application/json"] == \
        "Action=SendMessage&MessageBody=$util.urlEncode($input.path('$.message'))"
    assert integ["responses"]["default"]["responseTemplates"] == {
        "application/json": '"queued"'}  # the handler's own answer, kept
    role = res["ApiToJobsRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"}
    stmt = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert stmt == {"Effect": "Allow", "Action": "sqs:SendMessage",
                    "Resource": {"Fn::GetAtt": ["Jobs", "Arn"]}}


def test_implicit_api_becomes_explicit_and_references_follow(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
        "      BillingMode: PAY_PER_REQUEST\n"
        "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
        "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
        "  Put:\n" + FN + "      Environment:\n        Variables:\n          T: !Ref Table\n"
        "      Policies:\n        - DynamoDBWritePolicy:\n            TableName: !Ref Table\n"
        "      Events:\n        Post:\n          Type: Api\n"
        "          Properties: {Path: /items, Method: post}\n"
        "  Other:\n" + FN.replace("app.handler", "other.handler") +
        "      Events:\n        Get:\n          Type: Api\n"
        "          Properties: {Path: /health, Method: get}\n"
        "Outputs:\n  Url:\n"
        "    Value: !Sub https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod\n"),
        "import json, os\nimport boto3\nddb = boto3.client('dynamodb')\n\n"
        "def handler(event, context):\n    item = json.loads(event['body'])\n"
        "    ddb.put_item(TableName=os.environ['T'], Item={'id': {'S': item['id']}})\n"
        "    return {'statusCode': 200, 'body': 'ok'}\n")
    (tmp_path / "src" / "other.py").write_text("def handler(e, c):\n    return {'statusCode': 200}\n")
    fix = fix_source(str(path), Options(estimates=False, select=("GLUE-APIGW-DYNAMODB",)),
                     verify=True)
    rw = _one(fix, "GLUE-APIGW-DYNAMODB")
    assert rw.status == "patched" and rw.verified, fix.checks
    assert any("URL" in n for n in rw.notes)
    data = load_template(fix.changed[0].new, str(path))
    res = data["Resources"]
    assert res["RestApi"]["Properties"]["StageName"] == "Prod"
    assert res["Other"]["Properties"]["Events"]["Get"]["Properties"]["RestApiId"] == {
        "Ref": "RestApi"}  # the other routes stay on the one API
    assert data["Outputs"]["Url"]["Value"] == {
        "Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod"}
    integ = res["RestApi"]["Properties"]["DefinitionBody"]["paths"]["/items"]["post"][
        "x-amazon-apigateway-integration"]
    assert integ["uri"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/PutItem"}
    assert integ["requestTemplates"]["application/json"] == {
        "Fn::Sub": '{"TableName":"${Table}","Item":{"id":{"S":$input.json(\'$.id\')}}}'}


def test_http_api_integration_gets_its_subtype(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + QUEUE +
        "  Http:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n"
        "      Name: h\n      ProtocolType: HTTP\n"
        "  Stage:\n    Type: AWS::ApiGatewayV2::Stage\n    Properties:\n"
        "      ApiId: !Ref Http\n      StageName: $default\n      AutoDeploy: true\n"
        "      DefaultRouteSettings: {ThrottlingBurstLimit: 10, ThrottlingRateLimit: 10}\n"
        "  Integ:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties:\n"
        "      ApiId: !Ref Http\n      IntegrationType: AWS_PROXY\n"
        "      IntegrationUri: !GetAtt Send.Arn\n      PayloadFormatVersion: '2.0'\n"
        "  Route:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n"
        "      ApiId: !Ref Http\n      RouteKey: POST /send\n"
        "      AuthorizationType: AWS_IAM\n"
        "      Target: !Sub integrations/${Integ}\n"
        "  Send:\n" + FN + "      Environment:\n        Variables:\n          Q: !Ref Jobs\n"
        "      Policies:\n        - SQSSendMessagePolicy:\n"
        "            QueueName: !GetAtt Jobs.QueueName\n"
        "  Permission:\n    Type: AWS::Lambda::Permission\n    Properties:\n"
        "      Action: lambda:InvokeFunction\n      FunctionName: !Ref Send\n"
        "      Principal: apigateway.amazonaws.com\n"), SEND)
    result = fix_source(str(path), Options(apply="all", estimates=False,
                                           select=("GLUE-APIGW-SQS",)), verify=True)
    rw = _one(result, "GLUE-APIGW-SQS")
    assert rw.status == "patched" and rw.verified, result.checks
    data = load_template(result.changed[0].new, str(path))
    integ = data["Resources"]["Integ"]["Properties"]
    assert integ["IntegrationSubtype"] == "SQS-SendMessage"
    assert integ["RequestParameters"] == {"MessageBody": "$request.body.message",
                                          "QueueUrl": {"Ref": "Jobs"}}
    assert integ["PayloadFormatVersion"] == "1.0"
    assert "IntegrationUri" not in integ
    assert "Send" not in data["Resources"] and "Permission" not in data["Resources"]
    assert any("HTTP API answers with the service's response" in n for n in rw.notes)


def test_computed_messages_keep_their_function(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + QUEUE +
        "  Bus:\n    Type: AWS::Events::EventBus\n    Properties:\n      Name: orders\n"
        "  Total:\n" + FN + "      Environment:\n        Variables:\n          Q: !Ref Jobs\n"
        "      Policies:\n        - SQSSendMessagePolicy:\n"
        "            QueueName: !GetAtt Jobs.QueueName\n"
        "      Events:\n        Rule:\n          Type: EventBridgeRule\n"
        "          Properties:\n            EventBusName: !Ref Bus\n"
        "            Pattern: {source: [orders]}\n"), (
        "import json, os\nimport boto3\nsqs = boto3.client('sqs')\n\n"
        "def handler(event, context):\n"
        "    total = sum(i['price'] for i in event['detail']['items'])\n"
        "    sqs.send_message(QueueUrl=os.environ['Q'], MessageBody=json.dumps({'t': total}))\n"))
    fix = fix_source(str(path), Options(apply="all", estimates=False,
                                        select=("GLUE-EVENTBRIDGE-SQS",)))
    rw = _one(fix, "GLUE-EVENTBRIDGE-SQS")
    assert rw.status == "not patched" and "computed by the handler" in rw.reason
    assert not fix.changed


def test_rule_target_sends_what_the_function_sent(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + QUEUE +
        "  Relay:\n" + FN + "      Environment:\n        Variables:\n          Q: !Ref Jobs\n"
        "      Policies:\n        - SQSSendMessagePolicy:\n"
        "            QueueName: !GetAtt Jobs.QueueName\n"
        "      Events:\n        Rule:\n          Type: EventBridgeRule\n"
        "          Properties:\n            Pattern: {source: [orders]}\n"), (
        "import json, os\nimport boto3\nsqs = boto3.client('sqs')\n\n"
        "def handler(event, context):\n"
        "    sqs.send_message(QueueUrl=os.environ['Q'], MessageBody=json.dumps(event['detail']))\n"))
    fix = fix_source(str(path), Options(apply="all", estimates=False,
                                        select=("GLUE-EVENTBRIDGE-SQS",)), verify=True)
    rw = _one(fix, "GLUE-EVENTBRIDGE-SQS")
    assert rw.status == "patched" and rw.verified, fix.checks
    res = load_template(fix.changed[0].new, str(path))["Resources"]
    (target,) = res["RelayRuleRule"]["Properties"]["Targets"]
    assert target["InputPath"] == "$.detail"


def test_pipe_sample(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "glue-pipe", tmp_path / "p")
    fix = fix_source(str(tmp_path / "p" / "template.yaml"), verify=True)
    rw = _one(fix, "GLUE-STREAM-PIPES")
    assert rw.status == "patched" and rw.verified, fix.checks
    res = load_template(fix.changed[0].new, "t.yaml")["Resources"]
    pipe = res["RelayPipe"]["Properties"]
    assert pipe["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"] == \
        '{"body": {"status": ["NEW"]}}'  # the function's filter, kept
    assert pipe["TargetParameters"] == {"InputTemplate": "<$.body>"}
    stmts = res["RelayPipeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Resource"] for s in stmts] == [{"Fn::GetAtt": ["Orders", "Arn"]},
                                               {"Ref": "Notifications"}]
    # a member the pipe cannot send keeps the function
    handler = tmp_path / "p" / "src" / "relay.py"
    handler.write_text(handler.read_text().replace(
        'Message=record["body"])', 'Message=record["body"], Subject="new order")'))
    # the engine no longer applies it by default (it changes what subscribers see)...
    default = fix_source(str(tmp_path / "p" / "template.yaml"))
    assert not [r for r in default.rewrites if r.rule == "GLUE-STREAM-PIPES"]
    # ...and chosen anyway, the patch refuses it with the reason
    fix = fix_source(str(tmp_path / "p" / "template.yaml"), Options(apply="all"))
    rw = _one(fix, "GLUE-STREAM-PIPES")
    assert rw.status == "not patched" and "Subject" in rw.reason


def test_step_functions_task_edited_in_the_definition_file(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "glue-sfn", tmp_path / "s")
    fix = fix_source(str(tmp_path / "s" / "template.yaml"), verify=True)
    rw = _one(fix, "GLUE-SFN-OPTIMIZED")
    assert rw.status == "patched" and rw.verified, fix.checks
    by_name = {Path(f.path).name: f for f in fix.changed}
    asl = by_name["flow.asl.json"]
    import json

    state = json.loads(asl.new)["States"]["Save"]
    assert state["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert state["Parameters"]["Item"]["id"] == {"S.$": "$.id"}
    assert state["Parameters"]["TableName"] == "${Orders}"
    assert state["ResultPath"] is None  # the handler returned its input
    assert '"Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],' in asl.new
    template = by_name["template.yaml"].new
    assert "Orders: !Ref Orders" in template and "LambdaInvokePolicy" not in template


def test_s3_notifies_the_queue_without_a_cycle(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Uploads:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      BucketName: !Sub uploads-${AWS::AccountId}\n" + QUEUE +
        "  Forward:\n" + FN + "      Environment:\n        Variables:\n          Q: !Ref Jobs\n"
        "      Policies:\n        - SQSSendMessagePolicy:\n"
        "            QueueName: !GetAtt Jobs.QueueName\n"
        "      Events:\n        Up:\n          Type: S3\n          Properties:\n"
        "            Bucket: !Ref Uploads\n            Events: s3:ObjectCreated:*\n"), (
        "import json, os\nimport boto3\nsqs = boto3.client('sqs')\n\n"
        "def handler(event, context):\n"
        "    sqs.send_message(QueueUrl=os.environ['Q'], MessageBody=json.dumps(event))\n"))
    fix = fix_source(str(path), verify=True)
    rw = _one(fix, "GLUE-S3-SQS")
    assert rw.status == "patched" and rw.verified, fix.checks
    res = load_template(fix.changed[0].new, str(path))["Resources"]
    bucket = res["Uploads"]
    assert bucket["DependsOn"] == "JobsS3Policy"
    assert bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"] == [
        {"Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["Jobs", "Arn"]}}]
    cond = res["JobsS3Policy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]
    assert cond["ArnLike"] == {"aws:SourceArn": {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::uploads-${AWS::AccountId}"}}


def test_terraform_api_glue_sample(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "terraform-glue", tmp_path / "tf")
    fix = fix_source(str(tmp_path / "tf"), verify=True)
    rw = _one(fix, "GLUE-APIGW-SQS")
    assert rw.status == "patched" and rw.verified, fix.checks
    new = fix.changed[0].new
    for gone in ('"aws_lambda_function" "enqueue"', '"aws_iam_role" "enqueue"',
                 '"aws_lambda_permission" "api"', 'data "archive_file" "enqueue"'):
        assert gone not in new
    assert '  type                    = "AWS"\n' in new  # the aligned line keeps its column
    assert '"application/json" = "Action=SendMessage&MessageBody=$util.urlEncode(' \
        "$input.json('$'))\"" in new
    assert 'status_code = "202"' in new and '"application/json" = "{\\"queued\\": true}"' in new


def test_terraform_pipe(tmp_path: Path) -> None:
    (tmp_path / "relay.py").write_text(
        "import os\nimport boto3\nsns = boto3.client('sns')\n\n"
        "def handler(event, context):\n    for r in event['Records']:\n"
        "        sns.publish(TopicArn=os.environ['T'], Message=r['body'])\n")
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "orders" {\n  name = "orders"\n'
        '  redrive_policy = jsonencode({\n    deadLetterTargetArn = aws_sqs_queue.dlq.arn\n'
        '    maxReceiveCount     = 5\n  })\n}\n\n'
        'resource "aws_sqs_queue" "dlq" {\n  name = "dlq"\n}\n\n'
        'resource "aws_sns_topic" "notify" {\n  name = "notify"\n}\n\n'
        'resource "aws_iam_role" "relay" {\n  name               = "relay"\n'
        '  assume_role_policy = "{}"\n}\n\n'
        'resource "aws_lambda_function" "relay" {\n  function_name = "relay"\n'
        '  role          = aws_iam_role.relay.arn\n  runtime       = "python3.12"\n'
        '  handler       = "relay.handler"\n  filename      = "relay.zip"\n'
        '  timeout       = 10\n  memory_size   = 256\n  environment {\n'
        '    variables = {\n      T = aws_sns_topic.notify.arn\n    }\n  }\n}\n\n'
        'resource "aws_lambda_event_source_mapping" "relay" {\n'
        '  event_source_arn = aws_sqs_queue.orders.arn\n'
        '  function_name    = aws_lambda_function.relay.arn\n  batch_size       = 10\n}\n')
    fix = fix_source(str(tmp_path), verify=True)
    rw = _one(fix, "GLUE-STREAM-PIPES")
    assert rw.status == "patched" and rw.verified, fix.checks
    new = fix.changed[0].new
    assert 'resource "aws_lambda_function"' not in new
    assert ('resource "aws_pipes_pipe" "relay_pipe" {\n  name     = "relay-pipe"\n'
            '  role_arn = aws_iam_role.relay_pipe_role.arn\n'
            '  source   = aws_sqs_queue.orders.arn\n  target   = aws_sns_topic.notify.arn\n') in new
    assert 'input_template = "<$.body>"' in new


def test_destination_needs_asynchronous_callers(tmp_path: Path) -> None:
    path = _project(tmp_path, (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + QUEUE +
        "  Work:\n" + FN + "      Environment:\n        Variables:\n          Q: !Ref Jobs\n"
        "      Policies:\n        - SQSSendMessagePolicy:\n"
        "            QueueName: !GetAtt Jobs.QueueName\n"
        "      Events:\n        Get:\n          Type: Api\n"
        "          Properties: {Path: /w, Method: get}\n"), (
        "import os, json\nimport boto3\nsqs = boto3.client('sqs')\n\n"
        "def handler(event, context):\n    total = len(event['body'] or '') * 2\n"
        "    sqs.send_message(QueueUrl=os.environ['Q'], MessageBody=str(total))\n"
        "    return {'statusCode': 200}\n"))
    fix = fix_source(str(path), Options(apply="all", estimates=False,
                                        select=("GLUE-LAMBDA-DESTINATION",)))
    for rw in fix.rewrites:
        assert rw.status == "not patched" and "asynchronous" in rw.reason


def test_explicit_method_and_inline_handler(tmp_path: Path) -> None:
    """A CloudFormation API method calling a function whose code is inline: the method
    becomes an SNS Publish integration built from the inline handler's call."""
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Topic:\n    Type: AWS::SNS::Topic\n"
        "  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: a\n"
        "  Res:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n"
        "      RestApiId: !Ref Api\n      ParentId: !GetAtt Api.RootResourceId\n"
        "      PathPart: notify\n"
        "  Post:\n    Type: AWS::ApiGateway::Method\n    Properties:\n"
        "      RestApiId: !Ref Api\n      ResourceId: !Ref Res\n      HttpMethod: POST\n"
        "      AuthorizationType: AWS_IAM\n"
        "      Integration:\n        Type: AWS_PROXY\n        IntegrationHttpMethod: POST\n"
        "        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
        "functions/${Publish.Arn}/invocations\n"
        "  Publish:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: index.handler\n      Timeout: 5\n"
        "      MemorySize: 128\n      Role: !GetAtt PublishRole.Arn\n"
        "      Environment:\n        Variables:\n          TOPIC: !Ref Topic\n"
        "      Code:\n        ZipFile: |\n          import os\n          import boto3\n"
        "          sns = boto3.client('sns')\n"
        "          def handler(event, context):\n"
        "              sns.publish(TopicArn=os.environ['TOPIC'], Message=event['body'])\n"
        "              return {'statusCode': 200, 'body': 'sent'}\n"
        "  PublishRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {}\n"
        "      Policies:\n        - PolicyName: publish\n          PolicyDocument:\n"
        "            Statement:\n              - Effect: Allow\n"
        "                Action: sns:Publish\n                Resource: !Ref Topic\n"
        "  Permission:\n    Type: AWS::Lambda::Permission\n    Properties:\n"
        "      Action: lambda:InvokeFunction\n      FunctionName: !Ref Publish\n"
        "      Principal: apigateway.amazonaws.com\n"
        "  Deploy:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: Post\n"
        "    Properties:\n      RestApiId: !Ref Api\n      StageName: prod\n")
    fix = fix_source(str(path), Options(apply="all", estimates=False,
                                        select=("GLUE-APIGW-SNS",)), verify=True)
    rw = _one(fix, "GLUE-APIGW-SNS")
    assert rw.status == "patched" and rw.verified, fix.checks
    res = load_template(fix.changed[0].new, str(path))["Resources"]
    for gone in ("Publish", "PublishRole", "Permission"):
        assert gone not in res
    integ = res["Post"]["Properties"]["Integration"]
    assert integ["Type"] == "AWS" and integ["RequestTemplates"]["application/json"] == {
        "Fn::Sub": "Action=Publish&TopicArn=$util.urlEncode('${Topic}')"
                   "&Message=$util.urlEncode($input.body)"}
    assert integ["IntegrationResponses"] == [
        {"StatusCode": "200", "ResponseTemplates": {"application/json": "sent"}}]
    assert res["Post"]["Properties"]["AuthorizationType"] == "AWS_IAM"  # auth kept
