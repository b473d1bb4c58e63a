# Items service: an HTTP API authenticates callers with Cognito-issued JWTs and proxies
# every route to one function, which stores items in DynamoDB and announces changes on a
# custom event bus. GET /health is left open, which makes the API's auth `none`.

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
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "artifact_bucket" {
  type    = string
  default = "my-artifacts"
}

# ---------------------------------------------------------------- identity
resource "aws_cognito_user_pool" "user_pool" {
  name                     = "items-users"
  auto_verified_attributes = ["email"]
}

resource "aws_cognito_user_pool_client" "web" {
  name            = "items-web"
  user_pool_id    = aws_cognito_user_pool.user_pool.id
  generate_secret = false
}

# ---------------------------------------------------------------- API
resource "aws_apigatewayv2_api" "items_api" {
  name          = "items"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_authorizer" "cognito_jwt" {
  api_id           = aws_apigatewayv2_api.items_api.id
  name             = "CognitoJwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]
  jwt_configuration {
    issuer   = "https://${aws_cognito_user_pool.user_pool.endpoint}"
    audience = [aws_cognito_user_pool_client.web.id]
  }
}

resource "aws_apigatewayv2_integration" "items" {
  api_id                 = aws_apigatewayv2_api.items_api.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.items_function.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "get_item" {
  api_id             = aws_apigatewayv2_api.items_api.id
  route_key          = "GET /items/{id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.cognito_jwt.id
  target             = "integrations/${aws_apigatewayv2_integration.items.id}"
}

resource "aws_apigatewayv2_route" "put_item" {
  api_id             = aws_apigatewayv2_api.items_api.id
  route_key          = "POST /items"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.cognito_jwt.id
  target             = "integrations/${aws_apigatewayv2_integration.items.id}"
}

resource "aws_apigatewayv2_route" "health" {
  api_id             = aws_apigatewayv2_api.items_api.id
  route_key          = "GET /health"
  authorization_type = "NONE"
  target             = "integrations/${aws_apigatewayv2_integration.items.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.items_api.id
  name        = "$default"
  auto_deploy = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.items_api_access_logs.arn
    format          = jsonencode({ requestId = "$context.requestId", routeKey = "$context.routeKey", status = "$context.status" })
  }
  default_route_settings {
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }
}

resource "aws_cloudwatch_log_group" "items_api_access_logs" {
  name              = "/aws/apigateway/items"
  retention_in_days = 90
}

resource "aws_lambda_permission" "api_invoke" {
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.items_function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.items_api.execution_arn}/*"
}

# ---------------------------------------------------------------- function
resource "aws_iam_role" "items_function" {
  name = "items-function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "items_basic" {
  role       = aws_iam_role.items_function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy_attachment" "items_xray" {
  role       = aws_iam_role.items_function.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_iam_policy_document" "items" {
  statement {
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [aws_dynamodb_table.items_table.arn]
  }
  statement {
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.items_bus.arn]
  }
}

resource "aws_iam_role_policy" "items" {
  name   = "items"
  role   = aws_iam_role.items_function.id
  policy = data.aws_iam_policy_document.items.json
}

resource "aws_lambda_function" "items_function" {
  function_name                  = "items"
  role                           = aws_iam_role.items_function.arn
  s3_bucket                      = var.artifact_bucket
  s3_key                         = "items.zip"
  handler                        = "index.handler"
  runtime                        = "nodejs22.x"
  architectures                  = ["arm64"]
  memory_size                    = 1024
  timeout                        = 10
  reserved_concurrent_executions = 50
  tracing_config {
    mode = "Active"
  }
  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.items_table.name
      BUS_NAME   = aws_cloudwatch_event_bus.items_bus.name
    }
  }
}

# ---------------------------------------------------------------- data and events
resource "aws_dynamodb_table" "items_table" {
  name         = "items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_cloudwatch_event_bus" "items_bus" {
  name = "items"
}
