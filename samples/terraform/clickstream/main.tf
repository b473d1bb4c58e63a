# Clickstream ingestion, as first designed: API -> Lambda -> Firehose -> S3.
# Hand-written sample for the Terraform importer (see docs/terraform.md).

resource "aws_api_gateway_rest_api" "ingest" {
  name = "clickstream-ingest"
}

resource "aws_api_gateway_resource" "events" {
  rest_api_id = aws_api_gateway_rest_api.ingest.id
  parent_id   = aws_api_gateway_rest_api.ingest.root_resource_id
  path_part   = "events"
}

resource "aws_api_gateway_method" "post" {
  rest_api_id   = aws_api_gateway_rest_api.ingest.id
  resource_id   = aws_api_gateway_resource.events.id
  http_method   = "POST"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "post" {
  rest_api_id             = aws_api_gateway_rest_api.ingest.id
  resource_id             = aws_api_gateway_resource.events.id
  http_method             = aws_api_gateway_method.post.http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.forward.invoke_arn
}

data "archive_file" "forward" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/forward.zip"
}

resource "aws_lambda_function" "forward" {
  function_name = "clickstream-forward"
  role          = aws_iam_role.forward.arn
  handler       = "forward.handler"
  runtime       = "python3.12"
  memory_size   = 1024
  timeout       = 10
  filename      = data.archive_file.forward.output_path

  environment {
    variables = {
      STREAM_NAME = aws_kinesis_firehose_delivery_stream.delivery.name
    }
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.forward.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.ingest.execution_arn}/*/*"
}

resource "aws_iam_role" "forward" {
  name = "clickstream-forward"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "forward" {
  role = aws_iam_role.forward.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["firehose:PutRecord"]
      Resource = aws_kinesis_firehose_delivery_stream.delivery.arn
    }]
  })
}

resource "aws_kinesis_firehose_delivery_stream" "delivery" {
  name        = "clickstream"
  destination = "extended_s3"

  extended_s3_configuration {
    role_arn           = aws_iam_role.forward.arn
    bucket_arn         = aws_s3_bucket.lake.arn
    buffering_size     = 64
    buffering_interval = 300
  }
}

resource "aws_s3_bucket" "lake" {
  bucket = "clickstream-lake"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
