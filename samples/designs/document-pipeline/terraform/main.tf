# Document intake: uploads land in a bucket that notifies a queue of new objects and sends
# every event to EventBridge. A pipe drains the queue (PDFs only), enriches each record with
# a metadata function and starts an Express workflow with a reshaped input; the workflow
# reads the object's tags and indexes the document. A rule on the default bus purges the
# index when an object is deleted.

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

variable "uploads_bucket" {
  type    = string
  default = "acme-document-uploads"
}

# ---------------------------------------------------------------- bucket and notifications
resource "aws_s3_bucket" "uploads" {
  bucket = var.uploads_bucket
}

resource "aws_s3_bucket_versioning" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket      = aws_s3_bucket.uploads.id
  eventbridge = true
  queue {
    queue_arn     = aws_sqs_queue.upload_queue.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "incoming/"
  }
  depends_on = [aws_sqs_queue_policy.upload_queue]
}

resource "aws_sqs_queue" "upload_queue" {
  name                       = "document-uploads"
  visibility_timeout_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.upload_dlq.arn
    maxReceiveCount     = 3
  })
}

resource "aws_sqs_queue" "upload_dlq" {
  name = "document-uploads-dlq"
}

resource "aws_sqs_queue_policy" "upload_queue" {
  queue_url = aws_sqs_queue.upload_queue.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.upload_queue.arn
      Condition = { ArnLike = { "aws:SourceArn" = aws_s3_bucket.uploads.arn } }
    }]
  })
}

# ---------------------------------------------------------------- pipe
resource "aws_pipes_pipe" "upload_pipe" {
  name       = "document-uploads"
  role_arn   = aws_iam_role.pipe.arn
  source     = aws_sqs_queue.upload_queue.arn
  enrichment = aws_lambda_function.extract_metadata.arn
  target     = aws_sfn_state_machine.index_document.arn
  source_parameters {
    sqs_queue_parameters {
      batch_size                         = 10
      maximum_batching_window_in_seconds = 30
    }
    filter_criteria {
      filter {
        pattern = jsonencode({ body = { Records = { s3 = { object = { key = [{ suffix = ".pdf" }] } } } } })
      }
    }
  }
  target_parameters {
    input_template = "{\"bucket\": \"<$.body.Records[0].s3.bucket.name>\", \"key\": \"<$.body.Records[0].s3.object.key>\", \"metadata\": <$.metadata>}"
    step_function_state_machine_parameters {
      invocation_type = "FIRE_AND_FORGET"
    }
  }
}

resource "aws_iam_role" "pipe" {
  name = "document-uploads-pipe"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pipes.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "pipe" {
  name = "pipe"
  role = aws_iam_role.pipe.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
        Resource = aws_sqs_queue.upload_queue.arn
      },
      { Effect = "Allow", Action = "lambda:InvokeFunction", Resource = aws_lambda_function.extract_metadata.arn },
      { Effect = "Allow", Action = "states:StartExecution", Resource = aws_sfn_state_machine.index_document.arn },
    ]
  })
}

# ---------------------------------------------------------------- enrichment and workflow
resource "aws_iam_role" "extract_metadata" {
  name = "extract-metadata"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "extract_metadata_basic" {
  role       = aws_iam_role.extract_metadata.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "extract_metadata" {
  name = "read-uploads"
  role = aws_iam_role.extract_metadata.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]
    }]
  })
}

resource "aws_lambda_function" "extract_metadata" {
  function_name = "extract-metadata"
  role          = aws_iam_role.extract_metadata.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "extract.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 512
  timeout       = 30
}

resource "aws_iam_role" "index_document" {
  name = "index-document"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "index_document" {
  name = "index"
  role = aws_iam_role.index_document.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "s3:GetObjectTagging", Resource = "${aws_s3_bucket.uploads.arn}/*" },
      { Effect = "Allow", Action = "dynamodb:PutItem", Resource = aws_dynamodb_table.documents_table.arn },
    ]
  })
}

resource "aws_sfn_state_machine" "index_document" {
  name     = "index-document"
  type     = "EXPRESS"
  role_arn = aws_iam_role.index_document.arn
  definition = jsonencode({
    StartAt = "ReadTags"
    States = {
      ReadTags = {
        Type       = "Task"
        Resource   = "arn:aws:states:::aws-sdk:s3:getObjectTagging"
        Parameters = { Bucket = aws_s3_bucket.uploads.id, "Key.$" = "$.key" }
        ResultPath = "$.tags"
        Next       = "IndexIt"
      }
      IndexIt = {
        Type     = "Task"
        Resource = "arn:aws:states:::dynamodb:putItem"
        Parameters = {
          TableName = aws_dynamodb_table.documents_table.name
          Item = {
            key  = { "S.$" = "$.key" }
            tags = { "S.$" = "States.JsonToString($.tags.TagSet)" }
          }
        }
        End = true
      }
    }
  })
}

resource "aws_dynamodb_table" "documents_table" {
  name         = "documents"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "key"
  attribute {
    name = "key"
    type = "S"
  }
}

# ---------------------------------------------------------------- purge on delete
resource "aws_cloudwatch_event_rule" "purge_index_object_deleted" {
  name = "purge-index-object-deleted"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Deleted"]
    detail      = { bucket = { name = [var.uploads_bucket] } }
  })
}

resource "aws_cloudwatch_event_target" "purge_index" {
  rule      = aws_cloudwatch_event_rule.purge_index_object_deleted.name
  target_id = "PurgeIndex"
  arn       = aws_lambda_function.purge_index.arn
}

resource "aws_lambda_permission" "purge_index" {
  statement_id  = "AllowRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.purge_index.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.purge_index_object_deleted.arn
}

resource "aws_iam_role" "purge_index" {
  name = "purge-index"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "purge_index_basic" {
  role       = aws_iam_role.purge_index.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "purge_index" {
  name = "purge"
  role = aws_iam_role.purge_index.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Query"]
      Resource = aws_dynamodb_table.documents_table.arn
    }]
  })
}

resource "aws_lambda_function" "purge_index" {
  function_name = "purge-index"
  role          = aws_iam_role.purge_index.arn
  s3_bucket     = var.artifact_bucket
  s3_key        = "purge.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = 256
  timeout       = 15
  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.documents_table.name
    }
  }
}
