import os

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    dynamodb.put_item(
        TableName=os.environ["TABLE"],
        Item={"id": {"S": event["id"]}, "total": {"N": str(event["total"])}},
    )
    return event
