# Orders pipeline (sample for `advisor fix`): an SNS topic fans out to a worker module
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

resource "aws_sns_topic" "orders" {
  name = "orders"
}

module "worker" {
  source    = "./modules/worker"
  topic_arn = aws_sns_topic.orders.arn
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "nightly-report"
  schedule_expression = "rate(1 day)"
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = module.worker.function_arn
}
