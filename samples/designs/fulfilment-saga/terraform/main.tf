# Order fulfilment as a Standard workflow, started by an HTTP API (IAM-signed callers, a
# StepFunctions-StartExecution integration). It reserves each item with a function (Map),
# then in parallel charges the payment in a child Express workflow (.sync) and hands the
# parcel to the warehouse through a queue (.waitForTaskToken: the warehouse worker calls
# back). Then it records the status and notifies the customer. The workflow definition is
# the same file the SAM template uses (../statemachine/fulfil_order.asl.json).

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

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# ---------------------------------------------------------------- API
resource "aws_apigatewayv2_api" "fulfilment_api" {
  name          = "fulfilment"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "start" {
  api_id              = aws_apigatewayv2_api.fulfilment_api.id
  integration_type    = "AWS_PROXY"
  integration_subtype = "StepFunctions-StartExecution"
  credentials_arn     = aws_iam_role.api_start.arn
  request_parameters = {
    StateMachineArn = aws_sfn_state_machine.fulfil_order.arn
    Input           = "$request.body"
  }
}

resource "aws_apigatewayv2_route" "post_order" {
  api_id             = aws_apigatewayv2_api.fulfilment_api.id
  route_key          = "POST /orders"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.start.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.fulfilment_api.id
  name        = "$default"
  auto_deploy = true
}

resource "aws_iam_role" "api_start" {
  name = "fulfilment-api-start"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "api_start" {
  name = "start"
  role = aws_iam_role.api_start.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "states:StartExecution", Resource = aws_sfn_state_machine.fulfil_order.arn }]
  })
}

# ---------------------------------------------------------------- workflows
resource "aws_iam_role" "fulfil_order" {
  name = "fulfil-order"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "fulfil_order" {
  name = "fulfil-order"
  role = aws_iam_role.fulfil_order.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "lambda:InvokeFunction", Resource = aws_lambda_function.reserve_stock.arn },
      { Effect = "Allow", Action = "states:StartExecution", Resource = aws_sfn_state_machine.charge_payment.arn },
      {
        Effect   = "Allow"
        Action   = ["states:DescribeExecution", "states:StopExecution"]
        Resource = "arn:aws:states:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:execution:${aws_sfn_state_machine.charge_payment.name}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        Resource = "arn:aws:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
      },
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.warehouse_queue.arn },
      { Effect = "Allow", Action = "dynamodb:UpdateItem", Resource = aws_dynamodb_table.orders_table.arn },
      { Effect = "Allow", Action = "sns:Publish", Resource = aws_sns_topic.customer_notices.arn },
      {
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_sfn_state_machine" "fulfil_order" {
  name     = "fulfil-order"
  type     = "STANDARD"
  role_arn = aws_iam_role.fulfil_order.arn
  definition = templatefile("${path.module}/../statemachine/fulfil_order.asl.json", {
    ReserveStockArn    = aws_lambda_function.reserve_stock.arn
    ChargePaymentArn   = aws_sfn_state_machine.charge_payment.arn
    WarehouseQueueUrl  = aws_sqs_queue.warehouse_queue.url
    OrdersTableName    = aws_dynamodb_table.orders_table.name
    CustomerNoticesArn = aws_sns_topic.customer_notices.arn
  })
  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.fulfil_order_logs.arn}:*"
    include_execution_data = false
    level                  = "ERROR"
  }
}

resource "aws_cloudwatch_log_group" "fulfil_order_logs" {
  name              = "/aws/vendedlogs/states/fulfil-order"
  retention_in_days = 90
}

resource "aws_iam_role" "charge_payment" {
  name = "charge-payment"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "charge_payment" {
  name = "charge"
  role = aws_iam_role.charge_payment.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "lambda:InvokeFunction", Resource = aws_lambda_function.charge_card.arn }]
  })
}

resource "aws_sfn_state_machine" "charge_payment" {
  name     = "charge-payment"
  type     = "EXPRESS"
  role_arn = aws_iam_role.charge_payment.arn
  definition = jsonencode({
    StartAt = "Charge"
    States = {
      Charge = { Type = "Task", Resource = aws_lambda_function.charge_card.arn, TimeoutSeconds = 20, End = true }
    }
  })
}

# ---------------------------------------------------------------- functions
resource "aws_iam_role" "function" {
  name = "fulfilment-function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "function_basic" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "reserve_stock" {
  function_name = "reserve-stock"
  role          = aws_iam_role.function.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "reserve.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 10
}

resource "aws_lambda_function" "charge_card" {
  function_name = "charge-card"
  role          = aws_iam_role.function.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "charge.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 15
}

# ---------------------------------------------------------------- warehouse callback
resource "aws_sqs_queue" "warehouse_queue" {
  name                       = "warehouse"
  visibility_timeout_seconds = 900
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.warehouse_dlq.arn
    maxReceiveCount     = 4
  })
}

resource "aws_sqs_queue" "warehouse_dlq" {
  name = "warehouse-dlq"
}

resource "aws_iam_role" "warehouse_worker" {
  name = "warehouse-worker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "warehouse_sqs" {
  role       = aws_iam_role.warehouse_worker.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
}

resource "aws_iam_role_policy" "warehouse_callback" {
  name = "callback"
  role = aws_iam_role.warehouse_worker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]
      Resource = aws_sfn_state_machine.fulfil_order.arn
    }]
  })
}

resource "aws_lambda_function" "warehouse_worker" {
  function_name = "warehouse-worker"
  role          = aws_iam_role.warehouse_worker.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "warehouse.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 512
  timeout       = 60
}

resource "aws_lambda_event_source_mapping" "warehouse" {
  event_source_arn = aws_sqs_queue.warehouse_queue.arn
  function_name    = aws_lambda_function.warehouse_worker.arn
  batch_size       = 1
}

# ---------------------------------------------------------------- record and notify
resource "aws_dynamodb_table" "orders_table" {
  name         = "orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "orderId"
  attribute {
    name = "orderId"
    type = "S"
  }
}

resource "aws_sns_topic" "customer_notices" {
  name              = "customer-notices"
  kms_master_key_id = "alias/aws/sns"
}
