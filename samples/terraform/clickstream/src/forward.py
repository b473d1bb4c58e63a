"""Forwards each API request body to Firehose unchanged (a glue function)."""

import os

import boto3

firehose = boto3.client("firehose")


def handler(event, context):
    firehose.put_record(
        DeliveryStreamName=os.environ["STREAM_NAME"],
        Record={"Data": event["body"].encode()},
    )
    return {"statusCode": 202}
