"""The edge labels that carry meaning, one spelling for every importer.

The engine and the estimates read these words (a failure path gets no steady-state
traffic, an authorizer call is a side call of the API, a filtered delivery passes only
part of the events), so the CloudFormation and Terraform importers must write them alike.
Other labels only say where an edge was read from (`env TABLE_NAME`, a Step Functions
state name, the S3 event types) and may differ between formats.
"""

from __future__ import annotations

from advisor import vocabulary

ON_FAILURE = "on failure"  # a Lambda DLQ, an on-failure destination (invoke config, stream)
ON_SUCCESS = "on success"  # a Lambda on-success destination
AUTHORIZER = "authorizer"  # an API calling its Lambda authorizer
ENRICHMENT = "enrichment"  # a pipe calling its enrichment
FILTERED = "filtered"  # a delivery behind a filter (subscription filter policy, filter criteria)
TASK_TOKEN = vocabulary.TASK_TOKEN  # code answering a workflow's task token (engine reads it)
CALLBACK_ANSWERS = frozenset({"states:sendtasksuccess", "states:sendtaskfailure",
                              "states:sendtaskheartbeat"})

MEANINGFUL = frozenset({ON_FAILURE, ON_SUCCESS, AUTHORIZER, ENRICHMENT, FILTERED, TASK_TOKEN})
