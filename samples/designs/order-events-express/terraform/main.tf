# Orders placed on a custom event bus start an Express workflow: a rule delivers each
# event (retried for an hour, then to a dead-letter queue); the workflow scores the order
# with a function, writes it to DynamoDB and queues risky orders for review, all through
# Step Functions' optimized integrations.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "artifact_bucket" {
  type    = string
  default = "my-artifacts"
}

# ---------------------------------------------------------------- bus and rule
resource "aws_cloudwatch_event_bus" "orders_bus" {
  name = "orders"
}

resource "aws_cloudwatch_event_rule" "record_order_placed" {
  name           = "record-order-placed"
  event_bus_name = aws_cloudwatch_event_bus.orders_bus.name
  event_pattern = jsonencode({
    source      = ["shop.orders"]
    detail-type = ["OrderPlaced"]
  })
}

resource "aws_cloudwatch_event_target" "record_order" {
  rule           = aws_cloudwatch_event_rule.record_order_placed.name
  event_bus_name = aws_cloudwatch_event_bus.orders_bus.name
  target_id      = "RecordOrder"
  arn            = aws_sfn_state_machine.record_order.arn
  role_arn       = aws_iam_role.rule_start.arn
  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
  retry_policy {
    maximum_retry_attempts       = 4
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_iam_role" "rule_start" {
  name = "record-order-rule"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "rule_start" {
  name = "start"
  role = aws_iam_role.rule_start.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "states:StartExecution", Resource = aws_sfn_state_machine.record_order.arn }]
  })
}

resource "aws_sqs_queue" "events_dlq" {
  name = "order-events-dlq"
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.events_dlq.arn
    }]
  })
}

# ---------------------------------------------------------------- workflow
resource "aws_iam_role" "record_order" {
  name = "record-order"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "record_order" {
  name = "record-order"
  role = aws_iam_role.record_order.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "lambda:InvokeFunction", Resource = aws_lambda_function.score_order.arn },
      { Effect = "Allow", Action = "dynamodb:PutItem", Resource = aws_dynamodb_table.orders_table.arn },
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.review_queue.arn },
      {
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
          "xray:GetSamplingRules", "xray:GetSamplingTargets",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_sfn_state_machine" "record_order" {
  name     = "record-order"
  type     = "EXPRESS"
  role_arn = aws_iam_role.record_order.arn
  tracing_configuration {
    enabled = true
  }
  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.record_order_logs.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }
  definition = jsonencode({
    Comment = "Record an order placed on the bus"
    StartAt = "ScoreOrder"
    States = {
      ScoreOrder = {
        Type           = "Task"
        Resource       = "arn:aws:states:::lambda:invoke"
        Parameters     = { FunctionName = aws_lambda_function.score_order.arn, "Payload.$" = "$.detail" }
        ResultSelector = { "score.$" = "$.Payload.score" }
        ResultPath     = "$.risk"
        Retry = [{
          ErrorEquals     = ["Lambda.ServiceException", "Lambda.TooManyRequestsException"]
          IntervalSeconds = 1
          MaxAttempts     = 3
          BackoffRate     = 2
        }]
        Next = "SaveOrder"
      }
      SaveOrder = {
        Type     = "Task"
        Resource = "arn:aws:states:::dynamodb:putItem"
        Parameters = {
          TableName = aws_dynamodb_table.orders_table.name
          Item = {
            orderId = { "S.$" = "$.detail.orderId" }
            score   = { "N.$" = "States.Format('{}', $.risk.score)" }
          }
        }
        ResultPath = null
        Next       = "IsRisky"
      }
      IsRisky = {
        Type    = "Choice"
        Choices = [{ Variable = "$.risk.score", NumericGreaterThan = 80, Next = "QueueForReview" }]
        Default = "Done"
      }
      QueueForReview = {
        Type       = "Task"
        Resource   = "arn:aws:states:::sqs:sendMessage"
        Parameters = { QueueUrl = aws_sqs_queue.review_queue.url, "MessageBody.$" = "$" }
        End        = true
      }
      Done = { Type = "Succeed" }
    }
  })
}

resource "aws_cloudwatch_log_group" "record_order_logs" {
  name              = "/aws/vendedlogs/states/record-order"
  retention_in_days = 30
}

# ---------------------------------------------------------------- what it calls
resource "aws_iam_role" "score_order" {
  name = "score-order"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "score_order_basic" {
  role       = aws_iam_role.score_order.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "score_order" {
  function_name = "score-order"
  role          = aws_iam_role.score_order.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "score.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 5
}

resource "aws_dynamodb_table" "orders_table" {
  name         = "orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "orderId"
  attribute {
    name = "orderId"
    type = "S"
  }
}

resource "aws_sqs_queue" "review_queue" {
  name                       = "order-review"
  visibility_timeout_seconds = 300
}
