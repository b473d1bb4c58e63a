# Order events fan out through one SNS topic: billing and shipping each get their own
# queue (subscription filter policies pick their event types; undeliverable messages go to
# a subscription dead-letter queue), and an analytics function is subscribed directly,
# with its own retries, dead-letter queue and on-failure destination.

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

# ---------------------------------------------------------------- topic and queues
resource "aws_sns_topic" "order_events" {
  name              = "order-events"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sqs_queue" "delivery_dlq" {
  name = "order-events-delivery-dlq"
}

resource "aws_sqs_queue" "billing_queue" {
  name                       = "billing"
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.billing_dlq.arn
    maxReceiveCount     = 3
  })
}

resource "aws_sqs_queue" "billing_dlq" {
  name = "billing-dlq"
}

resource "aws_sqs_queue" "shipping_queue" {
  name                       = "shipping"
  visibility_timeout_seconds = 120
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.shipping_dlq.arn
    maxReceiveCount     = 3
  })
}

resource "aws_sqs_queue" "shipping_dlq" {
  name = "shipping-dlq"
}

resource "aws_sns_topic_subscription" "billing" {
  topic_arn            = aws_sns_topic.order_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.billing_queue.arn
  raw_message_delivery = true
  filter_policy        = jsonencode({ eventType = ["OrderPlaced", "OrderCancelled"] })
  redrive_policy       = jsonencode({ deadLetterTargetArn = aws_sqs_queue.delivery_dlq.arn })
}

resource "aws_sns_topic_subscription" "shipping" {
  topic_arn            = aws_sns_topic.order_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.shipping_queue.arn
  raw_message_delivery = true
  filter_policy        = jsonencode({ eventType = ["OrderPaid"] })
  redrive_policy       = jsonencode({ deadLetterTargetArn = aws_sqs_queue.delivery_dlq.arn })
}

data "aws_iam_policy_document" "topic_to_queue" {
  for_each = {
    billing  = aws_sqs_queue.billing_queue.arn
    shipping = aws_sqs_queue.shipping_queue.arn
    delivery = aws_sqs_queue.delivery_dlq.arn
  }
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [each.value]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.order_events.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "billing" {
  queue_url = aws_sqs_queue.billing_queue.id
  policy    = data.aws_iam_policy_document.topic_to_queue["billing"].json
}

resource "aws_sqs_queue_policy" "shipping" {
  queue_url = aws_sqs_queue.shipping_queue.id
  policy    = data.aws_iam_policy_document.topic_to_queue["shipping"].json
}

resource "aws_sqs_queue_policy" "delivery_dlq" {
  queue_url = aws_sqs_queue.delivery_dlq.id
  policy    = data.aws_iam_policy_document.topic_to_queue["delivery"].json
}

# ---------------------------------------------------------------- queue workers
resource "aws_iam_role" "worker" {
  name = "order-fanout-worker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "worker_sqs" {
  role       = aws_iam_role.worker.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
}

resource "aws_lambda_function" "billing_worker" {
  function_name = "billing-worker"
  role          = aws_iam_role.worker.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "billing.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 10
}

resource "aws_lambda_event_source_mapping" "billing" {
  event_source_arn = aws_sqs_queue.billing_queue.arn
  function_name    = aws_lambda_function.billing_worker.arn
  batch_size       = 5
}

resource "aws_lambda_function" "shipping_worker" {
  function_name = "shipping-worker"
  role          = aws_iam_role.worker.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "shipping.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 20
}

resource "aws_lambda_event_source_mapping" "shipping" {
  event_source_arn                   = aws_sqs_queue.shipping_queue.arn
  function_name                      = aws_lambda_function.shipping_worker.arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 20
}

# ---------------------------------------------------------------- analytics subscriber
resource "aws_iam_role" "analytics" {
  name = "order-analytics"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "analytics_basic" {
  role       = aws_iam_role.analytics.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "analytics_failures" {
  name = "failures"
  role = aws_iam_role.analytics.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.analytics_dlq.arn },
      { Effect = "Allow", Action = "sns:Publish", Resource = aws_sns_topic.analytics_failures.arn },
    ]
  })
}

resource "aws_lambda_function" "analytics" {
  function_name = "order-analytics"
  role          = aws_iam_role.analytics.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "analytics.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 512
  timeout       = 30
  dead_letter_config {
    target_arn = aws_sqs_queue.analytics_dlq.arn
  }
}

resource "aws_lambda_function_event_invoke_config" "analytics" {
  function_name                = aws_lambda_function.analytics.function_name
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 3600
  destination_config {
    on_failure {
      destination = aws_sns_topic.analytics_failures.arn
    }
  }
}

resource "aws_sns_topic_subscription" "analytics" {
  topic_arn     = aws_sns_topic.order_events.arn
  protocol      = "lambda"
  endpoint      = aws_lambda_function.analytics.arn
  filter_policy = jsonencode({ eventType = ["OrderPlaced", "OrderPaid"] })
}

resource "aws_lambda_permission" "analytics_from_topic" {
  statement_id  = "AllowOrderEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.analytics.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.order_events.arn
}

resource "aws_sqs_queue" "analytics_dlq" {
  name = "order-analytics-dlq"
}

resource "aws_sns_topic" "analytics_failures" {
  name = "order-analytics-failures"
}
