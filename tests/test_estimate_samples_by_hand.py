"""The bundled samples' monthly cost before and after `analyze`, re-derived by hand from
the AWS pricing pages (us-east-1 list prices, read 2026-11-27) and the documented
defaults, line by line, independently of the estimator's code. docs/estimates.md shows
the same derivations as a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.pipeline import analyze_source

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
GIB = 1024**3
MB = 1024**2
MONTH_S = 730 * 3600  # a month is 730 hours
# prices per unit (https://aws.amazon.com/<service>/pricing/)
LAMBDA_REQ, X86, ARM = 0.20 / 1e6, 0.0000166667, 0.0000133334
REST, HTTP = 3.50 / 1e6, 1.00 / 1e6
LOGS, DTO = 0.50, 0.09  # per GB
SQS, SNS, EVENTS, API_DEST = 0.40 / 1e6, 0.50 / 1e6, 1.00 / 1e6, 0.20 / 1e6
STANDARD_TRANSITION, EXPRESS_REQ, EXPRESS_GBH = 0.025 / 1000, 1.00 / 1e6, 0.06
WRU, DDB_GB, PITR_GB = 0.625 / 1e6, 0.25, 0.20
S3_PUT, S3_GB = 0.005 / 1000, 0.023
FIREHOSE_GB = 0.029
SHARD_HOUR, PUT_UNIT = 0.015, 0.014 / 1e6
KMS_KEY, KMS_REQ = 1.00, 0.03 / 1e4
MAU, XRAY = 0.015, 5.00 / 1e6
LOG_LINE = 350  # bytes Lambda logs per invocation (START, END, REPORT)


def function(invocations: float, seconds: float, memory_gb: float, rate: float = X86) -> float:
    """Requests + GB-seconds + the platform log lines of one Lambda function."""
    return (invocations * LAMBDA_REQ + invocations * seconds * memory_gb * rate
            + invocations * LOG_LINE / GIB * LOGS)


def sqs_kms(producers: int, consumers: int) -> float:
    """The SQS guide's formula: month / 300 s data key reuse x (2P + C) KMS requests."""
    return MONTH_S / 300 * (2 * producers + consumers) * KMS_REQ


def xray(requests: float) -> float:
    """Default sampling: the first request each second and 5% of the rest."""
    return (min(requests, MONTH_S) + 0.05 * max(0.0, requests - MONTH_S)) * XRAY


def clickstream(after: bool) -> float:
    r, size = 50e6, 2048
    flushes = max(MONTH_S * 1000 / 300_000, r * size / (5 * MB))  # 5 MiB buffer fills first
    total = (r * REST + r * size / GIB * DTO                       # ingest: requests, responses
             + r * 5120 / GIB * FIREHOSE_GB                        # delivery: 5 KB steps
             + flushes * S3_PUT + r * size / GIB * S3_GB           # lake: objects, one month kept
             + KMS_KEY + flushes * KMS_REQ)                        # lake: SSE-KMS, a key assumed
    return total if after else total + function(r, 0.120, 1.0)    # forward, removed by the rewrite


def sfn_lambda_dynamodb(after: bool) -> float:
    r, size = 5e6, 2048
    total = (r * HTTP + r * size / GIB * DTO
             + r * EXPRESS_REQ + r * 0.4 / 3600 * (64 * MB / GIB) * EXPRESS_GBH
             + r * 2 * WRU + 1 * DDB_GB + 1 * PITR_GB               # 2 KB items: 2 WRU; 1 GB assumed
             + KMS_KEY + MONTH_S / 300 * 1 * KMS_REQ)               # one caller of the table
    return total if after else total + function(r, 0.050, 0.25)


def sns_lambda_sqs(after: bool) -> float:
    r = 20e6
    batches = r / 10  # the SQS event source mapping's default batch of 10
    return (r * SNS + function(r, 0.040, 0.25)
            + r * SQS + batches * 2 * SQS                           # send; receive + delete
            + function(batches, 0.300, 0.5)
            + r * WRU + DDB_GB)


def standard_workflow(after: bool) -> float:
    r = 200e6
    return (r * HTTP + r * 1024 / GIB * DTO
            + r * 6 * STANDARD_TRANSITION
            + function(r, 0.600, 1.5, ARM)
            + r * S3_PUT + r * 1024 / GIB * S3_GB)


def clean_design(after: bool) -> float:
    r, size = 3e6, 2048
    stream_invocations = r  # ~1.14 records/s over 4 polls/s: one record per batch
    email = r / 10          # notify_queue -> send_email [batch = 10]
    return (20_000 * MAU
            + r * HTTP + r * size / GIB * DTO + r * 400 / GIB * LOGS + xray(r)
            + function(r, 0.090, 0.5, ARM)
            + r * 2 * WRU + DDB_GB + PITR_GB + KMS_KEY + MONTH_S / 300 * 2 * KMS_REQ
            + function(stream_invocations, 0.040, 0.25, ARM) + xray(stream_invocations)
            + r * SQS + email * 2 * SQS + KMS_KEY + sqs_kms(1, 1)
            + function(email, 0.150, 0.25, ARM) + xray(email)
            + KMS_KEY + KMS_KEY)                                    # the two idle DLQs' keys


def kinesis_no_failure_handling(after: bool) -> float:
    r = 300e6
    per_batch = r / MONTH_S / 4  # records per shard per one-second poll
    invocations = r / per_batch
    return (4 * 730 * SHARD_HOUR + r * PUT_UNIT
            + function(invocations, 0.080, 0.5)
            + r * WRU + DDB_GB)


def open_api(after: bool) -> float:
    r, size = 10e6, 3072
    return (r * REST + r * size / GIB * DTO + function(r, 0.200, 1.0)
            + r * 3 * WRU + DDB_GB)


def s3_lambda_sqs(after: bool) -> float:
    r, size = 2e6, 4096
    return (r * S3_PUT + r * size / GIB * S3_GB
            + function(r, 0.030, 0.125)
            + r * SQS + r * 2 * SQS)                                # ECS workers take one at a time


def eventbridge_router(after: bool) -> float:
    r, size = 8e6, 2048
    total = r * EVENTS + r * 12 * STANDARD_TRANSITION + r * size / GIB * DTO
    if after:
        return total + r * API_DEST                                 # rule targets, no functions
    return total + function(r, 0.060, 0.125) + function(r, 0.250, 0.125)


BY_HAND = {
    "clickstream.arch": clickstream,
    "sfn-lambda-dynamodb.arch": sfn_lambda_dynamodb,
    "sns-lambda-sqs.arch": sns_lambda_sqs,
    "standard-workflow-high-volume.arch": standard_workflow,
    "clean-design.arch": clean_design,
    "kinesis-no-failure-handling.arch": kinesis_no_failure_handling,
    "open-api.arch": open_api,
    "s3-lambda-sqs.arch": s3_lambda_sqs,
    "eventbridge-router.arch": eventbridge_router,
}


def test_every_sample_is_derived():
    assert set(BY_HAND) == {p.name for p in SAMPLES.glob("*.arch")}


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_sample_before_and_after_match_the_hand_derivation(name):
    result = analyze_source(str(SAMPLES / name))
    assert round(result.before_estimate.monthly_usd, 2) == round(BY_HAND[name](False), 2)
    assert round(result.after_estimate.monthly_usd, 2) == round(BY_HAND[name](True), 2)
