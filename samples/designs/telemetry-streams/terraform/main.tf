# Device telemetry: a Kinesis stream feeds a processor that keeps each device's state in
# DynamoDB; the table's stream drives an alerting function; Firehose archives the raw
# stream to S3.

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

# ---------------------------------------------------------------- stream and processor
resource "aws_kinesis_stream" "telemetry" {
  name             = "telemetry"
  shard_count      = 2
  retention_period = 24
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"
  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}

resource "aws_iam_role" "telemetry_processor" {
  name = "telemetry-processor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "telemetry_processor_kinesis" {
  role       = aws_iam_role.telemetry_processor.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"
}

resource "aws_iam_role_policy" "telemetry_processor" {
  name = "process"
  role = aws_iam_role.telemetry_processor.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"]
        Resource = aws_dynamodb_table.devices_table.arn
      },
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.failed_records.arn },
    ]
  })
}

resource "aws_lambda_function" "telemetry_processor" {
  function_name = "telemetry-processor"
  role          = aws_iam_role.telemetry_processor.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "processor.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 512
  timeout       = 60
  environment {
    variables = {
      DEVICES_TABLE = aws_dynamodb_table.devices_table.name
    }
  }
}

resource "aws_lambda_event_source_mapping" "telemetry" {
  event_source_arn                   = aws_kinesis_stream.telemetry.arn
  function_name                      = aws_lambda_function.telemetry_processor.arn
  starting_position                  = "LATEST"
  batch_size                         = 100
  maximum_batching_window_in_seconds = 10
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = 3
  maximum_record_age_in_seconds      = 3600
  parallelization_factor             = 2
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failed_records.arn
    }
  }
}

resource "aws_sqs_queue" "failed_records" {
  name                      = "telemetry-failed-records"
  message_retention_seconds = 1209600
}

# ---------------------------------------------------------------- device state and alerts
resource "aws_dynamodb_table" "devices_table" {
  name             = "devices"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "deviceId"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
  attribute {
    name = "deviceId"
    type = "S"
  }
}

resource "aws_iam_role" "alerts" {
  name = "device-alerts"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "alerts_dynamodb" {
  role       = aws_iam_role.alerts.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
}

resource "aws_iam_role_policy" "alerts" {
  name = "alerts"
  role = aws_iam_role.alerts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = [aws_sns_topic.device_alerts.arn, aws_sns_topic.alert_failures.arn]
    }]
  })
}

resource "aws_lambda_function" "alerts" {
  function_name = "device-alerts"
  role          = aws_iam_role.alerts.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "alerts.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 30
  environment {
    variables = {
      ALERTS_TOPIC = aws_sns_topic.device_alerts.arn
    }
  }
}

resource "aws_lambda_event_source_mapping" "changes" {
  event_source_arn               = aws_dynamodb_table.devices_table.stream_arn
  function_name                  = aws_lambda_function.alerts.arn
  starting_position              = "TRIM_HORIZON"
  batch_size                     = 25
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 2
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["MODIFY"]
        dynamodb  = { NewImage = { temperature = { N = [{ exists = true }] } } }
      })
    }
  }
  destination_config {
    on_failure {
      destination_arn = aws_sns_topic.alert_failures.arn
    }
  }
}

resource "aws_sns_topic" "alert_failures" {
  name = "device-alert-failures"
}

resource "aws_sns_topic" "device_alerts" {
  name = "device-alerts"
}

# ---------------------------------------------------------------- archive
resource "aws_kinesis_firehose_delivery_stream" "telemetry_archive" {
  name        = "telemetry-archive"
  destination = "extended_s3"
  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.telemetry.arn
    role_arn           = aws_iam_role.archive.arn
  }
  extended_s3_configuration {
    role_arn           = aws_iam_role.archive.arn
    bucket_arn         = aws_s3_bucket.telemetry_lake.arn
    prefix             = "raw/"
    compression_format = "GZIP"
    buffering_size     = 64
    buffering_interval = 120
  }
}

resource "aws_iam_role" "archive" {
  name = "telemetry-archive"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "firehose.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "archive" {
  name = "archive"
  role = aws_iam_role.archive.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]
        Resource = aws_kinesis_stream.telemetry.arn
      },
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket", "s3:AbortMultipartUpload"]
        Resource = [aws_s3_bucket.telemetry_lake.arn, "${aws_s3_bucket.telemetry_lake.arn}/*"]
      },
    ]
  })
}

resource "aws_s3_bucket" "telemetry_lake" {
  bucket = "telemetry-lake-example"
}

resource "aws_s3_bucket_versioning" "telemetry_lake" {
  bucket = aws_s3_bucket.telemetry_lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "telemetry_lake" {
  bucket = aws_s3_bucket.telemetry_lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "telemetry_lake" {
  bucket                  = aws_s3_bucket.telemetry_lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
