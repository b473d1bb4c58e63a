# What a configuration creates depends on its variables: imported as the defaults (and
# terraform.tfvars / --var-file / --var) make it, not as every block that is written.

variable "queues" {
  description = "One work queue (and one worker subscription) per name"
  type        = set(string)
  default     = ["orders", "refunds"]
}

variable "public_url" {
  description = "Give the API function a public function URL"
  type        = bool
  default     = false
}

variable "alerts" {
  type    = bool
  default = false
}

locals {
  prefix = "shop"
}

resource "aws_sqs_queue" "work" {
  for_each = var.queues

  name                       = "${local.prefix}-${each.key}"
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue" "dlq" {
  name = "${local.prefix}-dlq"
}

resource "aws_sns_topic" "alerts" {
  count = var.alerts ? 1 : 0
  name  = "${local.prefix}-alerts"
}

module "worker" {
  source = "./modules/function"

  function_name = "${local.prefix}-worker"
  event_source_mapping = {
    for name in var.queues : name => { event_source_arn = aws_sqs_queue.work[name].arn }
  }
  dead_letter_target_arn = aws_sqs_queue.dlq.arn
  tracing_mode           = "Active"
}

module "api" {
  source = "./modules/function"

  function_name              = "${local.prefix}-api"
  create_lambda_function_url = var.public_url
  environment_variables = {
    QUEUE_URL = aws_sqs_queue.work["orders"].url
  }
}

module "legacy" {
  source = "./modules/function"

  create        = false
  function_name = "${local.prefix}-legacy"
}
