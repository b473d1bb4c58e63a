import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    order = json.loads(event["body"])
    if not order.get("items"):
        return {"statusCode": 400, "body": "an order needs items"}
    order["orderId"] = str(uuid.uuid4())
    order["total"] = sum(i["price"] * i["quantity"] for i in order["items"])
    table.put_item(Item=order)
    return {"statusCode": 201, "body": json.dumps({"orderId": order["orderId"]})}
