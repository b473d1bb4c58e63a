locals {
  create = var.create && var.create_function
}

resource "aws_iam_role" "lambda" {
  count = local.create ? 1 : 0
  name  = "${var.function_name}-role"

  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "this" {
  count = local.create ? 1 : 0

  function_name = var.function_name
  role          = aws_iam_role.lambda[0].arn
  runtime       = var.runtime
  handler       = "app.handler"
  filename      = "${path.module}/build.zip"
  memory_size   = var.memory_size

  dynamic "environment" {
    for_each = length(keys(var.environment_variables)) == 0 ? [] : [true]
    content {
      variables = var.environment_variables
    }
  }

  dynamic "tracing_config" {
    for_each = var.tracing_mode == null ? [] : [true]
    content {
      mode = var.tracing_mode
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [true]
    content {
      target_arn = var.dead_letter_target_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "lambda" {
  count = local.create ? 1 : 0

  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.cloudwatch_logs_retention_in_days
}

resource "aws_lambda_function_url" "this" {
  count = local.create && var.create_lambda_function_url ? 1 : 0

  function_name      = aws_lambda_function.this[0].function_name
  authorization_type = var.authorization_type
}

resource "aws_lambda_permission" "triggers" {
  for_each = { for k, v in var.allowed_triggers : k => v if local.create }

  function_name = aws_lambda_function.this[0].function_name
  statement_id  = try(each.value.statement_id, each.key)
  action        = "lambda:InvokeFunction"
  principal     = try(each.value.principal, format("%s.amazonaws.com", try(each.value.service, "")))
  source_arn    = try(each.value.source_arn, null)
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = { for k, v in var.event_source_mapping : k => v if local.create }

  function_name    = aws_lambda_function.this[0].arn
  event_source_arn = each.value.event_source_arn
  batch_size       = each.value.batch_size
  enabled          = each.value.enabled
}
