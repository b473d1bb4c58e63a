# A queue with its own dead-letter queue (used twice by the orders sample).

variable "name" {
  type = string
}

variable "visibility" {
  type    = number
  default = 30
}

resource "aws_sqs_queue" "dlq" {
  name                    = "${var.name}-dlq"
  sqs_managed_sse_enabled = true
}

resource "aws_sqs_queue" "queue" {
  name                       = var.name
  visibility_timeout_seconds = var.visibility
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}

output "queue_arn" {
  value = aws_sqs_queue.queue.arn
}

output "queue_url" {
  value = aws_sqs_queue.queue.url
}

output "dlq_arn" {
  value = aws_sqs_queue.dlq.arn
}
