"""Handlers of the orders sample (samples/fix/sam-orders.yaml): the template's `CodeUri`
points here, so a build finds them and archadvisor reads them (never runs them)."""

import base64
import json
import os
import uuid
from decimal import Decimal

import boto3

sqs = boto3.client("sqs")
QUEUE_URL = os.environ["QUEUE_URL"]


def _total(items: list[dict]) -> Decimal:
    return sum((Decimal(str(i["price"])) * int(i["quantity"]) for i in items), Decimal(0))


def take(event, context):
    """POST /orders: validate, price and queue the order."""
    order = json.loads(event["body"] or "{}")
    if not order.get("items"):
        return {"statusCode": 400, "body": json.dumps({"error": "an order needs items"})}
    order["id"] = str(uuid.uuid4())
    order["total"] = str(_total(order["items"]))
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(order))
    return {"statusCode": 202, "body": json.dumps({"id": order["id"]})}


def process(event, context):
    """Every queued order of the batch: reserve stock (here: count the items)."""
    reserved = 0
    for record in event["Records"]:
        order = json.loads(record["body"])
        reserved += sum(int(i["quantity"]) for i in order["items"])
    print(json.dumps({"orders": len(event["Records"]), "items_reserved": reserved}))


def notify(event, context):
    """An order-placed notification for each message of the topic."""
    for record in event["Records"]:
        order = json.loads(record["Sns"]["Message"])
        print(f"order {order['id']} placed: total {order['total']}")


def audit(event, context):
    """Kinesis records (and the nightly schedule, which sends no records)."""
    for record in event.get("Records", []):
        entry = json.loads(base64.b64decode(record["kinesis"]["data"]))
        print(json.dumps({"audit": entry.get("id"), "at": record["kinesis"]["sequenceNumber"]}))
