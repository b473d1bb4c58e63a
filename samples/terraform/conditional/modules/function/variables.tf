# A function module shaped like the widely used public Lambda module: everything it
# creates is switched by variables, most of them off by default.

variable "create" {
  type    = bool
  default = true
}

variable "create_function" {
  type    = bool
  default = true
}

variable "create_lambda_function_url" {
  description = "Whether the function gets a public URL"
  type        = bool
  default     = false
}

variable "authorization_type" {
  type    = string
  default = "NONE"
}

variable "function_name" {
  type = string
}

variable "runtime" {
  type    = string
  default = "python3.12"
}

variable "memory_size" {
  type    = number
  default = 128
}

variable "tracing_mode" {
  type    = string
  default = null
}

variable "dead_letter_target_arn" {
  type    = string
  default = null
}

variable "environment_variables" {
  type    = map(string)
  default = {}
}

variable "allowed_triggers" {
  type    = map(any)
  default = {}
}

variable "event_source_mapping" {
  type = map(object({
    event_source_arn = string
    batch_size       = optional(number, 10)
    enabled          = optional(bool, true)
  }))
  default = {}
}

variable "cloudwatch_logs_retention_in_days" {
  type    = number
  default = null
}
