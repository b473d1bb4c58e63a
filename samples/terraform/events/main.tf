# Telemetry: a REST API puts records on Kinesis (service integration); a consumer with
# failure handling reads the stream; uploads to a public bucket trigger a thumbnailer;
# a scheduled job polls an export until it finishes.
# Hand-written sample for the Terraform importer (see docs/terraform.md).

variable "region" {
  type    = string
  default = "eu-west-1"
}

resource "aws_api_gateway_rest_api" "telemetry" {
  name = "telemetry"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "records" {
  rest_api_id = aws_api_gateway_rest_api.telemetry.id
  parent_id   = aws_api_gateway_rest_api.telemetry.root_resource_id
  path_part   = "records"
}

resource "aws_api_gateway_authorizer" "users" {
  name          = "users"
  rest_api_id   = aws_api_gateway_rest_api.telemetry.id
  type          = "COGNITO_USER_POOLS"
  provider_arns = [aws_cognito_user_pool.users.arn]
}

resource "aws_api_gateway_request_validator" "body" {
  name                  = "body"
  rest_api_id           = aws_api_gateway_rest_api.telemetry.id
  validate_request_body = true
}

resource "aws_api_gateway_method" "put" {
  rest_api_id          = aws_api_gateway_rest_api.telemetry.id
  resource_id          = aws_api_gateway_resource.records.id
  http_method          = "PUT"
  authorization        = "COGNITO_USER_POOLS"
  authorizer_id        = aws_api_gateway_authorizer.users.id
  request_validator_id = aws_api_gateway_request_validator.body.id
}

resource "aws_api_gateway_integration" "put" {
  rest_api_id             = aws_api_gateway_rest_api.telemetry.id
  resource_id             = aws_api_gateway_resource.records.id
  http_method             = aws_api_gateway_method.put.http_method
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:aws:apigateway:${var.region}:kinesis:action/PutRecord"
  request_templates = {
    "application/json" = <<-EOT
      {
        "StreamName": "${aws_kinesis_stream.telemetry.name}",
        "Data": "$util.base64Encode($input.body)",
        "PartitionKey": "$context.requestId"
      }
    EOT
  }
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.telemetry.id
  stage_name  = "prod"
  method_path = "*/*"
  settings {
    throttling_burst_limit = 200
    throttling_rate_limit  = 100
  }
}

resource "aws_cognito_user_pool" "users" {
  name = "telemetry-users"
}

resource "aws_kinesis_stream" "telemetry" {
  name            = "telemetry"
  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis"
  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}

resource "aws_lambda_function" "consumer" {
  function_name = "telemetry-consumer"
  role          = aws_iam_role.consumer.arn
  handler       = "consumer.handler"
  runtime       = "python3.12"
  filename      = "consumer.zip"
}

resource "aws_lambda_event_source_mapping" "consumer" {
  event_source_arn               = aws_kinesis_stream.telemetry.arn
  function_name                  = aws_lambda_function.consumer.function_name
  starting_position              = "LATEST"
  batch_size                     = 100
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 3
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failed.arn
    }
  }
}

resource "aws_sqs_queue" "failed" {
  name = "telemetry-failed"
}

resource "aws_iam_role" "consumer" {
  name                = "telemetry-consumer"
  assume_role_policy  = "{}"
  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonKinesisFullAccess"]
}

resource "aws_s3_bucket" "uploads" {
  bucket = "telemetry-uploads"
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.uploads.arn}/*"
    }]
  })
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  lambda_function {
    lambda_function_arn = aws_lambda_function.thumbnail.arn
    events              = ["s3:ObjectCreated:*"]
  }
}

resource "aws_lambda_function" "thumbnail" {
  function_name = "thumbnail"
  role          = aws_iam_role.consumer.arn
  handler       = "thumbnail.handler"
  runtime       = "python3.12"
  filename      = "thumbnail.zip"
}

resource "aws_lambda_function_event_invoke_config" "thumbnail" {
  function_name = aws_lambda_function.thumbnail.function_name
  destination_config {
    on_failure {
      destination = aws_sqs_queue.failed.arn
    }
  }
}

resource "aws_scheduler_schedule" "export" {
  name                = "nightly-export"
  schedule_expression = "cron(0 3 * * ? *)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_sfn_state_machine.export.arn
    role_arn = aws_iam_role.consumer.arn
  }
}

resource "aws_sfn_state_machine" "export" {
  name       = "export"
  role_arn   = aws_iam_role.consumer.arn
  definition = <<EOF
{
  "StartAt": "Start",
  "States": {
    "Start": {"Type": "Task", "Resource": "${aws_lambda_function.consumer.arn}", "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Check"},
    "Check": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
              "Parameters": {"Bucket": "telemetry-uploads", "Key": "export.csv"}, "Next": "Done?"},
    "Done?": {"Type": "Choice",
              "Choices": [{"Variable": "$.ContentLength", "NumericGreaterThan": 0, "Next": "Finish"}],
              "Default": "Wait"},
    "Finish": {"Type": "Succeed"}
  }
}
EOF
}
