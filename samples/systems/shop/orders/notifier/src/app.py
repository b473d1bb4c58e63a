import json
import logging

log = logging.getLogger()


def handler(event, context):
    for record in event["Records"]:
        message = json.loads(record["Sns"]["Message"])
        if message.get("severity") == "high":
            log.error("order alert: %s", message)
        else:
            log.info("order notice: %s", message)
    return {"handled": len(event["Records"])}
