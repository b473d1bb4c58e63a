"""Sample handler for sam-api-glue.yaml: takes the request and forwards it to Firehose."""

import json
import os

import boto3

firehose = boto3.client("firehose")


def handler(event, context):
    body = event.get("body") or "{}"
    firehose.put_record(
        DeliveryStreamName=os.environ["STREAM_NAME"],
        Record={"Data": (body + "\n").encode("utf-8")},
    )
    return {"statusCode": 202, "body": json.dumps({"accepted": True})}
