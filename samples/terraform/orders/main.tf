# Order intake: an HTTP API writes straight to SQS; a worker drains the queue into
# DynamoDB; a workflow fulfils orders; notifications fan out through SNS.
# Hand-written sample for the Terraform importer (see docs/terraform.md).

locals {
  table_name = "orders"
}

module "intake" {
  source     = "./modules/queue"
  name       = "order-intake"
  visibility = 60
}

module "shipping" {
  source     = "./modules/queue"
  name       = "shipping"
  visibility = 30
}

resource "aws_apigatewayv2_api" "orders" {
  name          = "orders"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "enqueue" {
  api_id              = aws_apigatewayv2_api.orders.id
  integration_type    = "AWS_PROXY"
  integration_subtype = "SQS-SendMessage"
  credentials_arn     = aws_iam_role.api.arn
  request_parameters = {
    QueueUrl    = module.intake.queue_url
    MessageBody = "$request.body"
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.orders.id
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]
  name             = "cognito"
  jwt_configuration {
    audience = ["orders"]
    issuer   = "https://cognito-idp.us-east-1.amazonaws.com/pool"
  }
}

resource "aws_apigatewayv2_route" "post" {
  api_id             = aws_apigatewayv2_api.orders.id
  route_key          = "POST /orders"
  target             = "integrations/${aws_apigatewayv2_integration.enqueue.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.orders.id
  name        = "$default"
  auto_deploy = true
  default_route_settings {
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }
}

resource "aws_iam_role" "api" {
  name               = "orders-api"
  assume_role_policy = data.aws_iam_policy_document.api_assume.json
}

data "aws_iam_policy_document" "api_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_lambda_function" "worker" {
  # checkov:skip=CKV_AWS_117:no VPC needed for this worker
  # advisor: ignore PERF-LAMBDA-MEMORY
  function_name = "order-worker"
  role          = aws_iam_role.worker.arn
  handler       = "worker.handler"
  runtime       = "nodejs20.x"
  architectures = ["arm64"]
  memory_size   = 512
  timeout       = 30
  filename      = "worker.zip"

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      TABLE = local.table_name
    }
  }
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn                   = module.intake.queue_arn
  function_name                      = aws_lambda_function.worker.arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 5
}

resource "aws_iam_role" "worker" {
  name = "order-worker"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "worker" {
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:*"]
      Resource = "*"
    }]
  })
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/lambda/${aws_lambda_function.worker.function_name}"
  retention_in_days = 14
}

resource "aws_dynamodb_table" "orders" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"

  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_pipes_pipe" "fulfil" {
  name     = "orders-to-fulfilment"
  role_arn = aws_iam_role.api.arn
  source   = aws_dynamodb_table.orders.stream_arn
  target   = aws_sfn_state_machine.fulfil.arn

  source_parameters {
    dynamodb_stream_parameters {
      starting_position = "LATEST"
      batch_size        = 1
    }
  }
}

resource "aws_sfn_state_machine" "fulfil" {
  name       = "fulfil-order"
  role_arn   = aws_iam_role.api.arn
  type       = "EXPRESS"
  definition = templatefile("${path.module}/workflow/fulfil.asl.json", {
    shipping_queue = module.shipping.queue_url
    notify_topic   = aws_sns_topic.notifications.arn
    charge_fn      = aws_lambda_function.charge.arn
  })
}

resource "aws_lambda_function" "charge" {
  function_name = "charge-card"
  role          = aws_iam_role.worker.arn
  handler       = "charge.handler"
  runtime       = "python3.12"
  filename      = "charge.zip"
}

resource "aws_sns_topic" "notifications" {
  name              = "order-notifications"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sqs_queue" "email" {
  name = "order-emails"
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn     = aws_sns_topic.notifications.arn
  protocol      = "sqs"
  endpoint      = aws_sqs_queue.email.arn
  filter_policy = jsonencode({ kind = ["confirmed"] })
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "nightly-report"
  schedule_expression = "cron(0 2 * * ? *)"
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = aws_sfn_state_machine.fulfil.arn

  dead_letter_config {
    arn = module.shipping.dlq_arn
  }

  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
}
